//! Obligations across children: overdue and due soon, per authority or owner role; and
//! discharging one with a note.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use casework::records::{DueWindow, ObligationId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::episodes::{ObligationView, RecordedEvent, record_view, recorded_view};
use super::{Body, Page, etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

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
    let (limit, offset, page, per_page) = super::PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    if let Some(c) = &q.authority {
        let authority = state.casework.authority_by_code(c, "$.authority").await?;
        if authority.id != caller.authority() {
            return Err(ApiError::forbidden());
        }
    }
    let owner_role = q
        .owner_role
        .as_deref()
        .map(|r| {
            r.parse::<protocol::vocabulary::OwnerRole>()
                .map_err(|e| ApiError::validation("$.owner_role", e.to_string()))
        })
        .transpose()?;
    let now = state.now();
    let window = match (q.overdue, q.due_within_hours) {
        (Some(true), _) => DueWindow::Before(now.into()),
        (_, Some(h)) if !(1..=24 * 90).contains(&h) => {
            return Err(ApiError::validation(
                "$.due_within_hours",
                "between 1 and 2160",
            ));
        }
        (_, Some(h)) => DueWindow::Between(
            now.into(),
            (now + jiff::SignedDuration::from_hours(h)).into(),
        ),
        _ => DueWindow::Any,
    };
    let rows = state
        .casework
        .obligations(&caller, owner_role, window, limit, offset)
        .await?;
    let authorities = state.casework.authorities().await?;
    Ok(Json(Page {
        items: rows
            .iter()
            .map(|r| record_view(&state, &authorities, &r.obligation, now))
            .collect(),
        page,
        per_page,
    }))
}

/// Discharges an obligation with a note: records an `action_recorded` event naming the rule
/// (or its share) in `satisfies`, and returns the recomputed obligations. An obligation that
/// has ended (met, or no longer given by the engine) answers 409 `obligation_ended`, naming in
/// `details.replaced_by` the open obligations of the same rule on the same episode.
#[utoipa::path(post, path = "/api/v1/obligations/{id}/discharge", tag = "obligations", request_body = Discharge,
    params(("id" = i64, Path, description = "stored obligation ID")),
    responses((status = 201, body = RecordedEvent), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn discharge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ObligationId>,
    Body(body): Body<Discharge>,
) -> Result<impl IntoResponse, ApiError> {
    let recorded = state
        .casework
        .discharge(&caller, id, &body.note, body.at.as_deref())
        .await?;
    let view = recorded_view(&state, &recorded).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(view.episode.version))],
        Json(view),
    ))
}
