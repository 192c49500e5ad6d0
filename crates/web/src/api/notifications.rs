//! Notifications (issue 5): the caller's authority's outbox, acknowledging a message, and the
//! authority's routing document (admins only).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use store::OutboxRecord;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::{Permission, Role};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::routing::Routing;
use crate::{AppState, instant, micros};

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
    let at = |us: i64| protocol::output::format_instant(&state.calendar, instant(us));
    let context: serde_json::Value = serde_json::from_str(&r.message.context).unwrap_or_default();
    NotificationView {
        id: r.id,
        kind: r.message.kind.clone(),
        level: r.message.level,
        owner_role: r.message.owner_role.clone(),
        recipient: r.message.recipient.clone(),
        status: r.status.clone(),
        attempts: r.attempts,
        child_id: r.message.child_id,
        rule: context["rule"].as_str().map(str::to_owned),
        due_at: at(r.message.due_at),
        created_at: at(r.created_at),
        delivered_at: r.delivered_at.map(at),
        acknowledged_at: r.acknowledged_at.map(at),
        last_error: r.last_error.clone(),
    }
}

/// Notifications of the caller's authority, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = Vec<NotificationView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NotificationQuery>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    caller.require(Permission::ReadObligations)?;
    if let Some(s) = &q.status
        && !matches!(s.as_str(), "pending" | "delivered" | "dead")
    {
        return Err(ApiError::validation(
            "$.status",
            "pending, delivered or dead",
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation("$.limit", "between 1 and 1000"));
    }
    let rows = state
        .store
        .notifications(caller.user.authority_id, q.status.as_deref(), limit)
        .await?;
    let now = state.now();
    let audit: Vec<_> = rows
        .iter()
        .map(|r| caller.audit("read", "notification", Some(r.id), r.message.child_id, now))
        .collect();
    state.audit.record(audit).await?;
    Ok(Json(rows.iter().map(|r| view(&state, r)).collect()))
}

/// Acknowledges a notification of the caller's authority: it and every message about the same
/// thing stop being escalated.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/acknowledge", tag = "notifications",
    params(("id" = i64, Path, description = "notification ID")),
    responses((status = 200, body = NotificationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<NotificationView>, ApiError> {
    caller.require(Permission::ReadObligations)?;
    let record = state
        .store
        .outbox_message(id)
        .await?
        .filter(|r| r.message.authority_id == caller.user.authority_id)
        .ok_or_else(ApiError::not_found)?;
    let now = state.now();
    let audit = caller.audit(
        "acknowledge",
        "notification",
        Some(id),
        record.message.child_id,
        now,
    );
    let record = state
        .store
        .acknowledge(id, Some(caller.user.id), micros(now), &audit)
        .await?;
    Ok(Json(view(&state, &record)))
}

async fn admins_authority(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<store::Authority, ApiError> {
    if caller.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let authority = state
        .store
        .authorities()
        .await?
        .into_iter()
        .find(|a| a.code == code)
        .ok_or_else(ApiError::not_found)?;
    if authority.id != caller.user.authority_id {
        return Err(ApiError::forbidden());
    }
    Ok(authority)
}

/// An authority's notification routing (its own admins only).
#[utoipa::path(get, path = "/api/v1/authorities/{code}/routing", tag = "notifications",
    params(("code" = String, Path, description = "authority code")),
    responses((status = 200, body = Routing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_routing(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Routing>, ApiError> {
    let authority = admins_authority(&state, &caller, &code).await?;
    Ok(Json(
        Routing::parse(&authority.routing).map_err(ApiError::internal)?,
    ))
}

/// Replaces an authority's notification routing; errors name the field.
#[utoipa::path(put, path = "/api/v1/authorities/{code}/routing", tag = "notifications", request_body = Routing,
    params(("code" = String, Path, description = "authority code")),
    responses((status = 200, body = Routing), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_routing(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: String,
) -> Result<Json<Routing>, ApiError> {
    let authority = admins_authority(&state, &caller, &code).await?;
    let routing = Routing::parse(&body)
        .map_err(|e| ApiError::validation(format!("$.{}", e.field), e.message))?;
    let json = serde_json::to_string(&routing).map_err(ApiError::internal)?;
    let audit = caller.audit("write", "routing", Some(authority.id), None, state.now());
    state.store.set_routing(authority.id, &json, &audit).await?;
    Ok(Json(routing))
}
