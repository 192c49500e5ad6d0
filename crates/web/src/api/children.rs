//! Children: records, placements, profile documents, the whole timeline, and opening episodes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use casework::records::{Authority, ChildId, Document};
use casework::{ChildChange, Facts, NewChild as NewChildInput, Permission, PlacementChange};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::episodes::{
    EpisodeView, EventView, ObligationView, code, episode_view, event_view, record_view,
};
use super::{Body, Page, PageQuery, etag, required_if_match};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_authorities))
        .routes(routes!(list_children, create_child))
        .routes(routes!(get_child, update_child))
        .routes(routes!(child_timeline))
        .routes(routes!(list_placements, add_placement))
        .routes(routes!(list_documents, add_document))
        .routes(routes!(open_episode))
}

/// An authority.
#[derive(Serialize, ToSchema)]
pub struct AuthorityView {
    /// Short code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Protocol followed, if in the partnership.
    pub protocol: Option<String>,
    /// Police force.
    pub police_force: String,
}

/// Flags and concerns of a child, in the timeline v1 vocabulary.
// Named `Facts` in the OpenAPI document, as it was before `casework::Facts` took the name here.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = Facts)]
#[serde(deny_unknown_fields)]
pub struct FactsBody {
    /// Flags that are true, e.g. `cp_plan`, `open_to_csc`, `trigger_plan_exists`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Known concerns, e.g. `cse`, `cce`.
    #[serde(default)]
    pub concerns: Vec<String>,
}

impl From<&FactsBody> for Facts {
    fn from(f: &FactsBody) -> Self {
        Facts {
            flags: f.flags.clone(),
            concerns: f.concerns.clone(),
        }
    }
}

impl From<Facts> for FactsBody {
    fn from(f: Facts) -> Self {
        FactsBody {
            flags: f.flags,
            concerns: f.concerns,
        }
    }
}

/// A placement as sent and shown (authorities by code).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementBody {
    /// Responsible (placing) authority code.
    pub responsible_authority: String,
    /// Authority where the child lives (code).
    pub host_authority: String,
    /// Legal status (`none`, `s20`, `s31_care_order`, `s38_interim_care_order`, `s21_accommodation`).
    pub legal_status: String,
    /// Placement type (`family_home`, `foster`, `residential`, `semi_independent`, `hospital`).
    pub placement_type: String,
    /// Police force covering the placement; the host authority's force if omitted.
    pub police_force: Option<String>,
    /// Travel minutes from the responsible authority.
    #[serde(default)]
    pub travel_minutes: i64,
    /// First day `YYYY-MM-DD`.
    pub starts_on: String,
    /// Why the child moved here from the previous placement, as the DfE SSDA903 return codes
    /// it (`REASON_PLACE_CHANGE`: `CARPL`, `CLOSE`, `ALLEG`, `STAND`, `APPRR`, `CREQB`, `CREQO`,
    /// `CHILD`, `LAREQ`, `PLACE`, `CUSTOD`, `OTHER`); the return needs it for every change of
    /// placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_reason: Option<String>,
}

/// A placement.
#[derive(Serialize, ToSchema)]
pub struct PlacementView {
    /// ID.
    pub id: i64,
    /// Details.
    #[serde(flatten)]
    pub placement: PlacementBody,
    /// Day after the last, if ended.
    pub ends_on: Option<String>,
}

/// A new child with a first placement.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChild {
    /// Full name.
    pub name: String,
    /// Date of birth `YYYY-MM-DD`.
    pub dob: String,
    /// Flags and concerns.
    #[serde(default)]
    pub facts: FactsBody,
    /// Where the child lives now.
    pub placement: PlacementBody,
}

/// Changes to a child's record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildUpdate {
    /// Full name.
    pub name: String,
    /// Date of birth.
    pub dob: String,
    /// Flags and concerns.
    pub facts: FactsBody,
}

