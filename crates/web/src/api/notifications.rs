//! Notifications (issue 5): the caller's authority's outbox, acknowledging a message, and the
//! authority's routing document (admins only).

use axum::Json;
use axum::extract::{Path, Query, State};
use casework::OutboxRecord;
use casework::records::{MessageId, MessageStatus};
use casework::routing::Routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(acknowledge))
        .routes(routes!(get_routing, put_routing))
}

/// Which notifications to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `pending`, `delivered` or `dead`.
    pub status: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// A message of the outbox.
#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    /// Message ID.
    pub id: i64,
    /// `escalation`, `notification`, `overdue`, `reescalation`, `missing_report`,
    /// `return_notice`, `daily_list` or `dead_letter`.
    pub kind: String,
    /// Times escalated up the manager chain.
    pub level: i64,
    /// The role addressed.
    pub owner_role: String,
    /// E-mail address or webhook URL.
    pub recipient: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Delivery attempts.
    pub attempts: i64,
    /// The child concerned.
    pub child_id: Option<i64>,
    /// The rule, for messages about an obligation.
    pub rule: Option<String>,
    /// The instant that caused it (Europe/London).
    pub due_at: String,
    /// When it was written to the outbox.
    pub created_at: String,
    /// When it was delivered.
    pub delivered_at: Option<String>,
    /// When it (or another message of its topic) was acknowledged.
    pub acknowledged_at: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

fn view(state: &AppState, r: &OutboxRecord) -> NotificationView {
    let context: serde_json::Value = serde_json::from_str(&r.message.context).unwrap_or_default();
    NotificationView {
        id: r.id.get(),
        kind: r.message.kind.clone(),
        level: r.message.level,
        owner_role: r.message.owner_role.clone(),
        recipient: r.message.recipient.clone(),
        status: r.status.as_str().to_owned(),
        attempts: r.attempts,
        child_id: r.message.child_id.map(|c| c.get()),
        rule: context["rule"].as_str().map(str::to_owned),
        due_at: state.format(r.message.due_at),
        created_at: state.format(r.created_at),
        delivered_at: r.delivered_at.map(|t| state.format(t)),
        acknowledged_at: r.acknowledged_at.map(|t| state.format(t)),
        last_error: r.last_error.clone(),
    }
}

/// The caller's authority's notifications, newest first; the list is audited as one read
/// naming every child the messages concern.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = Vec<NotificationView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NotificationQuery>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<MessageStatus>()
                .map_err(|_| ApiError::validation("$.status", "pending, delivered or dead"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation("$.limit", "between 1 and 1000"));
    }
    let rows = state.casework.notifications(&caller, status, limit).await?;
    Ok(Json(rows.iter().map(|r| view(&state, r)).collect()))
}

/// Acknowledges a notification of the caller's authority (and every message of its topic):
/// it will not be escalated again.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/acknowledge", tag = "notifications",
    params(("id" = i64, Path, description = "notification ID")),
    responses((status = 200, body = NotificationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MessageId>,
) -> Result<Json<NotificationView>, ApiError> {
    let record = state.casework.acknowledge(&caller, id).await?;
    Ok(Json(view(&state, &record)))
}

/// An authority's notification routing (its admin only).
#[utoipa::path(get, path = "/api/v1/authorities/{code}/routing", tag = "notifications",
    params(("code" = String, Path, description = "authority code")),
    responses((status = 200, body = Routing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_routing(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Routing>, ApiError> {
    Ok(Json(state.casework.routing(&caller, &code).await?))
}

/// Replaces an authority's notification routing (its admin only); the document is checked and
/// errors name the field.
#[utoipa::path(put, path = "/api/v1/authorities/{code}/routing", tag = "notifications", request_body = Routing,
    params(("code" = String, Path, description = "authority code")),
    responses((status = 200, body = Routing), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_routing(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: String,
) -> Result<Json<Routing>, ApiError> {
    Ok(Json(
        state.casework.set_routing(&caller, &code, &body).await?,
    ))
}
