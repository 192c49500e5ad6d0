//! `serve --test-clock`: refused outside loopback or with production settings; moves by
//! `POST /test/clock` and recomputes every child; and without the flag the route is not there.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{homeward, scratch};

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// One HTTP/1.1 exchange; the whole answer (status line, headers, body).
fn http(bind: &str, request: &str) -> Result<String, String> {
    let mut s = TcpStream::connect(bind).map_err(|e| e.to_string())?;
    s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    Ok(answer)
}

fn post_clock(bind: &str, body: &str) -> Result<String, String> {
    http(
        bind,
        &format!(
            "POST /test/clock HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A server that is killed when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(bind: &str, db: &str, extra: &[&str]) -> Result<Server, String> {
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_homeward"))
            .args(["serve", "--bind", bind, "--database", db])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if http(
            bind,
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .is_ok_and(|a| a.starts_with("HTTP/1.1 200"))
        {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("server on {bind} did not answer /healthz"))
}

#[test]
fn test_clock_is_refused_with_production_settings_or_off_loopback() -> Result<(), String> {
    let dir = scratch("clock", "refused").map_err(|e| e.to_string())?;
    let db = dir.join("db").to_string_lossy().into_owned();
    for (extra, says) in [
        (
            vec!["--secure-cookies", "--bind", "127.0.0.1:0"],
            "--secure-cookies",
        ),
        (vec!["--bind", "0.0.0.0:0"], "loopback"),
    ] {
        let mut args = vec![
            "serve",
            "--database",
            &db,
            "--test-clock",
            "2031-01-01T00:00:00Z",
        ];
        args.extend(extra.iter().copied());
        let out = homeward(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(says), "{extra:?}: {stderr}");
    }
    Ok(())
}

#[test]
fn test_clock_moves_and_recomputes_every_child() -> Result<(), String> {
    let dir = scratch("clock", "moves").map_err(|e| e.to_string())?;
    let db = dir.join("db").to_string_lossy().into_owned();
    let out = homeward(&["demo", "--database", &db, "--children", "6"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bind = format!("127.0.0.1:{}", free_port()?);
    // Later than the demo's events, which are recorded on the system clock.
    let _server = serve(&bind, &db, &["--test-clock", "2031-01-01T00:00:00Z"])?;

    let answer = post_clock(&bind, r#"{"advance": "PT24H"}"#)?;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""now":"2031-01-02T00:00:00+00:00""#),
        "{answer}"
    );
    assert!(answer.contains(r#""children_recomputed":6"#), "{answer}");

    // A form works as well as JSON, and `at` jumps (shown in Europe/London, summer time here).
    let form = "at=2031-06-01T12%3A00%3A00Z";
    let answer = http(
        &bind,
        &format!(
            "POST /test/clock HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )?;
    assert!(
        answer.contains(r#""now":"2031-06-01T13:00:00+01:00""#),
        "{answer}"
    );

    // Backwards is refused, naming the field, and the clock stays where it was.
    let answer = post_clock(&bind, r#"{"at": "2031-01-01T00:00:00Z"}"#)?;
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    assert!(answer.contains(r#""field":"$.at""#), "{answer}");
    let answer = post_clock(&bind, r#"{"advance": "PT0S"}"#)?;
    assert!(
        answer.contains(r#""now":"2031-06-01T13:00:00+01:00""#),
        "{answer}"
    );
    Ok(())
}

#[test]
fn without_the_flag_there_is_no_test_clock_route() -> Result<(), String> {
    let dir = scratch("clock", "absent").map_err(|e| e.to_string())?;
    let db = dir.join("db").to_string_lossy().into_owned();
    let bind = format!("127.0.0.1:{}", free_port()?);
    let _server = serve(&bind, &db, &[])?;
    let answer = post_clock(&bind, r#"{"advance": "PT24H"}"#)?;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    Ok(())
}