/// A child's record.
#[derive(Serialize, ToSchema)]
pub struct ChildView {
    /// ID.
    pub id: i64,
    /// Version (also the ETag).
    pub version: i64,
    /// Full name.
    pub name: String,
    /// Date of birth.
    pub dob: String,
    /// Flags and concerns.
    pub facts: FactsBody,
    /// Current placement.
    pub placement: Option<PlacementView>,
}

/// A profile document version to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    /// `philomena_profile`, `history_document`, `trigger_plan` or `pre_incident_risk_assessment`.
    pub kind: String,
    /// The document's fields (a JSON object).
    pub body: Value,
}

/// One version of a profile document.
#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    /// ID.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Version, from 1.
    pub version: i64,
    /// Content.
    pub body: Value,
    /// Who recorded it (user ID).
    pub recorded_by: i64,
    /// When (Europe/London).
    pub recorded_at: String,
}

/// An episode with its events.
#[derive(Serialize, ToSchema)]
pub struct EpisodeWithEvents {
    /// The episode.
    #[serde(flatten)]
    pub episode: EpisodeView,
    /// Its events, corrections included, in recording order.
    pub events: Vec<EventView>,
}

/// Everything about a child: record, placements, latest documents, episodes with events, and
/// the obligations open now.
#[derive(Serialize, ToSchema)]
pub struct TimelineView {
    /// The record.
    pub child: ChildView,
    /// Placements, oldest first.
    pub placements: Vec<PlacementView>,
    /// Latest version of each profile document.
    pub documents: Vec<DocumentView>,
    /// Episodes, oldest first.
    pub episodes: Vec<EpisodeWithEvents>,
    /// Obligations open now, computed by the engine.
    pub obligations: Vec<ObligationView>,
    /// When the obligations next change without a new event (a threshold or deadline), for
    /// countdowns; absent when nothing is still to come.
    pub next_change: Option<String>,
}

impl PlacementBody {
    fn change(&self) -> PlacementChange {
        PlacementChange {
            responsible_authority: self.responsible_authority.clone(),
            host_authority: self.host_authority.clone(),
            legal_status: self.legal_status.clone(),
            placement_type: self.placement_type.clone(),
            police_force: self.police_force.clone(),
            travel_minutes: self.travel_minutes,
            starts_on: self.starts_on.clone(),
            change_reason: self.change_reason.clone(),
        }
    }
}

fn placement_view(authorities: &[Authority], p: &casework::records::Placement) -> PlacementView {
    PlacementView {
        id: p.id.get(),
        placement: PlacementBody {
            responsible_authority: code(authorities, p.responsible_authority_id),
            host_authority: code(authorities, p.host_authority_id),
            legal_status: p.legal_status.as_str().to_owned(),
            placement_type: p.placement_type.as_str().to_owned(),
            police_force: Some(p.police_force.clone()),
            travel_minutes: p.travel_minutes,
            starts_on: p.starts_on.clone(),
            change_reason: p.change_reason.clone(),
        },
        ends_on: p.ends_on.clone(),
    }
}

fn child_view(
    authorities: &[Authority],
    c: &casework::records::Child,
    placement: Option<&casework::records::Placement>,
) -> ChildView {
    ChildView {
        id: c.id.get(),
        version: c.version,
        name: c.name.clone(),
        dob: c.dob.clone(),
        facts: Facts::of(c).into(),
        placement: placement.map(|p| placement_view(authorities, p)),
    }
}

fn document_view(state: &AppState, d: &Document) -> DocumentView {
    DocumentView {
        id: d.id.get(),
        kind: d.kind.clone(),
        version: d.version,
        body: serde_json::from_str(&d.body).unwrap_or(Value::Null),
        recorded_by: d.recorded_by.get(),
        recorded_at: state.format(d.recorded_at),
    }
}

