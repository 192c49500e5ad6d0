//! Delivery through a real SMTP server on loopback (aiosmtpd, started by the test): recipients
//! and content, and an outage of some seconds that delays but loses nothing.

mod support;

use std::time::Duration;

use casework::records::Authority;
use casework::{Casework, Clock, MessageStatus, OutboxRecord};
use jiff::SignedDuration;
use support::{Sink, TestResult, free_port, key_of, outbox, python, seed};
use worker::{Config, SmtpTls, Templates, Transport};

fn temp_dir(name: &str) -> Result<std::path::PathBuf, std::io::Error> {
    let dir = std::env::temp_dir().join(format!("homeward-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn start(
    casework: Casework,
    port: u16,
    backoff: Duration,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let transport = Transport::smtp(
        &format!("smtp://127.0.0.1:{port}"),
        SmtpTls::None,
        "Homeward <homeward@example.invalid>",
    )?;
    let mut config = Config::new(
        transport,
        Templates::default(),
        "http://homeward.test".into(),
    );
    config.backoff_base = backoff;
    worker::start(casework, config).await
}

/// Waits until no message is pending and returns every outbox row.
async fn drained(
    casework: &Casework,
    authority: &Authority,
    within: Duration,
) -> Result<Vec<OutboxRecord>, String> {
    let until = std::time::Instant::now() + within;
    loop {
        let all = outbox(casework, authority, None, 100_000)
            .await
            .map_err(|e| e.to_string())?;
        if !all.is_empty() && all.iter().all(|r| r.status == MessageStatus::Delivered) {
            return Ok(all);
        }
        if std::time::Instant::now() > until {
            return Err(format!(
                "outbox not drained: {} of {} delivered",
                all.iter()
                    .filter(|r| r.status == MessageStatus::Delivered)
                    .count(),
                all.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_the_right_recipients_with_their_content() -> TestResult {
    let Some(python) = python()? else {
        return Ok(());
    };
    let dir = temp_dir("smtp-content")?;
    let sink = Sink::start(&python, free_port()?, &dir.join("sink.jsonl"))?;
    let casework = support::casework(&dir.join("db.sqlite"), Clock::System).await?;
    // Three children whose 24-hour escalation fell due a minute ago.
    let newham = seed(
        &casework,
        3,
        casework.now() - SignedDuration::from_mins(1),
        SignedDuration::from_secs(1),
    )
    .await?;
    let tasks = start(casework.clone(), sink.port, Duration::from_secs(1)).await?;
    let outbox = drained(&casework, &newham, Duration::from_secs(30)).await?;
    for t in tasks {
        t.abort();
    }
    let received = sink.messages()?;
    assert_eq!(
        received.len(),
        outbox.len(),
        "one message at the sink per outbox row"
    );
    let escalations: Vec<_> = outbox
        .iter()
        .filter(|r| {
            r.message.kind == "escalation" && r.message.context.contains("NEWHAM-ESC-LAC-24H")
        })
        .collect();
    assert_eq!(escalations.len(), 3, "one 24-hour escalation per child");
    for r in &outbox {
        let Some(m) = received
            .iter()
            .find(|m| key_of(m) == r.message.idempotency_key)
        else {
            return Err(format!("{} not received", r.message.idempotency_key).into());
        };
        assert_eq!(m["recipients"], serde_json::json!([r.message.recipient]));
        assert_eq!(
            m["headers"]["Message-ID"].as_str(),
            Some(format!("<{}@homeward.invalid>", r.message.idempotency_key).as_str())
        );
    }
    for r in escalations {
        let Some(m) = received
            .iter()
            .find(|m| key_of(m) == r.message.idempotency_key)
        else {
            return Err("escalation not received".into());
        };
        assert_eq!(
            m["recipients"],
            serde_json::json!(["duty.newham@example.invalid"])
        );
        let subject = m["headers"]["Subject"].as_str().unwrap_or_default();
        assert!(
            subject.starts_with("[Homeward] Escalation: Test Child "),
            "{subject}"
        );
        let body = m["body"].as_str().unwrap_or_default();
        assert!(body.contains("Rule: NEWHAM-ESC-LAC-24H"), "{body}");
        assert!(
            body.contains("Notify Head of Service and Head of Corporate Parenting"),
            "{body}"
        );
        assert!(
            body.contains(&format!("http://homeward.test/ack/{}.", r.id)),
            "{body}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_delays_but_loses_nothing() -> TestResult {
    let Some(python) = python()? else {
        return Ok(());
    };
    let dir = temp_dir("smtp-outage")?;
    let mut sink = Sink::start(&python, free_port()?, &dir.join("sink.jsonl"))?;
    sink.stop();
    let casework = support::casework(&dir.join("db.sqlite"), Clock::System).await?;
    let newham = seed(
        &casework,
        20,
        casework.now() + SignedDuration::from_secs(1),
        SignedDuration::from_millis(100),
    )
    .await?;
    let tasks = start(casework.clone(), sink.port, Duration::from_millis(300)).await?;
    // The relay is down while the escalations fall due.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let during = outbox(&casework, &newham, None, 100_000).await?;
    assert!(
        during.iter().all(|r| r.status == MessageStatus::Pending),
        "nothing can be delivered during the outage"
    );
    assert!(
        during.iter().any(|r| r.attempts > 0),
        "delivery was attempted during the outage"
    );
    sink.restart()?;
    let outbox = drained(&casework, &newham, Duration::from_secs(60)).await?;
    for t in tasks {
        t.abort();
    }
    let received = sink.messages()?;
    let mut keys: Vec<String> = received.iter().map(key_of).collect();
    keys.sort();
    let mut expected: Vec<String> = outbox
        .iter()
        .map(|r| r.message.idempotency_key.clone())
        .collect();
    expected.sort();
    assert_eq!(keys, expected, "every message arrived exactly once");
    assert_eq!(
        outbox
            .iter()
            .filter(|r| r.message.context.contains("NEWHAM-ESC-LAC-24H"))
            .count(),
        20
    );
    assert!(
        outbox.iter().any(|r| r.attempts > 1),
        "some messages were retried"
    );
    Ok(())
}
