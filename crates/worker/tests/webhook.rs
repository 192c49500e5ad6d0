//! Webhook delivery to a real HTTP receiver on loopback (axum, inside the test): the signed JSON
//! body and its headers, retries while the receiver answers 503, and a dead letter that alerts
//! the admins when it answers 400.

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use casework::records::Authority;
use casework::{Casework, Clock, MessageStatus, OutboxRecord};
use jiff::SignedDuration;
use serde_json::{Value, json};
use support::{TestResult, outbox, seed_with};
use worker::webhook::{self, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use worker::{Config, Templates, Transport, Webhook};

const SECRET: &str = "test-webhook-secret-0123456789";
/// How long a stalling receiver waits: longer than the timeout of [`started`]'s sender.
const STALL: Duration = Duration::from_secs(3);
/// The sender's timeout.
const TIMEOUT: Duration = Duration::from_millis(500);

/// One request the receiver got, and what it answered.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    status: StatusCode,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A receiver that answers the scripted statuses in turn, then `otherwise`; the first `stalls`
/// requests wait [`STALL`] before answering.
#[derive(Clone)]
struct Receiver {
    script: Arc<Mutex<VecDeque<StatusCode>>>,
    stalls: Arc<Mutex<usize>>,
    otherwise: StatusCode,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let stall = r.stalls.lock().is_ok_and(|mut n| {
        let stall = *n > 0;
        *n = n.saturating_sub(1);
        stall
    });
    if stall {
        tokio::time::sleep(STALL).await;
    }
    let status = r
        .script
        .lock()
        .ok()
        .and_then(|mut s| s.pop_front())
        .unwrap_or(r.otherwise);
    if let Ok(mut got) = r.received.lock() {
        got.push(Received {
            headers,
            body,
            status,
        });
    }
    status
}

impl Receiver {
    /// Serves on a free loopback port; returns the receiver and its URL.
    async fn start(
        script: &[StatusCode],
        otherwise: StatusCode,
        stalls: usize,
    ) -> Result<(Self, String), std::io::Error> {
        let receiver = Self {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            stalls: Arc::new(Mutex::new(stalls)),
            otherwise,
            received: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((receiver, url))
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

/// Newham with one child whose 24-hour escalation fell due a minute ago, its social worker's
/// messages going to `url`, admins by e-mail; the worker started with a mailbox for e-mail.
async fn started(
    name: &str,
    url: &str,
) -> Result<
    (
        Casework,
        Authority,
        std::path::PathBuf,
        Vec<tokio::task::JoinHandle<()>>,
    ),
    Box<dyn std::error::Error>,
> {
    let dir = std::env::temp_dir().join(format!("homeward-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let casework = support::casework(&dir.join("db.sqlite"), Clock::System).await?;
    let routing = json!({
        "recipients": {"social_worker": [url]},
        "admin": ["admin.newham@example.invalid"],
    });
    let newham = seed_with(
        &casework,
        1,
        casework.now() - SignedDuration::from_mins(1),
        SignedDuration::from_secs(1),
        SignedDuration::from_hours(24),
        &routing,
    )
    .await?;
    let mailbox = dir.join("mailbox");
    let mut config = Config::new(
        Transport::mailbox(mailbox.clone(), "Homeward <homeward@example.invalid>")?,
        Templates::default(),
        "http://homeward.test".into(),
    );
    config.webhook = Some(Webhook::new(SECRET.into(), TIMEOUT)?);
    config.backoff_base = Duration::from_millis(50);
    let tasks = worker::start(casework.clone(), config).await?;
    Ok((casework, newham, mailbox, tasks))
}

/// Waits until the outbox has messages and none is pending; returns them.
async fn settled(casework: &Casework, authority: &Authority) -> Result<Vec<OutboxRecord>, String> {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let all = outbox(casework, authority, None, 1000)
            .await
            .map_err(|e| e.to_string())?;
        if !all.is_empty() && all.iter().all(|r| r.status != MessageStatus::Pending) {
            return Ok(all);
        }
        if std::time::Instant::now() > until {
            return Err(format!("outbox not settled: {all:#?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_gets_the_message_as_signed_json_with_its_idempotency_key() -> TestResult {
    let (receiver, url) = Receiver::start(&[], StatusCode::OK, 0).await?;
    let (casework, newham, _, tasks) = started("webhook-content", &url).await?;
    let outbox = settled(&casework, &newham).await?;
    tasks.iter().for_each(|t| t.abort());
    let received = receiver.received();
    assert_eq!(received.len(), outbox.len(), "one POST per message");
    assert!(
        outbox
            .iter()
            .any(|r| r.message.context.contains("NEWHAM-ESC-LAC-24H")),
        "the escalation is among them"
    );
    for r in &outbox {
        assert_eq!((r.status.as_str(), r.attempts), ("delivered", 1));
        assert_eq!(r.message.channel, "webhook");
        let key = &r.message.idempotency_key;
        let Some(got) = received
            .iter()
            .find(|g| g.header(IDEMPOTENCY_HEADER) == key)
        else {
            return Err(format!("{key} not received").into());
        };
        assert_eq!(got.header("content-type"), "application/json");
        let (timestamp, signature) = (got.header(TIMESTAMP_HEADER), got.header(SIGNATURE_HEADER));
        let sent: i64 = timestamp.parse()?;
        assert!(
            (casework.now().as_second() - sent).abs() < 60,
            "{timestamp}"
        );
        assert!(
            webhook::verify(SECRET, timestamp, &got.body, signature),
            "the signature verifies with the secret"
        );
        let body: Value = serde_json::from_slice(&got.body)?;
        assert_eq!(body["idempotency_key"], json!(key));
        assert_eq!(body["kind"], json!(r.message.kind));
        assert_eq!(body["authority"], json!("NEWHAM"));
        let ack = body["ack_url"].as_str().unwrap_or_default();
        assert!(
            ack.starts_with(&format!("http://homeward.test/ack/{}.", r.id)),
            "{ack}"
        );
        // Instants in Europe/London with their offset, like everywhere else.
        for field in ["created_at", "due_at"] {
            let at = body[field].as_str().unwrap_or_default();
            assert!(
                at.ends_with("+00:00") || at.ends_with("+01:00"),
                "{field}: {at}"
            );
        }
        if r.message.kind == "escalation" {
            let subject = body["subject"].as_str().unwrap_or_default();
            assert!(
                subject.starts_with("[Homeward] Escalation: Test Child 0"),
                "{subject}"
            );
            let text = body["text"].as_str().unwrap_or_default();
            assert!(text.contains("Rule: NEWHAM-ESC-LAC-24H"), "{text}");
            assert!(text.contains(ack), "{text}");
        }
        // Altering the body, the timestamp or the secret breaks the signature.
        let mut altered = got.body.to_vec();
        altered.extend_from_slice(b" ");
        assert!(!webhook::verify(SECRET, timestamp, &altered, signature));
        let forged =
            String::from_utf8(got.body.to_vec())?.replace(key.as_str(), &"0".repeat(key.len()));
        assert!(!webhook::verify(
            SECRET,
            timestamp,
            forged.as_bytes(),
            signature
        ));
        assert!(!webhook::verify(
            SECRET,
            &(sent + 1).to_string(),
            &got.body,
            signature
        ));
        assert!(!webhook::verify(
            "another-secret-0123456789",
            timestamp,
            &got.body,
            signature
        ));
        assert_eq!(webhook::sign(SECRET, timestamp, &got.body), signature);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_503_is_retried_until_it_accepts_once() -> TestResult {
    let unavailable = [StatusCode::SERVICE_UNAVAILABLE; 3];
    let (receiver, url) = Receiver::start(&unavailable, StatusCode::OK, 0).await?;
    let (casework, newham, _, tasks) = started("webhook-retry", &url).await?;
    let outbox = settled(&casework, &newham).await?;
    tasks.iter().for_each(|t| t.abort());
    let received = receiver.received();
    assert!(
        outbox.iter().all(|r| r.status == MessageStatus::Delivered),
        "{outbox:#?}"
    );
    assert_eq!(
        received.len(),
        outbox.len() + 3,
        "three refusals, then one POST each"
    );
    assert_eq!(
        outbox.iter().map(|r| r.attempts).sum::<i64>(),
        received.len() as i64,
        "every POST is an attempt"
    );
    for r in &outbox {
        let posts: Vec<_> = received
            .iter()
            .filter(|g| g.header(IDEMPOTENCY_HEADER) == r.message.idempotency_key)
            .collect();
        assert_eq!(
            posts.iter().filter(|g| g.status == StatusCode::OK).count(),
            1,
            "accepted exactly once"
        );
        assert_eq!(posts.len() as i64, r.attempts, "retries carry the same key");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_400_makes_a_dead_letter_that_alerts_the_admins() -> TestResult {
    let (receiver, url) = Receiver::start(&[], StatusCode::BAD_REQUEST, 0).await?;
    let (casework, newham, mailbox, tasks) = started("webhook-dead", &url).await?;
    let outbox = settled(&casework, &newham).await?;
    tasks.iter().for_each(|t| t.abort());
    let (hooks, alerts): (Vec<_>, Vec<_>) =
        outbox.iter().partition(|r| r.message.channel == "webhook");
    assert!(!hooks.is_empty());
    assert_eq!(
        receiver.received().len(),
        hooks.len(),
        "a 400 is not retried"
    );
    for r in &hooks {
        assert_eq!((r.status.as_str(), r.attempts), ("dead", 1));
        assert_eq!(
            r.last_error.as_deref(),
            Some("webhook answered 400 Bad Request")
        );
    }
    assert_eq!(alerts.len(), hooks.len(), "one alert per dead letter");
    for a in &alerts {
        assert_eq!(a.message.kind, "dead_letter");
        assert_eq!(a.message.recipient, "admin.newham@example.invalid");
        assert_eq!(a.status, MessageStatus::Delivered);
        let context: Value = serde_json::from_str(&a.message.context)?;
        assert!(
            hooks
                .iter()
                .any(|h| context["failed_key"] == json!(h.message.idempotency_key)),
            "{context}"
        );
        assert_eq!(context["error"], json!("webhook answered 400 Bad Request"));
        let eml =
            std::fs::read_to_string(mailbox.join(format!("{}.eml", a.message.idempotency_key)))?;
        assert!(eml.contains("admin.newham@example.invalid"), "{eml}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_does_not_answer_in_time_is_retried() -> TestResult {
    let (receiver, url) = Receiver::start(&[], StatusCode::OK, 1).await?;
    let (casework, newham, _, tasks) = started("webhook-timeout", &url).await?;
    let outbox = settled(&casework, &newham).await?;
    tasks.iter().for_each(|t| t.abort());
    assert!(!receiver.received().is_empty());
    assert!(
        outbox.iter().all(|r| r.status == MessageStatus::Delivered),
        "{outbox:#?}"
    );
    let mut attempts: Vec<i64> = outbox.iter().map(|r| r.attempts).collect();
    attempts.sort();
    let mut expected = vec![1; outbox.len() - 1];
    expected.push(2);
    assert_eq!(
        attempts, expected,
        "only the stalled attempt timed out, and its retry delivered"
    );
    Ok(())
}
