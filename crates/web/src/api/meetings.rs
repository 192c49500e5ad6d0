//! Meetings (with attendees and action items) and return home interviews (offered, completed,
//! declined, no engagement; signed off by a manager). Each is stored with the timeline event the
//! engine reads, so recording one recomputes the obligations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{ChildFile, NewAction, NewInterview, NewMeeting};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::episodes::{EventIn, ObligationView, checked_event, records_view};
use super::{Body, etag, required_if_match};
use crate::access::{Permission, audited_read, child_access};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, evaluation, instant, micros};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetings, record_meeting))
        .routes(routes!(list_interviews, record_interview))
        .routes(routes!(sign_off))
}

/// Someone at a meeting.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    /// Name.
    pub name: String,
    /// Role or job title.
    #[serde(default)]
    pub role: String,
    /// Agency.
    #[serde(default)]
    pub agency: String,
}

/// An action agreed at a meeting.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: String,
    /// By when (ISO-8601 with offset).
    pub due: Option<String>,
}

/// A meeting to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    /// `strategy`, `core_group`, `complex_strategy`, `safeguarding`, `etac`, `intervention`,
    /// `second_stage_intervention`, `weekly_missing` or `other`.
    pub meeting_type: String,
    /// When it was held (ISO-8601 with offset).
    pub held_at: String,
    /// Who chaired it.
    pub chair: String,
    /// Held face to face (default true).
    #[serde(default = "yes")]
    pub face_to_face: bool,
    /// Who attended.
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// Decisions taken.
    #[serde(default)]
    pub decisions: String,
    /// Actions agreed.
    #[serde(default)]
    pub actions: Vec<ActionItem>,
    /// Obligations this meeting discharges explicitly (rule IDs or share tags).
    #[serde(default)]
    pub satisfies: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A recorded meeting.
#[derive(Serialize, ToSchema)]
pub struct MeetingView {
    /// ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// Meeting type.
    pub meeting_type: String,
    /// When held.
    pub held_at: String,
    /// Chair.
    pub chair: String,
    /// Attendees.
    pub attendees: Vec<Attendee>,
    /// Decisions.
    pub decisions: String,
    /// Actions agreed.
    pub actions: Vec<ActionItem>,
}

/// A meeting just recorded, with the recomputed obligations.
#[derive(Serialize, ToSchema)]
pub struct RecordedMeeting {
    /// The meeting.
    pub meeting: MeetingView,
    /// The child's obligations, recomputed.
    pub obligations: Vec<ObligationView>,
}

/// A return interview outcome to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewBody {
    /// `offered`, `completed`, `declined` or `no_engagement`.
    pub outcome: String,
    /// When (ISO-8601 with offset).
    pub at: String,
    /// Who offered or held it.
    pub interviewer: String,
    /// `in_person`, `telephone` or `video`.
    pub mode: Option<String>,
    /// Push factors identified.
    #[serde(default)]
    pub push_factors: String,
    /// Pull factors identified.
    #[serde(default)]
    pub pull_factors: String,
    /// Sensitive disclosures; shown only to social workers, managers and interviewers.
    #[serde(default)]
    pub disclosures: String,
    /// Obligations this discharges explicitly (rule IDs or share tags).
    #[serde(default)]
    pub satisfies: Vec<String>,
}

/// A return interview record.
#[derive(Serialize, ToSchema)]
pub struct InterviewView {
    /// ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// Version (also the ETag).
    pub version: i64,
    /// Outcome.
    pub outcome: String,
    /// When.
    pub at: String,
    /// Interviewer.
    pub interviewer: String,
    /// Mode.
    pub mode: Option<String>,
    /// Push factors.
    pub push_factors: String,
    /// Pull factors.
    pub pull_factors: String,
    /// Sensitive disclosures; absent for roles that may not see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosures: Option<String>,
    /// Signed off by (user ID).
    pub signed_off_by: Option<i64>,
    /// When signed off.
    pub signed_off_at: Option<String>,
}

/// An interview just recorded, with the recomputed obligations.
#[derive(Serialize, ToSchema)]
pub struct RecordedInterview {
    /// The record.
    pub interview: InterviewView,
    /// The child's obligations, recomputed.
    pub obligations: Vec<ObligationView>,
}

fn at(field: &str, s: &str) -> Result<jiff::Timestamp, ApiError> {
    protocol::timeline::parse_instant(s).map_err(|m| ApiError::validation(field, m))
}

fn when(state: &AppState, us: i64) -> String {
    protocol::output::format_instant(&state.calendar, instant(us))
}

fn meeting_view(state: &AppState, m: &store::Meeting) -> MeetingView {
    MeetingView {
        id: m.id,
        episode_id: m.episode_id,
        meeting_type: m.meeting_type.clone(),
        held_at: when(state, m.held_at),
        chair: m.chair.clone(),
        attendees: serde_json::from_str(&m.attendees).unwrap_or_default(),
        decisions: m.decisions.clone(),
        actions: m
            .actions
            .iter()
            .map(|a| ActionItem {
                description: a.description.clone(),
                owner: a.owner.clone(),
                due: a.due_at.map(|d| when(state, d)),
            })
            .collect(),
    }
}