/// The authorities of the partnership and beyond.
#[utoipa::path(get, path = "/api/v1/authorities", tag = "children",
    responses((status = 200, body = [AuthorityView]), (status = 401, body = ErrorBody)))]
async fn list_authorities(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AuthorityView>>, ApiError> {
    let list = state.casework.authorities().await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AuthorityView {
                code: a.code,
                name: a.name,
                protocol: a.protocol.map(|p| p.as_str().to_owned()),
                police_force: a.police_force,
            })
            .collect(),
    ))
}

/// Children the caller's authority may see (responsible, host or where an episode ended), by
/// name; the list is audited as one read naming every child on the page.
#[utoipa::path(get, path = "/api/v1/children", tag = "children", params(PageQuery),
    responses((status = 200, body = Page<ChildView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_children(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<ChildView>>, ApiError> {
    let (limit, offset, page, per_page) = q.window()?;
    let (rows, _) = state
        .casework
        .children(&caller, None, (offset / limit) as usize, limit as usize)
        .await?;
    let items = rows
        .iter()
        .map(|c| child_view(&[], &c.child, None))
        .collect();
    Ok(Json(Page {
        items,
        page,
        per_page,
    }))
}

/// Records a new child with a first placement; the caller's authority must be its responsible
/// or host authority.
#[utoipa::path(post, path = "/api/v1/children", tag = "children", request_body = NewChild,
    responses((status = 201, body = ChildView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_child(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<NewChild>,
) -> Result<impl IntoResponse, ApiError> {
    let (child, placement) = state
        .casework
        .create_child(
            &caller,
            &NewChildInput {
                record: ChildChange {
                    name: body.name,
                    dob: body.dob,
                    facts: (&body.facts).into(),
                },
                placement: body.placement.change(),
            },
        )
        .await?;
    let authorities = state.casework.authorities().await?;
    let view = child_view(&authorities, &child, Some(&placement));
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(child.version))],
        Json(view),
    ))
}

/// A child's record, with its ETag.
#[utoipa::path(get, path = "/api/v1/children/{id}", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = ChildView), (status = 404, body = ErrorBody)))]
async fn get_child(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = state
        .casework
        .read_child(&caller, id, "child", id.get())
        .await?;
    let (child, placement) = state.casework.child_record(&scope).await?;
    let authorities = state.casework.authorities().await?;
    let view = child_view(&authorities, &child, placement.as_ref());
    Ok(([(header::ETAG, etag(child.version))], Json(view)))
}

/// Changes a child's record; needs `If-Match` with the ETag read, and answers 409 if someone
/// else changed it since. The child's obligations are recomputed in the same transaction.
#[utoipa::path(put, path = "/api/v1/children/{id}", tag = "children", request_body = ChildUpdate,
    params(("id" = i64, Path, description = "child ID"), ("If-Match" = String, Header, description = "ETag of the version read")),
    responses((status = 200, body = ChildView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_child(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
    headers: HeaderMap,
    Body(body): Body<ChildUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = state
        .casework
        .change_child(&caller, id, Permission::EditChild)
        .await?;
    let expected = required_if_match(&headers)?;
    let child = state
        .casework
        .update_child(
            &scope,
            expected,
            &ChildChange {
                name: body.name,
                dob: body.dob,
                facts: (&body.facts).into(),
            },
        )
        .await?;
    let (_, placement) = state.casework.child_record(&scope).await?;
    let authorities = state.casework.authorities().await?;
    Ok((
        [(header::ETAG, etag(child.version))],
        Json(child_view(&authorities, &child, placement.as_ref())),
    ))
}

/// Everything about a child, with the obligations open now (as stored, with their IDs).
#[utoipa::path(get, path = "/api/v1/children/{id}/timeline", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = TimelineView), (status = 404, body = ErrorBody)))]
async fn child_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
) -> Result<Json<TimelineView>, ApiError> {
    let scope = state
        .casework
        .read_child(&caller, id, "timeline", id.get())
        .await?;
    let t = state.casework.timeline(&scope).await?;
    let authorities = &t.authorities;
    let now = state.now();
    let episodes = t
        .episodes
        .iter()
        .map(|e| EpisodeWithEvents {
            episode: episode_view(&state, authorities, e),
            events: t
                .events
                .iter()
                .filter(|x| x.episode_id == e.id)
                .map(|x| event_view(&state, x))
                .collect(),
        })
        .collect();
    Ok(Json(TimelineView {
        child: child_view(authorities, &t.child, t.placement()),
        placements: t
            .placements
            .iter()
            .map(|p| placement_view(authorities, p))
            .collect(),
        documents: t
            .documents
            .iter()
            .map(|d| document_view(&state, d))
            .collect(),
        episodes,
        obligations: t
            .obligations
            .iter()
            .map(|o| record_view(&state, authorities, o, now))
            .collect(),
        next_change: t.next_change.map(|n| state.format(n)),
    }))
}

/// A child's placements, oldest first.
#[utoipa::path(get, path = "/api/v1/children/{id}/placements", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = [PlacementView]), (status = 404, body = ErrorBody)))]
async fn list_placements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
) -> Result<Json<Vec<PlacementView>>, ApiError> {
    let scope = state
        .casework
        .read_child(&caller, id, "placements", id.get())
        .await?;
    let authorities = state.casework.authorities().await?;
    Ok(Json(
        state
            .casework
            .placements(&scope)
            .await?
            .iter()
            .map(|p| placement_view(&authorities, p))
            .collect(),
    ))
}

/// Moves a child to a new placement (the current one ends the day this starts); the child's
/// obligations are recomputed in the same transaction.
#[utoipa::path(post, path = "/api/v1/children/{id}/placements", tag = "children", request_body = PlacementBody,
    params(("id" = i64, Path, description = "child ID")),
    responses((status = 201, body = PlacementView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_placement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
    Body(body): Body<PlacementBody>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = state
        .casework
        .change_child(&caller, id, Permission::EditChild)
        .await?;
    let p = state.casework.add_placement(&scope, &body.change()).await?;
    let authorities = state.casework.authorities().await?;
    Ok((StatusCode::CREATED, Json(placement_view(&authorities, &p))))
}

/// Every version of a child's profile documents.
#[utoipa::path(get, path = "/api/v1/children/{id}/documents", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = [DocumentView]), (status = 404, body = ErrorBody)))]
async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    let scope = state
        .casework
        .read_child(&caller, id, "documents", id.get())
        .await?;
    Ok(Json(
        state
            .casework
            .documents(&scope)
            .await?
            .iter()
            .map(|d| document_view(&state, d))
            .collect(),
    ))
}

/// Records a new version of a profile document (earlier versions are kept).
#[utoipa::path(post, path = "/api/v1/children/{id}/documents", tag = "children", request_body = NewDocument,
    params(("id" = i64, Path, description = "child ID")),
    responses((status = 201, body = DocumentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
    Body(body): Body<NewDocument>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = state
        .casework
        .change_child(&caller, id, Permission::EditChild)
        .await?;
    let doc = state
        .casework
        .add_document(&scope, &body.kind, &body.body)
        .await?;
    Ok((StatusCode::CREATED, Json(document_view(&state, &doc))))
}

/// Opens a missing episode under the child's current placement.
#[utoipa::path(post, path = "/api/v1/children/{id}/episodes", tag = "episodes", params(("id" = i64, Path, description = "child ID")),
    responses((status = 201, body = EpisodeView), (status = 404, body = ErrorBody)))]
async fn open_episode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ChildId>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = state
        .casework
        .change_child(&caller, id, Permission::OpenEpisode)
        .await?;
    let episode = state.casework.open_episode(&scope).await?;
    let authorities = state.casework.authorities().await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(episode.version))],
        Json(episode_view(&state, &authorities, &episode)),
    ))
}
