//! Missing now: the partnership board of every open episode the caller's authority can see,
//! with risk, hours missing and the next deadline: the daily list the protocols describe.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;

use super::layout::{Chrome, PageError, Viewer, when};
use super::my_work::PageNumber;
use super::records::EpisodeRow;
use crate::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "missing_now.html")]
struct MissingNow {
    chrome: Chrome,
    board: Vec<EpisodeRow>,
    as_at: String,
    page: usize,
    more: bool,
}

/// `GET /missing-now`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageNumber>,
) -> Result<impl IntoResponse, PageError> {
    let now = state.now();
    let page = q.page().max(1);
    let (rows, more) = state.casework.missing_now(&viewer.caller, page - 1).await?;
    Ok(MissingNow {
        chrome: viewer.chrome("Missing now", "missing-now"),
        board: rows
            .iter()
            .map(|e| EpisodeRow::new(&state, e, now))
            .collect(),
        as_at: when(&state, now),
        page,
        more,
    })
}

impl MissingNow {
    fn caption(&self) -> String {
        match (self.board.len(), self.more) {
            (1, false) => "1 child missing".to_owned(),
            (n, false) => format!("{n} children missing"),
            (n, true) => format!("{n} children missing on this page"),
        }
    }
}