fn interview_view(state: &AppState, caller: &Caller, i: &store::Interview) -> InterviewView {
    InterviewView {
        id: i.id,
        episode_id: i.episode_id,
        version: i.version,
        outcome: i.outcome.clone(),
        at: when(state, i.at),
        interviewer: i.interviewer.clone(),
        mode: i.mode.clone(),
        push_factors: i.push_factors.clone(),
        pull_factors: i.pull_factors.clone(),
        disclosures: caller
            .role
            .allows(Permission::ReadDisclosures)
            .then(|| i.disclosures.clone()),
        signed_off_by: i.signed_off_by,
        signed_off_at: i.signed_off_at.map(|t| when(state, t)),
    }
}

/// An episode the caller may act on with permission `p`; 404 when not theirs to see.
pub async fn episode_for(
    state: &AppState,
    caller: &Caller,
    id: i64,
    p: Permission,
) -> Result<store::Episode, ApiError> {
    caller.require(p)?;
    let episode = state
        .store
        .episode(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    child_access(state, caller, episode.child_id, p).await?;
    Ok(episode)
}

fn recompute(
    state: &AppState,
) -> impl Fn(&ChildFile) -> Result<Vec<store::NewObligation>, String> + Sync + use<> {
    let (catalog, calendar, now) = (state.catalog.clone(), state.calendar.clone(), state.now());
    move |file: &ChildFile| evaluation::recompute(&catalog, &calendar, file, now)
}

/// An episode's meetings with their actions.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/meetings", tag = "meetings", params(("id" = i64, Path, description = "episode ID")),
    responses((status = 200, body = [MeetingView]), (status = 404, body = ErrorBody)))]
async fn list_meetings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<MeetingView>>, ApiError> {
    let episode = episode_for(&state, &caller, id, Permission::ReadChild).await?;
    audited_read(&state, &caller, episode.child_id, "meetings", id).await?;
    Ok(Json(
        state
            .store
            .meetings(id)
            .await?
            .iter()
            .map(|m| meeting_view(&state, m))
            .collect(),
    ))
}

/// Records a meeting with its attendees, decisions and actions; the `meeting_held` event it
/// implies is recorded with it and the obligations recomputed.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/meetings", tag = "meetings", request_body = MeetingBody,
    params(("id" = i64, Path, description = "episode ID")),
    responses((status = 201, body = RecordedMeeting), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_meeting(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(body): Body<MeetingBody>,
) -> Result<impl IntoResponse, ApiError> {
    let episode = episode_for(&state, &caller, id, Permission::RecordEvent).await?;
    let (m, obligations) = store_meeting(&state, &caller, &episode, &body).await?;
    let now = state.now();
    let obligations = records_view(&state, &obligations, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(RecordedMeeting {
            meeting: meeting_view(&state, &m),
            obligations,
        }),
    ))
}

/// Checks and stores a meeting with the `meeting_held` event it implies, recomputing the
/// obligations (shared by the API and the meeting page). The caller's access to the episode is
/// already checked.
pub async fn store_meeting(
    state: &AppState,
    caller: &Caller,
    episode: &store::Episode,
    body: &MeetingBody,
) -> Result<(store::Meeting, Vec<store::ObligationRecord>), ApiError> {
    if body.chair.trim().is_empty() {
        return Err(ApiError::validation(
            "$.chair",
            "say who chaired the meeting",
        ));
    }
    let held = at("$.held_at", &body.held_at)?;
    let mut actions = Vec::new();
    for (i, a) in body.actions.iter().enumerate() {
        if a.description.trim().is_empty() || a.owner.trim().is_empty() {
            return Err(ApiError::validation(
                format!("$.actions[{i}]"),
                "an action needs a description and an owner",
            ));
        }
        let due = a
            .due
            .as_deref()
            .map(|d| at(&format!("$.actions[{i}].due"), d))
            .transpose()?;
        actions.push(NewAction {
            description: a.description.clone(),
            owner: a.owner.clone(),
            due_at: due.map(micros),
        });
    }
    let event = json!({"at": body.held_at, "type": "meeting_held",
        "data": {"meeting_type": body.meeting_type, "chair": body.chair, "face_to_face": body.face_to_face}, "satisfies": body.satisfies});
    let new_event = checked_event(state, caller, episode, &event, EventIn::TopLevel).await?;
    let meeting = NewMeeting {
        meeting_type: body.meeting_type.clone(),
        held_at: micros(held),
        chair: body.chair.clone(),
        attendees: serde_json::to_string(&body.attendees).map_err(ApiError::internal)?,
        decisions: body.decisions.clone(),
        actions,
    };
    let now = state.now();
    let (m, obligations) = state
        .store
        .record_meeting(
            episode.id,
            &meeting,
            &new_event,
            &recompute(state),
            &caller.audit("write", "meeting", None, Some(episode.child_id), now),
        )
        .await?;
    Ok((m, obligations))
}

