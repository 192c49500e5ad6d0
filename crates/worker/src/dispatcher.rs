//! The dispatcher: leases due outbox messages, renders and sends them, and marks them delivered;
//! a failed attempt is retried with exponential backoff and jitter, and after the last attempt
//! the message is dead and the authority's admins are alerted (through the outbox too).
//! Delivery is at least once: a crash between sending and marking re-sends after the lease,
//! with the same Message-ID and idempotency key so the recipient can drop the copy.

use std::sync::Arc;
use std::time::Duration;

use casework::records::{Authority, Instant};
use casework::{CaseError, OutboxRecord};
use jiff::SignedDuration;
use rand::Rng;
use tokio::task::JoinSet;

use crate::transport::{Failure, Outgoing};
use crate::{Shared, messages};

/// How many messages are leased at once (and sent concurrently).
const BATCH: i64 = 16;

/// The wait before attempt `attempts + 1`: base × 2^attempts, capped at an hour, times a random
/// factor in [0.5, 1) so that retries after an outage do not arrive together.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempts.clamp(0, 20));
    let capped = exp.min(Duration::from_secs(3600));
    capped.mul_f64(rand::rng().random_range(0.5..1.0))
}

/// Runs the dispatcher for ever.
pub async fn run(shared: Arc<Shared>) {
    loop {
        match dispatch(&shared).await {
            Ok(0) => {
                let now = shared.casework.now();
                let next = match shared.casework.next_attempt().await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!("dispatcher: {e}");
                        Some(now + SignedDuration::from_secs(1))
                    }
                };
                let wait = next
                    .map_or(shared.config.max_sleep, |t| t.duration_since(now))
                    .clamp(SignedDuration::from_millis(5), shared.config.max_sleep);
                tokio::select! {
                    () = tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()) => {}
                    () = shared.outbox_ready.notified() => {}
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("dispatcher: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Leases and sends one batch; returns how many messages were tried.
pub async fn dispatch(shared: &Arc<Shared>) -> Result<usize, CaseError> {
    let casework = &shared.casework;
    let now = casework.now();
    let batch = casework
        .claim_outbox(now, now + shared.config.lease, BATCH)
        .await?;
    let tried = batch.len();
    if tried == 0 {
        return Ok(0);
    }
    let authorities = Arc::new(casework.authorities().await?);
    let mut sends = JoinSet::new();
    for record in batch {
        let shared = shared.clone();
        let authorities = authorities.clone();
        sends.spawn(async move { deliver(&shared, &authorities, record).await });
    }
    while let Some(done) = sends.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("dispatcher: {e}"),
            Err(e) => tracing::warn!("dispatcher: {e}"),
        }
    }
    Ok(tried)
}

async fn deliver(
    shared: &Shared,
    authorities: &[Authority],
    record: OutboxRecord,
) -> Result<(), CaseError> {
    let casework = &shared.casework;
    let authority = authorities
        .iter()
        .find(|a| a.id == record.message.authority_id)
        .ok_or_else(CaseError::not_found)?;
    let result = match render(shared, authority, &record) {
        Ok(outgoing) => send(shared, &record.message.channel, &outgoing).await,
        // A template may be fixed while the message waits, so a rendering error is retried.
        Err(e) => Err(Failure::retry(e)),
    };
    let now = casework.now();
    match result {
        Ok(()) => casework.outbox_delivered(record.id, now).await,
        Err(Failure { reason, permanent }) => {
            let attempts = record.attempts + 1;
            if permanent || attempts >= shared.config.max_attempts {
                tracing::warn!(key = %record.message.idempotency_key, "dead letter after {attempts} attempts: {reason}");
                let alert = messages::dead_letter(authority, &record, &reason);
                casework
                    .outbox_failed(record.id, None, &reason, &alert, now)
                    .await?;
                shared.outbox_ready.notify_one();
                Ok(())
            } else {
                let wait = backoff(shared.config.backoff_base, record.attempts);
                let retry = now + SignedDuration::try_from(wait).unwrap_or_default();
                casework
                    .outbox_failed(record.id, Some(retry), &reason, &[], now)
                    .await
            }
        }
    }
}

/// Sends through the recipient's channel: e-mail, or a signed webhook POST.
async fn send(shared: &Shared, channel: &str, outgoing: &Outgoing) -> Result<(), Failure> {
    match (channel, &shared.config.webhook) {
        ("email", _) => shared
            .config
            .transport
            .send(outgoing)
            .await
            .map_err(Failure::retry),
        ("webhook", Some(webhook)) => webhook.send(outgoing, shared.casework.now()).await,
        ("webhook", None) => Err(Failure::permanent(
            "webhook delivery is off: no HOMEWARD_WEBHOOK_SECRET is configured",
        )),
        (other, _) => Err(Failure::permanent(format!("unknown channel `{other}`"))),
    }
}

/// The message as it leaves: the authority's template with the acknowledgement link.
pub fn render(
    shared: &Shared,
    authority: &Authority,
    record: &OutboxRecord,
) -> Result<Outgoing, String> {
    let m = &record.message;
    let mut context: serde_json::Value =
        serde_json::from_str(&m.context).map_err(|e| format!("message context: {e}"))?;
    let token = casework::ack::token(&shared.secret, record.id, &m.idempotency_key);
    let ack_url = format!("{}/ack/{token}", shared.config.public_url);
    context["ack_url"] = serde_json::json!(ack_url);
    let rendered =
        shared
            .config
            .templates
            .render(&authority.code.to_lowercase(), &m.kind, &context)?;
    let at = |t: Instant| casework::time::format(shared.casework.calendar(), t);
    Ok(Outgoing {
        key: m.idempotency_key.clone(),
        kind: m.kind.clone(),
        to: m.recipient.clone(),
        subject: rendered.subject,
        body: rendered.body,
        authority: authority.code.clone(),
        ack_url,
        created_at: at(record.created_at),
        due_at: at(m.due_at),
    })
}
