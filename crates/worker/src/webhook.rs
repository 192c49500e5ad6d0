//! Webhook delivery: an HTTPS POST of the message as JSON, signed so the receiver can tell it
//! came from this installation and was not altered. The signature is
//! `X-Homeward-Signature: sha256=<hex HMAC-SHA256 of "<X-Homeward-Timestamp>.<body>">` under the
//! installation's webhook secret (`HOMEWARD_WEBHOOK_SECRET`); the timestamp (Unix seconds) lets
//! the receiver refuse stale replays, and `X-Homeward-Idempotency-Key` lets it drop the copies
//! that at-least-once delivery may send.

use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::json;
use sha2::Sha256;

use crate::transport::{Failure, Outgoing};

/// Header naming the message; the same on every attempt.
pub const IDEMPOTENCY_HEADER: &str = "X-Homeward-Idempotency-Key";
/// Header with the Unix time (seconds) the attempt was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Homeward-Timestamp";
/// Header with `sha256=<hex>`, the HMAC of `timestamp.body`.
pub const SIGNATURE_HEADER: &str = "X-Homeward-Signature";

/// The shortest secret accepted: a guessable key would let anyone forge notifications.
pub const MIN_SECRET_LEN: usize = 16;

/// A webhook sender: an HTTP client and the signing secret. Deliberately not `Debug`, so the
/// secret cannot reach a log through formatting.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    secret: String,
}

/// `sha256=<hex>`: the HMAC-SHA256 under `secret` of `timestamp`, a dot, and `body`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).map(|m| hex::encode(m.finalize().into_bytes()));
    format!("sha256={}", tag.unwrap_or_default())
}

/// Whether `signature` (`sha256=<hex>`) signs `timestamp` and `body` under `secret`, compared in
/// constant time. Receivers do this; the tests use it as one.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let tag = signature
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok());
    match (tag, mac(secret, timestamp, body)) {
        (Some(tag), Some(mac)) => mac.verify_slice(&tag).is_ok(),
        _ => false,
    }
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The JSON body of a message.
pub fn payload(m: &Outgoing) -> serde_json::Value {
    json!({
        "idempotency_key": m.key,
        "kind": m.kind,
        "authority": m.authority,
        "subject": m.subject,
        "text": m.body,
        "ack_url": m.ack_url,
        "created_at": m.created_at,
        "due_at": m.due_at,
    })
}

impl Webhook {
    /// A sender signing with `secret` (at least [`MIN_SECRET_LEN`] bytes) whose attempts give up
    /// after `timeout`.
    pub fn new(secret: String, timeout: Duration) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the webhook secret must be at least {MIN_SECRET_LEN} bytes"
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // A redirect could lead to plain HTTP or another host: the URL in routing is final.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Homeward/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Self { client, secret })
    }

    /// Posts one message: 2xx is delivered; 408, 429, 5xx and network errors or timeouts are
    /// retried; any other answer is permanent (the URL or the receiver is wrong, and trying
    /// again would not help). The attempt is signed as made at `now`.
    pub async fn send(&self, m: &Outgoing, now: Timestamp) -> Result<(), Failure> {
        casework::routing::webhook_url(&m.to).map_err(Failure::permanent)?;
        let body = payload(m).to_string().into_bytes();
        let timestamp = now.as_second().to_string();
        let signature = sign(&self.secret, &timestamp, &body);
        let response = self
            .client
            .post(&m.to)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_HEADER, &m.key)
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            // Without the URL: it may carry a receiver's token in its path or query.
            .map_err(|e| Failure::retry(format!("webhook: {}", e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(kind = %m.kind, key = %m.key, %status, "notification posted to a webhook");
            Ok(())
        } else if status.is_server_error()
            || matches!(
                status,
                StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
            )
        {
            Err(Failure::retry(format!("webhook answered {status}")))
        } else {
            Err(Failure::permanent(format!("webhook answered {status}")))
        }
    }
}
