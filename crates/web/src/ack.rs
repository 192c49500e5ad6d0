//! Acknowledgement links in notifications: `/ack/{token}`. The token is the message's ID and an
//! HMAC-SHA256 of its idempotency key under the store's notification secret, so it cannot be
//! guessed and needs no lookup table. GET only shows a confirmation page (mail scanners follow
//! links); POST acknowledges, which stops the message's re-escalation, and is audited.

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::{AuditEntry, OutboxRecord};

use crate::{AppState, micros};

/// The acknowledgement token of a message.
pub fn token(secret: &str, id: i64, idempotency_key: &str) -> String {
    format!("{id}.{}", signature(secret, id, idempotency_key))
}

fn signature(secret: &str, id: i64, key: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("ack:{id}:{key}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The message a token names, if the token is genuine.
async fn message(state: &AppState, token: &str) -> Option<OutboxRecord> {
    let (id, sig) = token.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    let secret = state.store.notification_secret("").await.ok()?;
    let record = state.store.outbox_message(id).await.ok()??;
    let expected = signature(&secret, id, &record.message.idempotency_key);
    // Compare in constant time so the signature cannot be found byte by byte.
    let same = expected.len() == sig.len()
        && expected
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    (same && !secret.is_empty()).then_some(record)
}

/// The acknowledgement routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/ack/{token}", get(confirm).post(acknowledge))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} – Homeward</title></head>\n<body><main><h1>{title}</h1>\n{body}\n</main></body></html>\n"
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn summary(r: &OutboxRecord) -> String {
    let context: serde_json::Value = serde_json::from_str(&r.message.context).unwrap_or_default();
    let what = context["action"]
        .as_str()
        .or(context["title"].as_str())
        .unwrap_or(&r.message.kind);
    format!(
        "<p>Notification: {} (to {})</p>\n<p>{}</p>",
        escape(&r.message.kind),
        escape(&r.message.owner_role.replace('_', " ")),
        escape(what)
    )
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> (StatusCode, Html<String>) {
    let Some(r) = message(&state, &token).await else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "Link not recognised",
                "<p>This acknowledgement link is not valid.</p>",
            ),
        );
    };
    if r.acknowledged_at.is_some() {
        return (StatusCode::OK, page("Already acknowledged", &summary(&r)));
    }
    let form = format!(
        "{}\n<form method=\"post\" action=\"/ack/{}\"><button type=\"submit\">Acknowledge</button></form>",
        summary(&r),
        escape(&token)
    );
    (StatusCode::OK, page("Acknowledge this notification", &form))
}

async fn acknowledge(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    Path(token): Path<String>,
) -> (StatusCode, Html<String>) {
    let Some(r) = message(&state, &token).await else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "Link not recognised",
                "<p>This acknowledgement link is not valid.</p>",
            ),
        );
    };
    let now = state.now();
    let audit = AuditEntry {
        at: micros(now),
        user_id: None,
        action: "acknowledge".into(),
        entity: "notification".into(),
        entity_id: Some(r.id),
        child_id: r.message.child_id,
        remote_addr: extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default(),
    };
    match state
        .store
        .acknowledge(r.id, None, micros(now), &audit)
        .await
    {
        Ok(r) => (
            StatusCode::OK,
            page(
                "Acknowledged",
                &format!(
                    "{}\n<p>Thank you. It will not be escalated again.</p>",
                    summary(&r)
                ),
            ),
        ),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            page(
                "Not acknowledged",
                "<p>Something went wrong; please try again.</p>",
            ),
        ),
    }
}
