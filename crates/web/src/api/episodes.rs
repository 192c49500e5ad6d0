//! Episodes and their events. Recording an event returns the child's recomputed obligations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use jiff::Timestamp;
use protocol::Obligation;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{Authority, ChildFile, NewEvent};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Body, etag, if_match, required_if_match};
use crate::access::{Permission, audited_read, child_access};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::evaluation::{self, overdue};
use crate::{AppState, instant, micros};

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
    /// Stored ID (absent for obligations computed for display).
    pub id: Option<i64>,
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
    /// `open` or `overdue`.
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
pub fn code(authorities: &[Authority], id: i64) -> String {
    authorities
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.code.clone())
        .unwrap_or_default()
}

pub fn episode_view(
    state: &AppState,
    authorities: &[Authority],
    e: &store::Episode,
) -> EpisodeView {
    EpisodeView {
        id: e.id,
        child_id: e.child_id,
        version: e.version,
        responsible_authority: code(authorities, e.responsible_authority_id),
        host_authority: code(authorities, e.host_authority_id),
        finder_authority: e.finder_authority_id.map(|id| code(authorities, id)),
        opened_at: protocol::output::format_instant(&state.calendar, instant(e.opened_at)),
    }
}

pub fn event_view(state: &AppState, e: &store::EventRecord) -> EventView {
    EventView {
        id: e.id,
        episode_id: e.episode_id,
        event: serde_json::from_str(&e.body).unwrap_or(Value::Null),
        recorded_by: e.recorded_by,
        recorded_at: protocol::output::format_instant(&state.calendar, instant(e.recorded_at)),
        corrects_event_id: e.corrects_event_id,
        correction_reason: e.correction_reason.clone(),
    }
}

/// The view of an obligation computed now for display.
pub fn obligation_view(
    state: &AppState,
    authorities: &[Authority],
    file: &ChildFile,
    o: &Obligation,
    episode_id: i64,
    now: Timestamp,
) -> ObligationView {
    let stored = evaluation::recompute_one(&state.catalog, file, o, episode_id);
    ObligationView {
        id: None,
        child_id: file.child.id,
        episode_id,
        rule: stored.rule,
        share: stored.share,
        action: stored.action,
        owner_role: stored.owner_role,
        authority: code(authorities, stored.authority_id),
        citation: stored.citation,
        due: o
            .due
            .map(|d| protocol::output::format_instant(&state.calendar, d)),
        status: status(o.due.map(micros), now),
    }
}

/// The view of a stored obligation, with its status at `now`.
pub fn record_view(
    state: &AppState,
    authorities: &[Authority],
    o: &store::ObligationRecord,
    now: Timestamp,
) -> ObligationView {
    ObligationView {
        id: Some(o.id),
        child_id: o.child_id,
        episode_id: o.episode_id,
        rule: o.rule.clone(),
        share: o.share.clone(),
        action: o.action.clone(),
        owner_role: o.owner_role.clone(),
        authority: code(authorities, o.authority_id),
        citation: o.citation.clone(),
        due: o
            .due
            .map(|d| protocol::output::format_instant(&state.calendar, instant(d))),
        status: status(o.due, now),
    }
}

fn status(due: Option<i64>, now: Timestamp) -> String {
    if overdue(due, now) { "overdue" } else { "open" }.to_owned()
}

/// An episode with its ETag.
#[utoipa::path(get, path = "/api/v1/episodes/{id}", tag = "episodes", params(("id" = i64, Path, description = "episode ID")),
    responses((status = 200, body = EpisodeView), (status = 404, body = ErrorBody)))]
async fn get_episode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Permission::ReadChild)?;
    let episode = state
        .store
        .episode(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited_read(&state, &caller, episode.child_id, "episode", id).await?;
    let authorities = state.store.authorities().await?;
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
    Path(id): Path<i64>,
    headers: HeaderMap,
    Body(body): Body<EpisodeUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Permission::OpenEpisode)?;
    let episode = state
        .store
        .episode(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    child_access(&state, &caller, episode.child_id, Permission::OpenEpisode).await?;
    let expected = required_if_match(&headers)?;
    let authorities = state.store.authorities().await?;
    let finder = match &body.finder_authority {
        None => None,
        Some(c) => Some(
            authorities
                .iter()
                .find(|a| &a.code == c)
                .map(|a| a.id)
                .ok_or_else(|| {
                    ApiError::validation(
                        "$.finder_authority",
                        format!("no authority with code `{c}`"),
                    )
                })?,
        ),
    };
    let now = state.now();
    let updated = state
        .store
        .set_finder(
            id,
            expected,
            finder,
            &caller.audit("write", "episode", Some(id), Some(episode.child_id), now),
        )
        .await?;
    super::children::recompute_child(&state, episode.child_id).await?;
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
    Path(id): Path<i64>,
    headers: HeaderMap,
    Body(body): Body<NewEventBody>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Permission::RecordEvent)?;
    let episode = state
        .store
        .episode(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    child_access(&state, &caller, episode.child_id, Permission::RecordEvent).await?;
    let expected = if_match(&headers)?;
    let recorded = record(
        &state,
        &caller,
        &episode,
        body.event,
        body.correction_of
            .map(|c| (c, body.reason.unwrap_or_default())),
        expected,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(recorded.episode.version))],
        Json(recorded),
    ))
}

