//! Printable documents generated from the record: the Leadership Alert and the Strategic
//! Missing Person Notification of an episode, and a child's trigger plan / police pack. Each is
//! an HTML page with a print stylesheet (no PDF: no well-kept pure-Rust crate renders HTML and
//! CSS to PDF, and the browser's "Save as PDF" gives one from the same page).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::child::{Doc, Line, documents, profile};
use super::episode::{EventLine, episode_for, timeline};
use super::layout::{Chrome, PageError, Viewer, when};
use super::records::{ObligationRow, current_obligations, episode_facts, risk_tag};
use crate::access::{Permission, audited_file_read};
use crate::error::ApiError;
use crate::{AppState, instant};

#[derive(Template, WebTemplate)]
#[template(path = "print.html")]
struct PrintPage {
    chrome: Chrome,
    title: String,
    purpose: String,
    printed: String,
    child_name: String,
    child_id: i64,
    back: String,
    photo: Option<super::photo::PhotoInfo>,
    sections: Vec<Doc>,
    obligations: Vec<ObligationRow>,
    timeline: Vec<EventLine>,
}

fn line(key: &str, value: impl Into<String>) -> Line {
    Line {
        key: key.to_owned(),
        value: value.into(),
    }
}

/// An episode's document: the child's profile, what happened, what is owed, the timeline.
async fn episode_document(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    title: &str,
    purpose: &str,
) -> Result<Response, PageError> {
    let episode = episode_for(state, viewer, id, Permission::ReadChild).await?;
    let file = state
        .store
        .child_file(episode.child_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited_file_read(state, &viewer.caller, &file, "print").await?;
    let now = state.now();
    let fact = episode_facts(state, &file, now)
        .into_iter()
        .find(|f| f.episode_id == id);
    let obligations = current_obligations(state, &file, now)
        .await?
        .iter()
        .filter(|o| o.episode_id == id)
        .map(|o| ObligationRow::new(state, o, &file.child.name, now))
        .collect();
    let since = fact
        .as_ref()
        .map_or(instant(episode.opened_at), |f| f.since);
    let found = fact.as_ref().and_then(|f| f.found);
    let incident = vec![
        line("Missing since", format!("{} (UK time)", when(state, since))),
        line(
            "Now",
            match found {
                Some(t) => format!("Found {} (UK time)", when(state, t)),
                None => "Still missing".to_owned(),
            },
        ),
        line(
            "Hours missing",
            super::layout::hours_since(since, found.unwrap_or(now)).to_string(),
        ),
        line(
            "Police risk grading",
            risk_tag(fact.as_ref().and_then(|f| f.risk)).0,
        ),
    ];
    let page = PrintPage {
        chrome: viewer.chrome(title, ""),
        title: title.to_owned(),
        purpose: purpose.to_owned(),
        printed: format!(
            "Generated from Homeward on {} (UK time) by {}",
            when(state, now),
            viewer.caller.user.display_name
        ),
        child_name: file.child.name.clone(),
        child_id: file.child.id,
        back: format!("/episodes/{id}"),
        photo: super::photo::info(state, file.child.id).await?,
        sections: vec![
            Doc {
                kind: "",
                fields: Vec::new(),
                title: "The child",
                recorded: String::new(),
                lines: profile(state, &file),
            },
            Doc {
                kind: "",
                fields: Vec::new(),
                title: "The incident",
                recorded: String::new(),
                lines: incident,
            },
        ],
        obligations,
        timeline: timeline(state, &file, id).await?,
    };
    Ok(page.into_response())
}

/// `GET /episodes/{id}/print/leadership-alert`.
pub async fn leadership_alert(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    episode_document(
        &state,
        &viewer,
        id,
        "Leadership Alert: missing child",
        "To alert heads of service and directors to a child missing, and track the actions required. Complete within 24 hours of the child being confirmed missing; update after each strategy meeting.",
    )
    .await
}

/// `GET /episodes/{id}/print/strategic-notification`.
pub async fn strategic_notification(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    episode_document(
        &state,
        &viewer,
        id,
        "Strategic Missing Person Notification",
        "To be completed when a child is missing and sent to the managers the protocol names; the obligations below show who must be told and by when.",
    )
    .await
}

/// `GET /children/{id}/print/police-pack`: trigger plan, Philomena profile, pre-incident risk
/// assessment, history and photo, for the police.
pub async fn police_pack(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let file = state
        .store
        .child_file(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited_file_read(&state, &viewer.caller, &file, "print").await?;
    let now = state.now();
    let mut sections = vec![Doc {
        kind: "",
        fields: Vec::new(),
        title: "The child",
        recorded: String::new(),
        lines: profile(&state, &file),
    }];
    sections.extend(documents(&state, id).await?);
    let facts = episode_facts(&state, &file, now);
    let history: Vec<Line> = facts
        .iter()
        .rev()
        .take(10)
        .map(|f| {
            line(
                &when(&state, f.since),
                match f.found {
                    Some(t) => format!("{}; found {}", risk_tag(f.risk).0, when(&state, t)),
                    None => format!("{}; still missing", risk_tag(f.risk).0),
                },
            )
        })
        .collect();
    sections.push(Doc {
        kind: "",
        fields: Vec::new(),
        title: "Recent episodes (latest 10)",
        recorded: String::new(),
        lines: history,
    });
    let page = PrintPage {
        chrome: viewer.chrome("Trigger plan and police pack", ""),
        title: "Trigger plan and police pack".to_owned(),
        purpose: "What the police need to find this child: who they are, where they may go, the risks, and what to do.".to_owned(),
        printed: format!(
            "Generated from Homeward on {} (UK time) by {}",
            when(&state, now),
            viewer.caller.user.display_name
        ),
        child_name: file.child.name.clone(),
        child_id: id,
        back: format!("/children/{id}"),
        photo: super::photo::info(&state, id).await?,
        sections,
        obligations: Vec::new(),
        timeline: Vec::new(),
    };
    Ok(page.into_response())
}
