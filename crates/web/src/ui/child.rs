//! Children: the list (with a name search), a child's page (profile, Philomena profile, trigger
//! plan, pre-incident risk assessment, episode history), and recording a new absence.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use casework::records::{Authority, AuthorityId, Child, ChildId, Document, Placement};
use casework::{ChildScope, Facts, Permission};

use super::forms::{Fields, FormErrors};
use super::layout::{Chrome, PageError, Viewer};
use super::records::EpisodeRow;
use crate::AppState;

/// A child in the list.
struct ChildLine {
    id: i64,
    name: String,
    dob: String,
    missing: bool,
    episodes: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "children.html")]
struct Children {
    chrome: Chrome,
    q: String,
    children: Vec<ChildLine>,
    page: usize,
    more: bool,
}

impl Children {
    /// The pagination links' start: the search kept.
    fn href(&self) -> String {
        if self.q.is_empty() {
            "/children?".to_owned()
        } else {
            let q: String = form_urlencoded(&self.q);
            format!("/children?q={q}&")
        }
    }
}

/// A search term as a URL query value.
fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Children per page of the list.
const PER_PAGE: usize = 50;

/// `?q=&page=` on the children list (`page` from 1).
#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
    page: Option<usize>,
}

/// `GET /children`: the caller's authority's children by name, optionally those whose name
/// contains the search, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<Search>,
) -> Result<impl IntoResponse, PageError> {
    let q = search.q.unwrap_or_default().trim().to_owned();
    let page = search.page.unwrap_or(1).max(1);
    let (rows, more) = state
        .casework
        .children(&viewer.caller, Some(&q), page - 1, PER_PAGE)
        .await?;
    let children = rows
        .into_iter()
        .map(|c| ChildLine {
            id: c.child.id.get(),
            name: c.child.name,
            dob: c.child.dob,
            missing: c.missing,
            episodes: c.episodes,
        })
        .collect();
    Ok(Children {
        chrome: viewer.chrome("Children", "children"),
        q,
        children,
        page,
        more,
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
pub fn documents(state: &AppState, all: &[Document]) -> Vec<Doc> {
    super::documents::DOCUMENTS
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
                            super::layout::when(state, d.recorded_at)
                        )
                    })
                    .unwrap_or_default(),
                lines: latest
                    .map(|d| document_lines(spec.kind, &d.body))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The profile lines of a child: age, placement, flags and concerns.
pub fn profile(
    state: &AppState,
    child: &Child,
    placement: Option<&Placement>,
    authorities: &[Authority],
) -> Vec<Line> {
    let now = state.now();
    let authority = |id: AuthorityId| {
        authorities
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let mut lines = vec![Line {
        key: "Date of birth".into(),
        value: match child.dob.parse::<jiff::civil::Date>() {
            Ok(d) => format!(
                "{} (age {})",
                d.strftime("%-d %B %Y"),
                state.casework.calendar().age_on(d, now)
            ),
            Err(_) => child.dob.clone(),
        },
    }];
    if let Some(p) = placement {
        lines.extend([
            Line {
                key: "Legal status".into(),
                value: words(p.legal_status.as_str()),
            },
            Line {
                key: "Placement".into(),
                value: words(p.placement_type.as_str()),
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
    let facts = Facts::of(child);
    for (key, list) in [("Flags", &facts.flags), ("Concerns", &facts.concerns)] {
        let list: Vec<String> = list.iter().map(|s| words(s)).collect();
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
    Path(id): Path<ChildId>,
) -> Result<Response, PageError> {
    render(&state, &viewer, id, StatusCode::OK, FormErrors::default()).await
}

/// Renders a child's page, with the photo form's errors after a failed upload.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    id: ChildId,
    status: StatusCode,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let now = state.now();
    let scope: ChildScope<'_> = state
        .casework
        .read_child(&viewer.caller, id, "child", id.get())
        .await?;
    let t = state.casework.timeline(&scope).await?;
    let mut episodes: Vec<EpisodeRow> = state
        .casework
        .child_episodes(&scope)
        .await?
        .iter()
        .map(|e| EpisodeRow::new(state, e, now))
        .collect();
    episodes.reverse();
    let page = ChildPage {
        chrome: viewer.chrome(t.child.name.clone(), "children"),
        id: id.get(),
        name: t.child.name.clone(),
        profile: profile(state, &t.child, t.placement(), &t.authorities),
        documents: documents(state, &t.documents),
        episodes,
        can_open: viewer.caller.may(Permission::OpenEpisode),
        can_edit: viewer.caller.may(Permission::EditChild),
        photo: super::photo::info(state, &scope).await?,
        errors,
    };
    Ok((status, page).into_response())
}

/// `POST /children/{id}/episodes`: records a new absence (opens an episode) and goes to it.
pub async fn open_episode(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ChildId>,
    Form(form): Form<Fields>,
) -> Result<impl IntoResponse, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let scope = state
        .casework
        .change_child(&viewer.caller, id, Permission::OpenEpisode)
        .await?;
    let episode = state.casework.open_episode(&scope).await?;
    Ok(Redirect::to(&format!("/episodes/{}", episode.id)))
}
