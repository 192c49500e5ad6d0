//! The weekly missing meeting list: everyone missing at any time in the last 7 days.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;

use super::layout::{Chrome, PageError, Viewer, when};
use super::records::EpisodeRow;
use crate::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "weekly.html")]
struct Weekly {
    chrome: Chrome,
    board: Vec<EpisodeRow>,
    from: String,
    to: String,
}

/// `GET /weekly`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<impl IntoResponse, PageError> {
    let (rows, from, to) = state.casework.weekly(&viewer.caller).await?;
    Ok(Weekly {
        chrome: viewer.chrome("Weekly missing meeting", "weekly"),
        board: rows
            .iter()
            .map(|e| EpisodeRow::new(&state, e, to))
            .collect(),
        from: when(&state, from),
        to: when(&state, to),
    })
}

impl Weekly {
    fn caption(&self) -> String {
        match self.board.len() {
            1 => "1 episode in the last 7 days".to_owned(),
            n => format!("{n} episodes in the last 7 days"),
        }
    }
}
