//! Meetings (with attendees and action items) and return home interviews (offered, completed,
//! declined, no engagement; signed off by a manager). Each is stored with the timeline event the
//! engine reads, so recording one recomputes the obligations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use casework::records::{EpisodeId, Interview, InterviewId, Meeting};
use casework::{ActionInput, Actor, Attendee, InterviewInput, MeetingInput, Permission};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::episodes::{ObligationView, records_view};
use super::{Body, etag, required_if_match};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetings, record_meeting))
        .routes(routes!(list_interviews, record_interview))
        .routes(routes!(sign_off))
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

impl MeetingBody {
    fn input(&self) -> MeetingInput {
        MeetingInput {
            meeting_type: self.meeting_type.clone(),
            held_at: self.held_at.clone(),
            chair: self.chair.clone(),
            face_to_face: self.face_to_face,
            attendees: self.attendees.clone(),
            decisions: self.decisions.clone(),
            actions: self
                .actions
                .iter()
                .map(|a| ActionInput {
                    description: a.description.clone(),
                    owner: a.owner.clone(),
                    due: a.due.clone(),
                })
                .collect(),
            satisfies: self.satisfies.clone(),
        }
    }
}

impl InterviewBody {
    fn input(&self) -> InterviewInput {
        InterviewInput {
            outcome: self.outcome.clone(),
            at: self.at.clone(),
            interviewer: self.interviewer.clone(),
            mode: self.mode.clone(),
            push_factors: self.push_factors.clone(),
            pull_factors: self.pull_factors.clone(),
            disclosures: self.disclosures.clone(),
            satisfies: self.satisfies.clone(),
        }
    }
}

fn meeting_view(state: &AppState, m: &Meeting) -> MeetingView {
    MeetingView {
        id: m.id.get(),
        episode_id: m.episode_id.get(),
        meeting_type: m.meeting_type.as_str().to_owned(),
        held_at: state.format(m.held_at),
        chair: m.chair.clone(),
        attendees: serde_json::from_str(&m.attendees).unwrap_or_default(),
        decisions: m.decisions.clone(),
        actions: m
            .actions
            .iter()
            .map(|a| ActionItem {
                description: a.description.clone(),
                owner: a.owner.clone(),
                due: a.due_at.map(|d| state.format(d)),
            })
            .collect(),
    }
}

fn interview_view(state: &AppState, actor: &Actor, i: &Interview) -> InterviewView {
    InterviewView {
        id: i.id.get(),
        episode_id: i.episode_id.get(),
        version: i.version,
        outcome: i.outcome.as_str().to_owned(),
        at: state.format(i.at),
        interviewer: i.interviewer.clone(),
        mode: i.mode.map(|m| m.as_str().to_owned()),
        push_factors: i.push_factors.clone(),
        pull_factors: i.pull_factors.clone(),
        disclosures: actor
            .may(Permission::ReadDisclosures)
            .then(|| i.disclosures.clone()),
        signed_off_by: i.signed_off_by.map(|u| u.get()),
        signed_off_at: i.signed_off_at.map(|t| state.format(t)),
    }
}

/// An episode's meetings, oldest first.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/meetings", tag = "meetings", params(("id" = i64, Path, description = "episode ID")),
    responses((status = 200, body = [MeetingView]), (status = 404, body = ErrorBody)))]
async fn list_meetings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
) -> Result<Json<Vec<MeetingView>>, ApiError> {
    let (scope, episode) = state.casework.read_episode(&caller, id, "meetings").await?;
    Ok(Json(
        state
            .casework
            .meetings(&scope, &episode)
            .await?
            .iter()
            .map(|m| meeting_view(&state, m))
            .collect(),
    ))
}

/// Records a meeting with its attendees, decisions and actions; the `meeting_held` event is
/// recorded with it and the child's obligations recomputed in the same transaction.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/meetings", tag = "meetings", request_body = MeetingBody,
    params(("id" = i64, Path, description = "episode ID")),
    responses((status = 201, body = RecordedMeeting), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_meeting(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
    Body(body): Body<MeetingBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (scope, episode) = state
        .casework
        .change_episode(&caller, id, Permission::RecordEvent)
        .await?;
    let m = state
        .casework
        .record_meeting(&scope, &episode, &body.input())
        .await?;
    let obligations = state.casework.child_obligations(&scope).await?;
    Ok((
        StatusCode::CREATED,
        Json(RecordedMeeting {
            meeting: meeting_view(&state, &m),
            obligations: records_view(&state, &obligations).await?,
        }),
    ))
}

/// An episode's interview records, oldest first (disclosures only for roles that may read them).
#[utoipa::path(get, path = "/api/v1/episodes/{id}/interviews", tag = "interviews", params(("id" = i64, Path, description = "episode ID")),
    responses((status = 200, body = [InterviewView]), (status = 404, body = ErrorBody)))]
async fn list_interviews(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
) -> Result<Json<Vec<InterviewView>>, ApiError> {
    let (scope, episode) = state
        .casework
        .read_episode(&caller, id, "interviews")
        .await?;
    Ok(Json(
        state
            .casework
            .interviews(&scope, &episode)
            .await?
            .iter()
            .map(|i| interview_view(&state, &caller, i))
            .collect(),
    ))
}

/// Records a return interview outcome; its event is recorded with it and the child's
/// obligations recomputed in the same transaction.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/interviews", tag = "interviews", request_body = InterviewBody,
    params(("id" = i64, Path, description = "episode ID")),
    responses((status = 201, body = RecordedInterview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_interview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EpisodeId>,
    Body(body): Body<InterviewBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (scope, episode) = state
        .casework
        .change_episode(&caller, id, Permission::RecordInterview)
        .await?;
    let i = state
        .casework
        .record_interview(&scope, &episode, &body.input())
        .await?;
    let obligations = state.casework.child_obligations(&scope).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(i.version))],
        Json(RecordedInterview {
            interview: interview_view(&state, &caller, &i),
            obligations: records_view(&state, &obligations).await?,
        }),
    ))
}

/// A team or senior manager signs off an interview record; needs `If-Match`.
#[utoipa::path(post, path = "/api/v1/interviews/{id}/sign-off", tag = "interviews",
    params(("id" = i64, Path, description = "interview ID"), ("If-Match" = String, Header, description = "ETag of the version read")),
    responses((status = 200, body = InterviewView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn sign_off(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<InterviewId>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let expected = required_if_match(&headers)?;
    let signed = state
        .casework
        .sign_off_interview(&caller, id, expected)
        .await?;
    Ok((
        [(header::ETAG, etag(signed.version))],
        Json(interview_view(&state, &caller, &signed)),
    ))
}
