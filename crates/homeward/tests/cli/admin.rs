//! The database commands: demo, users add, backup (then restore), audit verify, and serve.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{homeward, runtime, scratch};

fn demo(db: &Path) {
    let out = homeward(&[
        "demo",
        "--database",
        db.to_str().unwrap_or_default(),
        "--children",
        "6",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("demo partnership loaded: 6 children")
            && text.contains("social-worker.newham"),
        "{text}"
    );
}

/// A fingerprint of everything a user can reach, read through the store.
fn contents(db: &Path) -> String {
    runtime()
        .unwrap_or_else(|e| unreachable!("{e}"))
        .block_on(async {
            let store = store::open(db.to_str().unwrap_or_default())
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            let mut out = format!("{:?}", store.authorities().await.ok());
            for a in store.authorities().await.unwrap_or_default() {
                for c in store
                    .children_page(a.id, None, 1000, 0)
                    .await
                    .unwrap_or_default()
                {
                    let id = c.child.id;
                    out.push_str(&format!(
                        "{:?}{:?}{:?}{:?}",
                        store.child_file(id).await.ok(),
                        store.child_obligations(id).await.ok(),
                        store.documents(id).await.ok(),
                        store.child_episodes(id).await.ok(),
                    ));
                }
            }
            out.push_str(&format!("{:?}", store.audit_log().await.ok()));
            out
        })
}

#[test]
fn backup_then_restore_gives_identical_data() {
    let dir = scratch("admin", "backup").unwrap_or_else(|e| unreachable!("{e}"));
    let db = dir.join("live.db");
    demo(&db);
    let copy = dir.join("copy.db");
    let out = homeward(&[
        "backup",
        copy.to_str().unwrap_or_default(),
        "--database",
        db.to_str().unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Restoring is putting the copy in place of the database.
    let restored = dir.join("restored.db");
    std::fs::copy(&copy, &restored).unwrap_or_else(|e| unreachable!("{e}"));
    let original = contents(&db);
    assert!(original.len() > 10_000, "the demo wrote data");
    assert_eq!(contents(&restored), original);
    let again = homeward(&[
        "backup",
        copy.to_str().unwrap_or_default(),
        "--database",
        db.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is never overwritten"
    );
}

#[test]
fn audit_verify_catches_an_altered_and_a_removed_row() {
    let dir = scratch("admin", "audit").unwrap_or_else(|e| unreachable!("{e}"));
    let db = dir.join("audit.db");
    demo(&db);
    // Some reads on the log, as the API writes them.
    runtime()
        .unwrap_or_else(|e| unreachable!("{e}"))
        .block_on(async {
            let store = store::open(db.to_str().unwrap_or_default())
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            let entries: Vec<store::AuditEntry> = (1..=6)
                .map(|n| store::AuditEntry {
                    at: store::Instant::from_micros(n),
                    user_id: Some(store::UserId(1)),
                    action: "read".into(),
                    entity: "child".into(),
                    entity_id: Some(n),
                    child_id: Some(store::ChildId(n)),
                    children: Vec::new(),
                    remote_addr: "demo loader".into(),
                })
                .collect();
            store
                .audit(&entries)
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
        });
    let ok = homeward(&[
        "audit",
        "verify",
        "--database",
        db.to_str().unwrap_or_default(),
    ]);
    assert!(
        ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("audit log intact"),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let sql = |q: &'static str| {
        runtime()
            .unwrap_or_else(|e| unreachable!("{e}"))
            .block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
                    .await
                    .unwrap_or_else(|e| unreachable!("{e}"));
                sqlx::query(q)
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| unreachable!("{e}"));
            })
    };
    sql("UPDATE audit_log SET remote_addr = '10.0.0.66' WHERE id = 3");
    let bad = homeward(&[
        "audit",
        "verify",
        "--database",
        db.to_str().unwrap_or_default(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("audit row 3 was altered"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    sql("UPDATE audit_log SET remote_addr = 'demo loader' WHERE id = 3");
    assert!(
        homeward(&[
            "audit",
            "verify",
            "--database",
            db.to_str().unwrap_or_default()
        ])
        .status
        .success()
    );
    sql("DELETE FROM audit_log WHERE id = 5");
    let gone = homeward(&[
        "audit",
        "verify",
        "--database",
        db.to_str().unwrap_or_default(),
    ]);
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("missing before row 6"),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
}

#[test]
fn users_add_reads_the_password_from_standard_input() {
    let dir = scratch("admin", "users").unwrap_or_else(|e| unreachable!("{e}"));
    let db = dir.join("users.db");
    demo(&db);
    let add = |password: &str, username: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_homeward"))
            .args([
                "users",
                "add",
                "--username",
                username,
                "--display-name",
                "Pat Example",
                "--role",
                "team_manager",
                "--authority",
                "MERTON",
                "--database",
                db.to_str().unwrap_or_default(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| unreachable!("{e}"));
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(password.as_bytes());
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| unreachable!("{e}"))
    };
    let short = add("short\n", "pat");
    assert_eq!(short.status.code(), Some(2));
    let ok = add("a long enough passphrase\n", "pat");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&ok.stdout).contains("passphrase"),
        "the password is never printed"
    );
    assert_eq!(
        add("a long enough passphrase\n", "pat").status.code(),
        Some(2),
        "the name is taken"
    );
}

#[test]
fn serve_answers_health_checks_on_loopback() {
    let dir = scratch("admin", "serve").unwrap_or_else(|e| unreachable!("{e}"));
    let db = dir.join("serve.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(18_181, |a| a.port());
    let bind = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args([
            "serve",
            "--bind",
            &bind,
            "--database",
            db.to_str().unwrap_or_default(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| unreachable!("{e}"));
    let started = Instant::now();
    let mut answer = String::new();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(mut s) = TcpStream::connect(&bind) {
            let _ = s.write_all(
                b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            );
            let _ = s.read_to_string(&mut answer);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
