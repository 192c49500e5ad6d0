//! Printable documents generated from the record: the Leadership Alert and the Strategic
//! Missing Person Notification of an episode, and a child's trigger plan / police pack. Each is
//! an HTML page with a print stylesheet (no PDF: no well-kept pure-Rust crate renders HTML and
//! CSS to PDF, and the browser's "Save as PDF" gives one from the same page).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use casework::records::{ChildId, EpisodeId};

use super::child::{Doc, Line, documents, profile};
use super::episode::{EventLine, timeline};
use super::layout::{Chrome, PageError, Viewer, when};
use super::records::{ObligationRow, risk_tag};
use crate::AppState;

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
    id: EpisodeId,
    title: &str,
    purpose: &str,
) -> Result<Response, PageError> {
    let (scope, episode) = state
        .casework
        .read_episode(&viewer.caller, id, "print")
        .await?;
    let r = state.casework.episode_record(&scope, &episode).await?;
    let t = state.casework.timeline(&scope).await?;
    let now = state.now();
    let fact = r.status.as_ref().map(|e| &e.status);
    let obligations = r
        .obligations
        .iter()
        .map(|o| ObligationRow::new(state, o, &r.child.name, now))
        .collect();
    let since = fact.map_or(episode.opened_at, |f| f.since).timestamp();
    let found = fact.and_then(|f| f.found_at).map(|t| t.timestamp());
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
        line("Police risk grading", risk_tag(fact.and_then(|f| f.risk)).0),
    ];
    let page = PrintPage {
        chrome: viewer.chrome(title, ""),
        title: title.to_owned(),
        purpose: purpose.to_owned(),
        printed: format!(
            "Generated from Homeward on {} (UK time) by {}",
            when(state, now),
            viewer.caller.user().display_name
        ),
        child_name: r.child.name.clone(),
        child_id: r.child.id.get(),
        back: format!("/episodes/{id}"),
        photo: super::photo::info(state, &scope).await?,
        sections: vec![
            Doc {
                kind: "",
                fields: Vec::new(),
                title: "The child",
                recorded: String::new(),
                lines: profile(state, &t.child, t.placement(), &t.authorities),
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
        timeline: timeline(state, &r.events, &r.names),
    };
    Ok(page.into_response())
}

/// `GET /episodes/{id}/print/leadership-alert`.
pub async fn leadership_alert(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
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
    Path(id): Path<EpisodeId>,
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
    Path(id): Path<ChildId>,
) -> Result<Response, PageError> {
    let scope = state
        .casework
        .read_child(&viewer.caller, id, "print", id.get())
        .await?;
    let t = state.casework.timeline(&scope).await?;
    let now = state.now();
    let mut sections = vec![Doc {
        kind: "",
        fields: Vec::new(),
        title: "The child",
        recorded: String::new(),
        lines: profile(&state, &t.child, t.placement(), &t.authorities),
    }];
    sections.extend(documents(&state, &t.documents));
    let history: Vec<Line> = state
        .casework
        .child_episodes(&scope)
        .await?
        .iter()
        .rev()
        .take(10)
        .map(|e| {
            let f = &e.status;
            line(
                &when(&state, f.since),
                match f.found_at {
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
            viewer.caller.user().display_name
        ),
        child_name: t.child.name.clone(),
        child_id: id.get(),
        back: format!("/children/{id}"),
        photo: super::photo::info(&state, &scope).await?,
        sections,
        obligations: Vec::new(),
        timeline: Vec::new(),
    };
    Ok(page.into_response())
}
