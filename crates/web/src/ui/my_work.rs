//! My work: the caller's overdue, due-soon and later obligations (their role's queue in their
//! authority) with live countdowns, the meeting actions still to do, and their authority's
//! open episodes by risk — read from the casework layer's lists, a page at a time.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;

use super::episode::{ActionRow, action_row};
use super::forms::FormErrors;
use super::layout::{Chrome, PageError, Viewer};
use super::records::{EpisodeRow, ObligationRow};
use crate::AppState;

/// `?page=` on a paged list (from 1).
#[derive(serde::Deserialize)]
pub struct PageNumber {
    page: Option<usize>,
}

impl PageNumber {
    /// The page asked for, 1 if none.
    pub fn page(&self) -> usize {
        self.page.unwrap_or(1)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "my_work.html")]
struct MyWork {
    chrome: Chrome,
    overdue: Vec<ObligationRow>,
    soon: Vec<ObligationRow>,
    later: Vec<ObligationRow>,
    page: usize,
    more: bool,
    episodes: Vec<EpisodeRow>,
    actions: Vec<ActionRow>,
    owners: String,
    errors: FormErrors,
}

/// `GET /my-work`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageNumber>,
) -> Result<impl IntoResponse, PageError> {
    let now = state.now();
    let page = q.page().max(1);
    let work = state.casework.my_work(&viewer.caller, page - 1).await?;
    let rows = |list: &[casework::records::QueueRow]| -> Vec<ObligationRow> {
        list.iter()
            .map(|r| ObligationRow::new(&state, &r.obligation, &r.child_name, now))
            .collect()
    };
    Ok(MyWork {
        overdue: rows(&work.overdue),
        soon: rows(&work.soon),
        later: rows(&work.later),
        page,
        more: work.more,
        actions: work
            .actions
            .iter()
            .map(|a| action_row(&state, &a.action, (a.episode_id.get(), &a.child_name), now))
            .collect(),
        episodes: work
            .missing
            .iter()
            .map(|e| EpisodeRow::new(&state, e, now))
            .collect(),
        chrome: viewer.chrome("My work", "my-work"),
        owners: work
            .owner_roles
            .iter()
            .map(|r| super::layout::role_label(r.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        errors: FormErrors::default(),
    })
}
