//! Episodes and their events. Recording an event returns the child's recomputed obligations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use casework::records::{
    Authority, AuthorityId, EpisodeId, EventId, EventRecord, ObligationRecord,
};
use casework::{Permission, Recorded};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Body, etag, if_match, required_if_match};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_episode, update_episode))
        .routes(routes!(record_event))
}

/// A missing episode.
#[derive(Serialize, ToSchema)]
pub struct EpisodeView {
    /// ID.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// Version (also the ETag).
    pub version: i64,
    /// Responsible authority (code) when opened.
    pub responsible_authority: String,
    /// Host authority (code) when opened.
    pub host_authority: String,
    /// Authority (code) where the child came to notice or was found, if elsewhere.
    pub finder_authority: Option<String>,
    /// When opened (Europe/London).
    pub opened_at: String,
}

/// A recorded event.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// The event in timeline v1 shape.
    pub event: Value,
    /// Who recorded it (user ID).
    pub recorded_by: i64,
    /// When it was recorded (Europe/London).
    pub recorded_at: String,
    /// The event this corrects.
    pub corrects_event_id: Option<i64>,
    /// Why it was corrected.
    pub correction_reason: Option<String>,
}

/// An obligation with its deadline and status.
#[derive(Serialize, ToSchema)]
pub struct ObligationView {
    /// Stored ID: it stays the same for as long as the engine gives the obligation.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// Episode.
    pub episode_id: i64,
    /// Rule ID of the catalogue.
    pub rule: String,
    /// Share of a two-party rule (`CARER`, `POLICE`, `SW`, `SAFETY`).
    pub share: Option<String>,
    /// What must be done.
    pub action: String,
    /// Whose work it is.
    pub owner_role: String,
    /// Authority (code) whose protocol demands it.
    pub authority: String,
    /// Seed file and paragraph.
    pub citation: String,
    /// Deadline (Europe/London), or none stated.
    pub due: Option<String>,
    /// `open` or `overdue`; `met` or `ended` once it is no longer open.
    pub status: String,
}

/// Changes to an episode.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeUpdate {
    /// Code of the authority where the child came to notice or was found; null to clear.
    pub finder_authority: Option<String>,
}

/// An event to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEventBody {
    /// The event in timeline v1 shape: `at`, `type`, `data`, optional `satisfies`.
    pub event: Value,
    /// ID of an event of this episode that this one corrects (replaces).
    pub correction_of: Option<i64>,
    /// Why the correction is made (required with `correction_of`).
    pub reason: Option<String>,
}

/// The result of recording an event.
#[derive(Serialize, ToSchema)]
pub struct RecordedEvent {
    /// The stored event.
    pub event: EventView,
    /// The episode, with its new version.
    pub episode: EpisodeView,
    /// The child's obligations, recomputed.
    pub obligations: Vec<ObligationView>,
}

/// The code of an authority by ID (empty if unknown).
pub fn code(authorities: &[Authority], id: AuthorityId) -> String {
    authorities
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.code.clone())
        .unwrap_or_default()
}

pub fn episode_view(
    state: &AppState,
    authorities: &[Authority],
    e: &casework::records::Episode,
) -> EpisodeView {
    EpisodeView {
        id: e.id.get(),
        child_id: e.child_id.get(),
        version: e.version,
        responsible_authority: code(authorities, e.responsible_authority_id),
        host_authority: code(authorities, e.host_authority_id),
        finder_authority: e.finder_authority_id.map(|id| code(authorities, id)),
        opened_at: state.format(e.opened_at),
    }
}

pub fn event_view(state: &AppState, e: &EventRecord) -> EventView {
    EventView {
        id: e.id.get(),
        episode_id: e.episode_id.get(),
        event: serde_json::from_str(&e.body).unwrap_or(Value::Null),
        recorded_by: e.recorded_by.get(),
        recorded_at: state.format(e.recorded_at),
        corrects_event_id: e.corrects_event_id.map(EventId::get),
        correction_reason: e.correction_reason.clone(),
    }
}