/// An episode's return interview records; disclosures only for roles that need them.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/interviews", tag = "interviews", params(("id" = i64, Path, description = "episode ID")),
    responses((status = 200, body = [InterviewView]), (status = 404, body = ErrorBody)))]
async fn list_interviews(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<InterviewView>>, ApiError> {
    let episode = episode_for(&state, &caller, id, Permission::ReadChild).await?;
    audited_read(&state, &caller, episode.child_id, "interviews", id).await?;
    Ok(Json(
        state
            .store
            .interviews(id)
            .await?
            .iter()
            .map(|i| interview_view(&state, &caller, i))
            .collect(),
    ))
}

/// Records a return interview outcome; the matching event (`rhi_offered`, `rhi_completed`,
/// `rhi_declined`, or an `action_recorded` for no engagement) is recorded with it.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/interviews", tag = "interviews", request_body = InterviewBody,
    params(("id" = i64, Path, description = "episode ID")),
    responses((status = 201, body = RecordedInterview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_interview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(body): Body<InterviewBody>,
) -> Result<impl IntoResponse, ApiError> {
    let episode = episode_for(&state, &caller, id, Permission::RecordInterview).await?;
    let (i, obligations) = store_interview(&state, &caller, &episode, &body).await?;
    let now = state.now();
    let obligations = records_view(&state, &obligations, now).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(i.version))],
        Json(RecordedInterview {
            interview: interview_view(&state, &caller, &i),
            obligations,
        }),
    ))
}

/// Checks and stores a return interview outcome with the event it implies, recomputing the
/// obligations (shared by the API and the interview page). Access is already checked.
pub async fn store_interview(
    state: &AppState,
    caller: &Caller,
    episode: &store::Episode,
    body: &InterviewBody,
) -> Result<(store::Interview, Vec<store::ObligationRecord>), ApiError> {
    let when_at = at("$.at", &body.at)?;
    if body.interviewer.trim().is_empty() {
        return Err(ApiError::validation(
            "$.interviewer",
            "say who offered or held the interview",
        ));
    }
    let (kind, data) = match body.outcome.as_str() {
        "offered" => (
            "rhi_offered",
            json!({"by": body.interviewer, "mode": body.mode}),
        ),
        "completed" => (
            "rhi_completed",
            json!({"by": body.interviewer, "mode": body.mode}),
        ),
        "declined" => ("rhi_declined", json!({"by": body.interviewer})),
        "no_engagement" => (
            "action_recorded",
            json!({"action": "return interview: no engagement", "by": body.interviewer}),
        ),
        _ => {
            return Err(ApiError::validation(
                "$.outcome",
                "one of offered, completed, declined, no_engagement",
            ));
        }
    };
    let mut data = data;
    if let Some(map) = data.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    let event = json!({"at": body.at, "type": kind, "data": data, "satisfies": body.satisfies});
    let new_event = checked_event(state, caller, episode, &event, EventIn::TopLevel).await?;
    let interview = NewInterview {
        outcome: body.outcome.clone(),
        at: micros(when_at),
        interviewer: body.interviewer.clone(),
        mode: body.mode.clone(),
        push_factors: body.push_factors.clone(),
        pull_factors: body.pull_factors.clone(),
        disclosures: body.disclosures.clone(),
    };
    let now = state.now();
    let (i, obligations) = state
        .store
        .record_interview(
            episode.id,
            &interview,
            &new_event,
            &recompute(state),
            &caller.audit("write", "interview", None, Some(episode.child_id), now),
        )
        .await?;
    Ok((i, obligations))
}

/// A team or senior manager signs off an interview record; needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/interviews/{id}/sign-off", tag = "interviews",
    params(("id" = i64, Path, description = "interview ID"), ("If-Match" = String, Header, description = "ETag of the version read")),
    responses((status = 200, body = InterviewView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn sign_off(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let expected = required_if_match(&headers)?;
    let signed = sign_off_interview(&state, &caller, id, expected).await?;
    Ok((
        [(header::ETAG, etag(signed.version))],
        Json(interview_view(&state, &caller, &signed)),
    ))
}

/// Signs off an interview record at version `expected` (shared by the API and the interview
/// page): only team and senior managers with access to the child.
pub async fn sign_off_interview(
    state: &AppState,
    caller: &Caller,
    id: i64,
    expected: i64,
) -> Result<store::Interview, ApiError> {
    caller.require(Permission::SignOff)?;
    let interview = state
        .store
        .interview(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let episode = episode_for(state, caller, interview.episode_id, Permission::SignOff).await?;
    let now = state.now();
    Ok(state
        .store
        .sign_off_interview(
            id,
            expected,
            caller.user.id,
            micros(now),
            &caller.audit("write", "interview", Some(id), Some(episode.child_id), now),
        )
        .await?)
}