/// Where a request carries the event it implies, so errors can name the request's own field.
#[derive(Clone, Copy)]
pub enum EventIn {
    /// The whole event is one field of the request (`$.event`).
    Field(&'static str),
    /// The request's top-level fields are the event's data fields (meetings, interviews).
    TopLevel,
}

impl EventIn {
    fn field(self, rest: &str) -> String {
        match self {
            EventIn::Field(prefix) => format!("{prefix}{rest}"),
            EventIn::TopLevel => format!("${}", rest.strip_prefix(".data").unwrap_or(rest)),
        }
    }
}

/// Checks a new event exactly as `homeward evaluate` checks a file, in the context of the
/// child's stored file; errors name the request's field. The event must not be dated in the
/// future (five minutes' leeway for clocks).
pub async fn checked_event(
    state: &AppState,
    caller: &Caller,
    episode: &store::Episode,
    event: &Value,
    place: EventIn,
) -> Result<NewEvent, ApiError> {
    let now = state.now();
    let file = state
        .store
        .child_file(episode.child_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let doc = evaluation::document(&state.calendar, &file, now, Some((event, episode.id)))
        .map_err(|e| ApiError::validation("$", e.to_string()))?;
    if let Err(e) = protocol::timeline::parse(&doc.json.to_string(), &state.catalog) {
        let own = doc.extra_index.map(|k| format!("$.events[{k}]"));
        let field = match own.as_deref().and_then(|p| e.path.strip_prefix(p)) {
            Some(rest) => place.field(rest),
            None => e.path.clone(),
        };
        return Err(ApiError::validation(field, e.message));
    }
    let at = event["at"]
        .as_str()
        .and_then(|s| protocol::timeline::parse_instant(s).ok())
        .ok_or_else(|| ApiError::validation(place.field(".at"), "missing"))?;
    if at > now + jiff::SignedDuration::from_mins(5) {
        return Err(ApiError::validation(place.field(".at"), "is in the future"));
    }
    Ok(NewEvent {
        at: micros(at),
        body: event.to_string(),
        correction: None,
        recorded_by: caller.user.id,
        recorded_at: micros(now),
    })
}

/// The view of stored obligations at `now`.
pub async fn records_view(
    state: &AppState,
    obligations: &[store::ObligationRecord],
    now: jiff::Timestamp,
) -> Result<Vec<ObligationView>, ApiError> {
    let authorities = state.store.authorities().await?;
    Ok(obligations
        .iter()
        .map(|o| record_view(state, &authorities, o, now))
        .collect())
}

/// Checks and stores an event, recomputing the child's obligations (shared with discharges).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    episode: &store::Episode,
    event: Value,
    correction: Option<(i64, String)>,
    expected: Option<i64>,
) -> Result<RecordedEvent, ApiError> {
    let now = state.now();
    if let Some((_, reason)) = &correction
        && reason.trim().is_empty()
    {
        return Err(ApiError::validation(
            "$.reason",
            "a correction needs a reason",
        ));
    }
    let new = NewEvent {
        correction,
        ..checked_event(state, caller, episode, &event, EventIn::Field("$.event")).await?
    };
    let (catalog, calendar) = (state.catalog.clone(), state.calendar.clone());
    let recompute = move |file: &ChildFile| evaluation::recompute(&catalog, &calendar, file, now);
    let (episode, record, obligations) = state
        .store
        .append_event(
            episode.id,
            expected,
            &new,
            &recompute,
            &caller.audit("write", "event", None, Some(episode.child_id), now),
        )
        .await?;
    let authorities = state.store.authorities().await?;
    Ok(RecordedEvent {
        event: event_view(state, &record),
        episode: episode_view(state, &authorities, &episode),
        obligations: obligations
            .iter()
            .map(|o| record_view(state, &authorities, o, now))
            .collect(),
    })
}