/// The view of a stored obligation, with its status at `now`.
pub fn record_view(
    state: &AppState,
    authorities: &[Authority],
    r: &ObligationRecord,
    now: jiff::Timestamp,
) -> ObligationView {
    let o = &r.obligation;
    ObligationView {
        id: r.id.get(),
        child_id: r.child_id.get(),
        episode_id: o.episode_id.get(),
        rule: o.rule.clone(),
        share: o.share.map(|s| s.as_str().to_owned()),
        action: o.action.clone(),
        owner_role: o
            .owner_role
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        authority: code(authorities, o.authority_id),
        citation: o.citation.clone(),
        due: o.due.map(|d| state.format(d)),
        status: status(r, now).to_owned(),
    }
}

fn status(r: &ObligationRecord, now: jiff::Timestamp) -> &'static str {
    match r.obligation.ended {
        Some(casework::records::Ended::Discharged) => "met",
        Some(_) => "ended",
        None if casework::evaluation::overdue(r.obligation.due, now) => "overdue",
        None => "open",
    }
}

/// The view of stored obligations at `now`.
pub async fn records_view(
    state: &AppState,
    obligations: &[ObligationRecord],
) -> Result<Vec<ObligationView>, ApiError> {
    let authorities = state.casework.authorities().await?;
    let now = state.now();
    Ok(obligations
        .iter()
        .map(|o| record_view(state, &authorities, o, now))
        .collect())
}

/// The result of recording an event, as the API shows it.
pub async fn recorded_view(state: &AppState, r: &Recorded) -> Result<RecordedEvent, ApiError> {
    let authorities = state.casework.authorities().await?;
    let now = state.now();
    Ok(RecordedEvent {
        event: event_view(state, &r.event),
        episode: episode_view(state, &authorities, &r.episode),
        obligations: r
            .obligations
            .iter()
            .map(|o| record_view(state, &authorities, o, now))
            .collect(),
    })
}

/// An episode with its ETag.
#[utoipa::path(get, path = "/api/v1/episodes/{id}", tag = "episodes", params(("id" = i64, Path, description = "episode ID")),
    responses((status = 200, body = EpisodeView), (status = 404, body = ErrorBody)))]
async fn get_episode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
) -> Result<impl IntoResponse, ApiError> {
    let (_, episode) = state.casework.read_episode(&caller, id, "episode").await?;
    let authorities = state.casework.authorities().await?;
    Ok((
        [(header::ETAG, etag(episode.version))],
        Json(episode_view(&state, &authorities, &episode)),
    ))
}

/// Records where the child came to notice or was found (the finder authority, which then may
/// see the child); needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/episodes/{id}", tag = "episodes", request_body = EpisodeUpdate,
    params(("id" = i64, Path, description = "episode ID"), ("If-Match" = String, Header, description = "ETag of the version read")),
    responses((status = 200, body = EpisodeView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_episode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
    headers: HeaderMap,
    Body(body): Body<EpisodeUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    let (scope, episode) = state
        .casework
        .change_episode(&caller, id, Permission::OpenEpisode)
        .await?;
    let expected = required_if_match(&headers)?;
    let updated = state
        .casework
        .set_finder(&scope, &episode, expected, body.finder_authority.as_deref())
        .await?;
    let authorities = state.casework.authorities().await?;
    Ok((
        [(header::ETAG, etag(updated.version))],
        Json(episode_view(&state, &authorities, &updated)),
    ))
}

/// Records an event (timeline v1 shape) on an episode. The event is checked exactly as
/// `homeward evaluate` checks a file; the child's obligations are recomputed in the same
/// transaction and returned. `If-Match` is optional: when sent, a stale version gives 409.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/events", tag = "episodes", request_body = NewEventBody,
    params(("id" = i64, Path, description = "episode ID"), ("If-Match" = Option<String>, Header, description = "ETag of the episode read")),
    responses((status = 201, body = RecordedEvent), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
    headers: HeaderMap,
    Body(body): Body<NewEventBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (scope, episode) = state
        .casework
        .change_episode(&caller, id, Permission::RecordEvent)
        .await?;
    let expected = if_match(&headers)?;
    let correction = body
        .correction_of
        .map(|c| (EventId(c), body.reason.unwrap_or_default()));
    let recorded = state
        .casework
        .record_event(&scope, &episode, &body.event, correction, expected)
        .await?;
    let view = recorded_view(&state, &recorded).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(view.episode.version))],
        Json(view),
    ))
}
