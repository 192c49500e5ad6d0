//! The crash test: the real `homeward worker` is killed with SIGKILL again and again while
//! 1,000 escalations (72 hours, to the senior manager) fall due; every message must still reach the SMTP sink, and none twice
//! once the sink drops copies by idempotency key as a recipient would. Raw copies (a kill
//! between the relay's 250 and the commit that marks the message delivered) are counted and
//! printed: at-least-once delivery cannot rule them out.

#[path = "../../worker/tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use casework::MessageStatus;
use jiff::SignedDuration;
use rand::Rng;
use support::{Sink, TestResult, free_port, key_of, outbox, python, seed_with, senior_only};

const CHILDREN: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_worker_loses_and_doubles_nothing() -> TestResult {
    let Some(python) = python()? else {
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("homeward-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sink = Sink::start(&python, free_port()?, &dir.join("sink.jsonl"))?;
    let db = dir.join("db.sqlite");
    let casework = support::casework(&db, casework::Clock::System).await?;
    // The escalations fall due over five seconds, a few seconds from now.
    let first_due = casework.now() + SignedDuration::from_secs(6);
    let newham = seed_with(
        &casework,
        CHILDREN,
        first_due,
        SignedDuration::from_millis(5),
        SignedDuration::from_hours(72),
        &senior_only(),
    )
    .await?;

    let started = Instant::now();
    let mut kills = 0;
    let mut rng = rand::rng();
    let drained = loop {
        let mut worker = Command::new(env!("CARGO_BIN_EXE_homeward"))
            .args(["worker", "--database"])
            .arg(format!("sqlite:{}", db.display()))
            .args(["--smtp-url", &format!("smtp://127.0.0.1:{}", sink.port)])
            .args([
                "--smtp-tls",
                "none",
                "--lease-seconds",
                "2",
                "--retry-base-ms",
                "200",
            ])
            .env("HOMEWARD_LOG", "error")
            .stdout(Stdio::null())
            .spawn()?;
        tokio::time::sleep(Duration::from_millis(rng.random_range(300..2500))).await;
        let outbox = outbox(&casework, &newham, None, 1_000_000).await?;
        let escalations = outbox
            .iter()
            .filter(|r| r.message.context.contains("NEWHAM-ESC-LAC-72H"))
            .count();
        let done =
            escalations == CHILDREN && outbox.iter().all(|r| r.status == MessageStatus::Delivered);
        worker.kill()?;
        worker.wait()?;
        kills += 1;
        if done && kills >= 5 {
            break outbox;
        }
        if started.elapsed() > Duration::from_secs(100) {
            return Err(format!(
                "not drained after {kills} kills: {escalations} escalations written, {} of {} delivered",
                outbox.iter().filter(|r| r.status == MessageStatus::Delivered).count(),
                outbox.len()
            )
            .into());
        }
    };
    let received = sink.messages()?;
    let mut copies: HashMap<String, usize> = HashMap::new();
    for m in &received {
        *copies.entry(key_of(m)).or_default() += 1;
    }
    let raw_duplicates: usize = copies.values().map(|n| n - 1).sum();
    eprintln!(
        "crash test: {kills} SIGKILLs, {} messages in the outbox ({CHILDREN} escalations), {} received, {} raw duplicates",
        drained.len(),
        received.len(),
        raw_duplicates
    );
    for r in &drained {
        assert!(
            copies.contains_key(&r.message.idempotency_key),
            "message {} was lost",
            r.message.idempotency_key
        );
    }
    assert_eq!(
        copies.len(),
        drained.len(),
        "the sink received only messages of the outbox"
    );
    // Each escalation exactly once in the outbox: one per child, none written twice.
    let mut escalations: Vec<_> = drained
        .iter()
        .filter(|r| r.message.context.contains("NEWHAM-ESC-LAC-72H"))
        .map(|r| r.message.child_id)
        .collect();
    escalations.sort();
    escalations.dedup();
    assert_eq!(escalations.len(), CHILDREN);
    drop(sink);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
