//! The weekly missing meeting list: everyone missing at any time in the last 7 days.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;
use jiff::SignedDuration;

use super::caseload::{EpisodeRow, caseload};
use super::layout::{Chrome, PageError, Viewer, when};
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
    let now = state.now();
    let from = now - SignedDuration::from_hours(24 * 7);
    let load = caseload(&state, &viewer.caller, "weekly_list", now).await?;
    let mut rows: Vec<EpisodeRow> = load
        .iter()
        .flat_map(|c| {
            c.facts
                .iter()
                .filter(|f| f.since <= now && f.found.is_none_or(|t| t >= from))
                .map(|f| EpisodeRow::new(&state, c, f, now))
        })
        .collect();
    rows.sort_by_key(|r| (r.risk_rank, r.child_name.clone()));
    Ok(Weekly {
        chrome: viewer.chrome("Weekly missing meeting", "weekly"),
        board: rows,
        from: when(&state, from),
        to: when(&state, now),
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
