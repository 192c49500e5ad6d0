//! Children: records, placements, profile documents, the whole timeline, and opening episodes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use protocol::vocabulary::{Concern, Flag, LegalStatus, PlacementType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{Authority, ChildFields, NewPlacement};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::episodes::{
    EpisodeView, EventView, ObligationView, code, episode_view, event_view, obligation_view,
};
use super::{Body, Page, PageQuery, etag, required_if_match};
use crate::access::{Permission, audited_file_read, audited_read, child_access};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::evaluation;
use crate::{AppState, micros};

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
#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Flags that are true, e.g. `cp_plan`, `open_to_csc`, `trigger_plan_exists`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Known concerns, e.g. `cse`, `cce`.
    #[serde(default)]
    pub concerns: Vec<String>,
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
    pub facts: Facts,
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
    pub facts: Facts,
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
    pub facts: Facts,
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

const DOCUMENT_KINDS: [&str; 4] = [
    "philomena_profile",
    "history_document",
    "trigger_plan",
    "pre_incident_risk_assessment",
];

fn placement_view(authorities: &[Authority], p: &store::Placement) -> PlacementView {
    PlacementView {
        id: p.id,
        placement: PlacementBody {
            responsible_authority: code(authorities, p.responsible_authority_id),
            host_authority: code(authorities, p.host_authority_id),
            legal_status: p.legal_status.clone(),
            placement_type: p.placement_type.clone(),
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
    c: &store::Child,
    placement: Option<&store::Placement>,
) -> ChildView {
    ChildView {
        id: c.id,
        version: c.version,
        name: c.name.clone(),
        dob: c.dob.clone(),
        facts: serde_json::from_str(&c.facts).unwrap_or_default(),
        placement: placement.map(|p| placement_view(authorities, p)),
    }
}

fn check_date(field: &str, s: &str) -> Result<jiff::civil::Date, ApiError> {
    let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    s.parse::<jiff::civil::Date>()
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| ApiError::validation(field, "expected a date YYYY-MM-DD"))
}

fn check_fields(
    state: &AppState,
    name: &str,
    dob: &str,
    facts: &Facts,
) -> Result<ChildFields, ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::validation("$.name", "must not be empty"));
    }
    let born = check_date("$.dob", dob)?;
    if born > state.calendar.local_date(state.now()) {
        return Err(ApiError::validation("$.dob", "is in the future"));
    }
    for (i, f) in facts.flags.iter().enumerate() {
        f.parse::<Flag>()
            .map_err(|e| ApiError::validation(format!("$.facts.flags[{i}]"), e.to_string()))?;
    }
    for (i, c) in facts.concerns.iter().enumerate() {
        c.parse::<Concern>()
            .map_err(|e| ApiError::validation(format!("$.facts.concerns[{i}]"), e.to_string()))?;
    }
    Ok(ChildFields {
        name: name.trim().to_owned(),
        dob: dob.to_owned(),
        facts: serde_json::to_string(facts).map_err(ApiError::internal)?,
    })
}

async fn check_placement(
    state: &AppState,
    p: &PlacementBody,
    prefix: &str,
) -> Result<NewPlacement, ApiError> {
    let authorities = state.store.authorities().await?;
    let find = |code: &str, field: &str| {
        authorities
            .iter()
            .find(|a| a.code == code)
            .cloned()
            .ok_or_else(|| {
                ApiError::validation(
                    format!("{prefix}.{field}"),
                    format!("no authority with code `{code}`"),
                )
            })
    };
    let responsible = find(&p.responsible_authority, "responsible_authority")?;
    let host = find(&p.host_authority, "host_authority")?;
    p.legal_status
        .parse::<LegalStatus>()
        .map_err(|e| ApiError::validation(format!("{prefix}.legal_status"), e.to_string()))?;
    p.placement_type
        .parse::<PlacementType>()
        .map_err(|e| ApiError::validation(format!("{prefix}.placement_type"), e.to_string()))?;
    if p.travel_minutes < 0 {
        return Err(ApiError::validation(
            format!("{prefix}.travel_minutes"),
            "must be 0 or more",
        ));
    }
    check_date(&format!("{prefix}.starts_on"), &p.starts_on)?;
    if let Some(reason) = p
        .change_reason
        .as_deref()
        .filter(|r| !store::is_change_reason(r))
    {
        return Err(ApiError::validation(
            format!("{prefix}.change_reason"),
            format!(
                "`{reason}` is not a DfE reason for a placement change; use one of {}",
                store::CHANGE_REASONS.map(|(c, _)| c).join(", ")
            ),
        ));
    }
    Ok(NewPlacement {
        responsible_authority_id: responsible.id,
        host_authority_id: host.id,
        legal_status: p.legal_status.clone(),
        placement_type: p.placement_type.clone(),
        police_force: p
            .police_force
            .clone()
            .filter(|f| !f.trim().is_empty())
            .unwrap_or(host.police_force),
        travel_minutes: p.travel_minutes,
        starts_on: p.starts_on.clone(),
        change_reason: p.change_reason.clone(),
    })
}

