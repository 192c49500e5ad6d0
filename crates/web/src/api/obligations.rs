//! Obligations across children: overdue and due soon, per authority or owner role; and
//! discharging one with a note.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use store::ObligationFilter;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::episodes::{ObligationView, RecordedEvent, record, record_view};
use super::{Body, Page, etag};
use crate::access::{Permission, child_access};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, micros};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_obligations))
        .routes(routes!(discharge))
}

/// Which obligations to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationQuery {
    /// Authority code; default: the caller's own authority. Only the caller's authority may be asked for.
    pub authority: Option<String>,
    /// Only this owner role (e.g. `social_worker`, `police`).
    pub owner_role: Option<String>,
    /// Only obligations already overdue.
    pub overdue: Option<bool>,
    /// Only obligations due from now within this many hours.
    pub due_within_hours: Option<i64>,
    /// Page number from 1.
    pub page: Option<i64>,
    /// Items per page, at most 200.
    pub per_page: Option<i64>,
}

/// A discharge of an obligation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Discharge {
    /// What was done.
    pub note: String,
    /// When it was done (ISO-8601 with offset); default now.
    pub at: Option<String>,
}

/// Obligations of the caller's authority, by due date (none last), with their status now.
#[utoipa::path(get, path = "/api/v1/obligations", tag = "obligations", params(ObligationQuery),
    responses((status = 200, body = Page<ObligationView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_obligations(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ObligationQuery>,
) -> Result<Json<Page<ObligationView>>, ApiError> {
    caller.require(Permission::ReadObligations)?;
    let (limit, offset, page, per_page) = super::PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    let authorities = state.store.authorities().await?;
    let authority = match &q.authority {
        None => caller.user.authority_id,
        Some(c) => authorities
            .iter()
            .find(|a| &a.code == c)
            .map(|a| a.id)
            .ok_or_else(|| {
                ApiError::validation("$.authority", format!("no authority with code `{c}`"))
            })?,
    };
    if authority != caller.user.authority_id {
        return Err(ApiError::forbidden());
    }
    if let Some(r) = &q.owner_role {
        r.parse::<protocol::vocabulary::OwnerRole>()
            .map_err(|e| ApiError::validation("$.owner_role", e.to_string()))?;
    }
    let now = state.now();
    let due_within = match q.due_within_hours {
        Some(h) if !(1..=24 * 90).contains(&h) => {
            return Err(ApiError::validation(
                "$.due_within_hours",
                "between 1 and 2160",
            ));
        }
        Some(h) => Some(micros(now + jiff::SignedDuration::from_hours(h))),
        None => None,
    };
    let filter = ObligationFilter {
        authority_ids: vec![authority],
        owner_role: q.owner_role.clone(),
        due_before: if q.overdue == Some(true) {
            Some(micros(now))
        } else {
            due_within
        },
        due_from: if q.overdue == Some(true) {
            None
        } else {
            due_within.map(|_| micros(now))
        },
        limit,
        offset,
    };
    let rows = state.store.obligations(&filter).await?;
    let audit: Vec<_> = rows
        .iter()
        .map(|o| caller.audit("read", "obligation", Some(o.id), Some(o.child_id), now))
        .collect();
    state.audit.record(audit).await?;
    Ok(Json(Page {
        items: rows
            .iter()
            .map(|o| record_view(&state, &authorities, o, now))
            .collect(),
        page,
        per_page,
    }))
}

/// Discharges an obligation with a note: records an `action_recorded` event naming the rule
/// (or its share) in `satisfies`, and returns the recomputed obligations.
#[utoipa::path(post, path = "/api/v1/obligations/{id}/discharge", tag = "obligations", request_body = Discharge,
    params(("id" = i64, Path, description = "stored obligation ID")),
    responses((status = 201, body = RecordedEvent), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn discharge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(body): Body<Discharge>,
) -> Result<impl IntoResponse, ApiError> {
    let recorded = discharge_obligation(&state, &caller, id, &body.note, body.at.clone()).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(recorded.episode.version))],
        Json(recorded),
    ))
}

/// Discharges a stored obligation with a note, as an `action_recorded` event naming it in
/// `satisfies` (shared by the API and the HTML pages); `at` defaults to now.
pub async fn discharge_obligation(
    state: &AppState,
    caller: &Caller,
    id: i64,
    note: &str,
    at: Option<String>,
) -> Result<RecordedEvent, ApiError> {
    caller.require(Permission::RecordEvent)?;
    if note.trim().is_empty() {
        return Err(ApiError::validation("$.note", "say what was done"));
    }
    let obligation = state
        .store
        .obligation(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    child_access(state, caller, obligation.child_id, Permission::RecordEvent).await?;
    let episode = state
        .store
        .episode(obligation.episode_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let at = at.unwrap_or_else(|| protocol::output::format_instant(&state.calendar, state.now()));
    let tag = match &obligation.share {
        Some(s) => format!("{}/{s}", obligation.rule),
        None => obligation.rule.clone(),
    };
    let event = json!({
        "at": at, "type": "action_recorded",
        "data": {"action": format!("discharged {tag}"), "by": caller.user.display_name, "note": note},
        "satisfies": [tag],
    });
    record(state, caller, &episode, event, None, None).await
}
