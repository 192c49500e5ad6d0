//! Acknowledgement links in notifications: `/ack/{token}`. GET only shows a confirmation page
//! (mail scanners follow links); POST acknowledges, which stops the message's re-escalation, and
//! is audited. The token is checked by the casework layer (`casework::ack`).

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use casework::OutboxRecord;

use crate::AppState;

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

fn not_recognised() -> (StatusCode, Html<String>) {
    (
        StatusCode::NOT_FOUND,
        page(
            "Link not recognised",
            "<p>This acknowledgement link is not valid.</p>",
        ),
    )
}

fn went_wrong() -> (StatusCode, Html<String>) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        page(
            "Not acknowledged",
            "<p>Something went wrong; please try again.</p>",
        ),
    )
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> (StatusCode, Html<String>) {
    let Ok(found) = state.casework.message_for_token(&token).await else {
        return went_wrong();
    };
    let Some(r) = found else {
        return not_recognised();
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
    let remote = extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    match state.casework.acknowledge_link(&token, &remote).await {
        Ok(Some(r)) => (
            StatusCode::OK,
            page(
                "Acknowledged",
                &format!(
                    "{}\n<p>Thank you. It will not be escalated again.</p>",
                    summary(&r)
                ),
            ),
        ),
        Ok(None) => not_recognised(),
        Err(_) => went_wrong(),
    }
}