/// The authorities of the partnership and beyond.
#[utoipa::path(get, path = "/api/v1/authorities", tag = "children",
    responses((status = 200, body = [AuthorityView]), (status = 401, body = ErrorBody)))]
async fn list_authorities(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<AuthorityView>>, ApiError> {
    let list = state.store.authorities().await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AuthorityView {
                code: a.code,
                name: a.name,
                protocol: a.protocol,
                police_force: a.police_force,
            })
            .collect(),
    ))
}

/// Children the caller's authority may see (responsible, host or where an episode ended).
#[utoipa::path(get, path = "/api/v1/children", tag = "children", params(PageQuery),
    responses((status = 200, body = Page<ChildView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_children(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<ChildView>>, ApiError> {
    caller.require(Permission::ReadChild)?;
    let (limit, offset, page, per_page) = q.window()?;
    let children = state
        .store
        .children_for(caller.user.authority_id, limit, offset)
        .await?;
    let now = state.now();
    let audit: Vec<_> = children
        .iter()
        .map(|c| caller.audit("read", "child_list", Some(c.id), Some(c.id), now))
        .collect();
    state.audit.record(audit).await?;
    let authorities = state.store.authorities().await?;
    let items = children
        .iter()
        .map(|c| child_view(&authorities, c, None))
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
    caller.require(Permission::EditChild)?;
    let fields = check_fields(&state, &body.name, &body.dob, &body.facts)?;
    let placement = check_placement(&state, &body.placement, "$.placement").await?;
    if ![
        placement.responsible_authority_id,
        placement.host_authority_id,
    ]
    .contains(&caller.user.authority_id)
    {
        return Err(ApiError::validation(
            "$.placement",
            "your authority must be the responsible or host authority",
        ));
    }
    let now = state.now();
    let (child, placement) = state
        .store
        .create_child(
            &fields,
            &placement,
            micros(now),
            &caller.audit("write", "child", None, None, now),
        )
        .await?;
    let authorities = state.store.authorities().await?;
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
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Permission::ReadChild)?;
    let file = state
        .store
        .child_file(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited_file_read(&state, &caller, &file, "child").await?;
    let authorities = state.store.authorities().await?;
    let view = child_view(&authorities, &file.child, file.placement.as_ref());
    Ok(([(header::ETAG, etag(file.child.version))], Json(view)))
}

/// Changes a child's record; needs `If-Match` with the ETag read, and answers 409 if someone
/// else changed it since.
#[utoipa::path(put, path = "/api/v1/children/{id}", tag = "children", request_body = ChildUpdate,
    params(("id" = i64, Path, description = "child ID"), ("If-Match" = String, Header, description = "ETag of the version read")),
    responses((status = 200, body = ChildView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_child(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Body(body): Body<ChildUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    child_access(&state, &caller, id, Permission::EditChild).await?;
    let expected = required_if_match(&headers)?;
    let fields = check_fields(&state, &body.name, &body.dob, &body.facts)?;
    let now = state.now();
    let child = state
        .store
        .update_child(
            id,
            expected,
            &fields,
            micros(now),
            &caller.audit("write", "child", Some(id), Some(id), now),
        )
        .await?;
    recompute_child(&state, id).await?;
    let file = state
        .store
        .child_file(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let authorities = state.store.authorities().await?;
    Ok((
        [(header::ETAG, etag(child.version))],
        Json(child_view(&authorities, &child, file.placement.as_ref())),
    ))
}

/// Recomputes and stores a child's obligations after its facts changed.
pub async fn recompute_child(state: &AppState, child_id: i64) -> Result<(), ApiError> {
    let now = state.now();
    let (catalog, calendar) = (state.catalog.clone(), state.calendar.clone());
    let recompute =
        move |file: &store::ChildFile| evaluation::recompute(&catalog, &calendar, file, now);
    state
        .store
        .recompute(child_id, micros(now), &recompute)
        .await?;
    Ok(())
}

/// Everything about a child, with the obligations open now.
#[utoipa::path(get, path = "/api/v1/children/{id}/timeline", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = TimelineView), (status = 404, body = ErrorBody)))]
async fn child_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<TimelineView>, ApiError> {
    caller.require(Permission::ReadChild)?;
    let file = state
        .store
        .child_file(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited_file_read(&state, &caller, &file, "timeline").await?;
    // The file carries every authority its placement and episodes refer to.
    let authorities = file.authorities.clone();
    let placements = state.store.placements(id).await?;
    let documents = state.store.documents(id).await?;
    let now = state.now();
    let evaluated = evaluation::evaluate(&state.catalog, &state.calendar, &file, now)
        .map_err(ApiError::internal)?;
    let next_change = evaluated
        .next_change
        .map(|t| protocol::output::format_instant(&state.calendar, t));
    let obligations = evaluated
        .obligations
        .iter()
        .map(|(o, episode)| obligation_view(&state, &authorities, &file, o, *episode, now))
        .collect();
    let mut latest: Vec<&store::Document> = Vec::new();
    for d in &documents {
        latest.retain(|x| x.kind != d.kind);
        latest.push(d);
    }
    let episodes = file
        .episodes
        .iter()
        .map(|e| EpisodeWithEvents {
            episode: episode_view(&state, &authorities, e),
            events: file
                .events
                .iter()
                .filter(|x| x.episode_id == e.id)
                .map(|x| event_view(&state, x))
                .collect(),
        })
        .collect();
    Ok(Json(TimelineView {
        child: child_view(&authorities, &file.child, file.placement.as_ref()),
        placements: placements
            .iter()
            .map(|p| placement_view(&authorities, p))
            .collect(),
        documents: latest
            .into_iter()
            .map(|d| document_view(&state, d))
            .collect(),
        episodes,
        obligations,
        next_change,
    }))
}

fn document_view(state: &AppState, d: &store::Document) -> DocumentView {
    DocumentView {
        id: d.id,
        kind: d.kind.clone(),
        version: d.version,
        body: serde_json::from_str(&d.body).unwrap_or(Value::Null),
        recorded_by: d.recorded_by,
        recorded_at: protocol::output::format_instant(
            &state.calendar,
            crate::instant(d.recorded_at),
        ),
    }
}

/// A child's placements, oldest first.
#[utoipa::path(get, path = "/api/v1/children/{id}/placements", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = [PlacementView]), (status = 404, body = ErrorBody)))]
async fn list_placements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PlacementView>>, ApiError> {
    audited_read(&state, &caller, id, "placements", id).await?;
    let authorities = state.store.authorities().await?;
    Ok(Json(
        state
            .store
            .placements(id)
            .await?
            .iter()
            .map(|p| placement_view(&authorities, p))
            .collect(),
    ))
}

/// Moves a child to a new placement (the current one ends the day this starts).
#[utoipa::path(post, path = "/api/v1/children/{id}/placements", tag = "children", request_body = PlacementBody,
    params(("id" = i64, Path, description = "child ID")),
    responses((status = 201, body = PlacementView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_placement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(body): Body<PlacementBody>,
) -> Result<impl IntoResponse, ApiError> {
    child_access(&state, &caller, id, Permission::EditChild).await?;
    let placement = check_placement(&state, &body, "$").await?;
    let now = state.now();
    let p = state
        .store
        .add_placement(
            id,
            &placement,
            &caller.audit("write", "placement", None, Some(id), now),
        )
        .await?;
    recompute_child(&state, id).await?;
    let authorities = state.store.authorities().await?;
    Ok((StatusCode::CREATED, Json(placement_view(&authorities, &p))))
}

/// Every version of a child's profile documents.
#[utoipa::path(get, path = "/api/v1/children/{id}/documents", tag = "children", params(("id" = i64, Path, description = "child ID")),
    responses((status = 200, body = [DocumentView]), (status = 404, body = ErrorBody)))]
async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    audited_read(&state, &caller, id, "documents", id).await?;
    Ok(Json(
        state
            .store
            .documents(id)
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
    Path(id): Path<i64>,
    Body(body): Body<NewDocument>,
) -> Result<impl IntoResponse, ApiError> {
    let doc = store_document(&state, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(document_view(&state, &doc))))
}

/// Checks and stores a new version of a profile document (shared by the API and the child
/// page): only roles that edit children, for a child of theirs.
pub async fn store_document(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &NewDocument,
) -> Result<store::Document, ApiError> {
    child_access(state, caller, id, Permission::EditChild).await?;
    if !DOCUMENT_KINDS.contains(&body.kind.as_str()) {
        return Err(ApiError::validation(
            "$.kind",
            format!("one of {}", DOCUMENT_KINDS.join(", ")),
        ));
    }
    if !body.body.is_object() {
        return Err(ApiError::validation("$.body", "expected a JSON object"));
    }
    // Places frequented and associates feed the pattern views: checked before they are stored.
    if analytics::profile::KINDS.contains(&body.kind.as_str()) {
        analytics::profile::check(&body.body).map_err(|(f, m)| ApiError::validation(f, m))?;
    }
    let now = state.now();
    Ok(state
        .store
        .add_document(
            id,
            &body.kind,
            &body.body.to_string(),
            caller.user.id,
            micros(now),
            &caller.audit("write", "document", None, Some(id), now),
        )
        .await?)
}

/// Opens a missing episode under the child's current placement.
#[utoipa::path(post, path = "/api/v1/children/{id}/episodes", tag = "episodes", params(("id" = i64, Path, description = "child ID")),
    responses((status = 201, body = EpisodeView), (status = 404, body = ErrorBody)))]
async fn open_episode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    child_access(&state, &caller, id, Permission::OpenEpisode).await?;
    let now = state.now();
    let episode = state
        .store
        .open_episode(
            id,
            micros(now),
            &caller.audit("write", "episode", None, Some(id), now),
        )
        .await?;
    let authorities = state.store.authorities().await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(episode.version))],
        Json(episode_view(&state, &authorities, &episode)),
    ))
}
