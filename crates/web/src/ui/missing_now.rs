//! Missing now: the partnership board of every open episode the caller's authority can see,
//! with risk, hours missing and the next deadline: the daily list the protocols describe.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;

use super::caseload::{EpisodeRow, caseload, missing_now};
use super::layout::{Chrome, PageError, Viewer, when};
use crate::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "missing_now.html")]
struct MissingNow {
    chrome: Chrome,
    board: Vec<EpisodeRow>,
    as_at: String,
}

/// `GET /missing-now`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<impl IntoResponse, PageError> {
    let now = state.now();
    let load = caseload(&state, &viewer.caller, "missing_now", now).await?;
    Ok(MissingNow {
        chrome: viewer.chrome("Missing now", "missing-now"),
        board: missing_now(&state, &load, now),
        as_at: when(&state, now),
    })
}

impl MissingNow {
    fn caption(&self) -> String {
        match self.board.len() {
            1 => "1 child missing".to_owned(),
            n => format!("{n} children missing"),
        }
    }
}
