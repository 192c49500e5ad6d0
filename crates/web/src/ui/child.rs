//! Children: the list (with a name search), a child's page (profile, Philomena profile, trigger
//! plan, pre-incident risk assessment, episode history), and recording a new absence.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use super::caseload::{EpisodeRow, caseload};
use super::forms::{Fields, FormErrors};
use super::layout::{Chrome, PageError, Viewer};
use super::records::{current_obligations, episode_facts};
use crate::AppState;
use crate::access::{Permission, audited_file_read, child_access};
use crate::error::ApiError;
use crate::micros;

/// A child in the list.
struct ChildLine {
    id: i64,
    name: String,
    dob: String,
    missing: bool,
    episodes: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "children.html")]
struct Children {
    chrome: Chrome,
    q: String,
    children: Vec<ChildLine>,
}

/// `?q=` on the children list.
#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

/// `GET /children`: the caller's authority's children, optionally filtered by name.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<Search>,
) -> Result<impl IntoResponse, PageError> {
    let now = state.now();
    let q = search.q.unwrap_or_default().trim().to_owned();
    let needle = q.to_lowercase();
    let load = caseload(&state, &viewer.caller, "child_list", now).await?;
    let children = load
        .iter()
        .filter(|c| needle.is_empty() || c.file.child.name.to_lowercase().contains(&needle))
        .map(|c| ChildLine {
            id: c.file.child.id,
            name: c.file.child.name.clone(),
            dob: c.file.child.dob.clone(),
            missing: c.facts.iter().any(|f| f.missing),
            episodes: c.file.episodes.len(),
        })
        .collect();
    Ok(Children {
        chrome: viewer.chrome("Children", "children"),
        q,
        children,
    })
}

/// One line of a summary list.
pub struct Line {
    /// What.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// The latest version of a profile document, as lines.
pub struct Doc {
    /// Stored kind (empty for sections that are not documents).
    pub kind: &'static str,
    /// Heading.
    pub title: &'static str,
    /// The kind's fields with their current values, for the "record a new version" form.
    pub fields: Vec<(&'static str, &'static str, String)>,
    /// Recorded (UK time) and version, if recorded.
    pub recorded: String,
    /// Its fields.
    pub lines: Vec<Line>,
}

#[derive(Template, WebTemplate)]
#[template(path = "child.html")]
struct ChildPage {
    chrome: Chrome,
    id: i64,
    name: String,
    profile: Vec<Line>,
    documents: Vec<Doc>,
    episodes: Vec<EpisodeRow>,
    can_open: bool,
    can_edit: bool,
    photo: Option<super::photo::PhotoInfo>,
    errors: FormErrors,
}

/// A vocabulary word as people read it: `cp_plan` → `cp plan`.
pub fn words(s: &str) -> String {
    s.replace('_', " ")
}

fn document_lines(kind: &str, body: &str) -> Vec<Line> {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| Line {
            key: super::documents::label(kind, k)
                .map_or_else(|| super::forms::capitalised(&words(k)), str::to_owned),
            value: match v {
                Value::String(s) => s.clone(),
                Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::Bool(true) => "Yes".to_owned(),
                Value::Bool(false) => "No".to_owned(),
                other => other.to_string(),
            },
        })
        .collect()
}

/// The latest version of each profile document of a child.
pub async fn documents(state: &AppState, child_id: i64) -> Result<Vec<Doc>, ApiError> {
    let all = state.store.documents(child_id).await?;
    Ok(super::documents::DOCUMENTS
        .iter()
        .map(|spec| {
            let latest = all
                .iter()
                .filter(|d| d.kind == spec.kind)
                .max_by_key(|d| d.version);
            let body: Value = latest
                .and_then(|d| serde_json::from_str(&d.body).ok())
                .unwrap_or(Value::Null);
            Doc {
                kind: spec.kind,
                title: spec.title,
                fields: spec
                    .fields
                    .iter()
                    .map(|(name, label)| {
                        (
                            *name,
                            *label,
                            body[*name].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                recorded: latest
                    .map(|d| {
                        format!(
                            "Version {}, recorded {}",
                            d.version,
                            super::layout::when(state, crate::instant(d.recorded_at))
                        )
                    })
                    .unwrap_or_default(),
                lines: latest
                    .map(|d| document_lines(spec.kind, &d.body))
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// The profile lines of a child file: age, placement, flags and concerns.
pub fn profile(state: &AppState, file: &store::ChildFile) -> Vec<Line> {
    let now = state.now();
    let authority = |id: i64| {
        file.authorities
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let mut lines = vec![Line {
        key: "Date of birth".into(),
        value: match file.child.dob.parse::<jiff::civil::Date>() {
            Ok(d) => format!(
                "{} (age {})",
                d.strftime("%-d %B %Y"),
                state.calendar.age_on(d, now)
            ),
            Err(_) => file.child.dob.clone(),
        },
    }];
    if let Some(p) = &file.placement {
        lines.extend([
            Line {
                key: "Legal status".into(),
                value: words(&p.legal_status),
            },
            Line {
                key: "Placement".into(),
                value: words(&p.placement_type),
            },
            Line {
                key: "Responsible authority".into(),
                value: authority(p.responsible_authority_id),
            },
            Line {
                key: "Lives in".into(),
                value: authority(p.host_authority_id),
            },
            Line {
                key: "Police force".into(),
                value: p.police_force.clone(),
            },
        ]);
    }
    let facts: Value = serde_json::from_str(&file.child.facts).unwrap_or(Value::Null);
    for (key, field) in [("Flags", "flags"), ("Concerns", "concerns")] {
        let list: Vec<String> = facts[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(words)
            .collect();
        lines.push(Line {
            key: key.into(),
            value: if list.is_empty() {
                "None recorded".into()
            } else {
                list.join(", ")
            },
        });
    }
    lines
}

/// `GET /children/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    render(&state, &viewer, id, StatusCode::OK, FormErrors::default()).await
}

/// Renders a child's page, with the photo form's errors after a failed upload.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    status: StatusCode,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let now = state.now();
    let file = state
        .store
        .child_file(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited_file_read(state, &viewer.caller, &file, "child").await?;
    let obligations = if file.placement.is_some() && !file.episodes.is_empty() {
        current_obligations(state, &file, now).await?
    } else {
        Vec::new()
    };
    let facts = episode_facts(state, &file, now);
    let case = super::caseload::CaseChild {
        file,
        facts,
        obligations,
    };
    let mut episodes: Vec<EpisodeRow> = case
        .facts
        .iter()
        .map(|f| EpisodeRow::new(state, &case, f, now))
        .collect();
    episodes.reverse();
    let page = ChildPage {
        chrome: viewer.chrome(case.file.child.name.clone(), "children"),
        id,
        name: case.file.child.name.clone(),
        profile: profile(state, &case.file),
        documents: documents(state, id).await?,
        episodes,
        can_open: viewer.caller.role.allows(Permission::OpenEpisode),
        can_edit: viewer.caller.role.allows(Permission::EditChild),
        photo: super::photo::info(state, id).await?,
        errors,
    };
    Ok((status, page).into_response())
}

/// `POST /children/{id}/episodes`: records a new absence (opens an episode) and goes to it.
pub async fn open_episode(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<Fields>,
) -> Result<impl IntoResponse, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    child_access(&state, &viewer.caller, id, Permission::OpenEpisode).await?;
    let now = state.now();
    let episode = state
        .store
        .open_episode(
            id,
            micros(now),
            &viewer.caller.audit("write", "episode", None, Some(id), now),
        )
        .await?;
    Ok(Redirect::to(&format!("/episodes/{}", episode.id)))
}
