//! The patterns page (`GET /patterns`) and its charts (`/patterns/hotspots.svg`,
//! `/patterns/together.svg`): server-rendered, over the same scoped, audited views as the API.
//! A self-contained page for now; the shared GOV.UK layout can wrap its `<main>` later.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;
use crate::api::patterns::{
    HotspotQuery, HotspotsView, RepeatView, TogetherView, hotspots_view, read_hotspots,
    read_together, repeat_view, together_view,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::patterns_svg;
use crate::ui::layout::{Chrome, PageError, Viewer, when};

/// The page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/patterns", get(page))
        .route("/patterns/hotspots.svg", get(hotspots_svg))
        .route("/patterns/together.svg", get(together_svg))
}

#[derive(Template, WebTemplate)]
#[template(path = "patterns.html")]
struct PatternsPage {
    chrome: Chrome,
    repeat: RepeatView,
    hotspots: HotspotsView,
    hotspots_svg: String,
    together: TogetherView,
    together_svg: String,
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HotspotQuery>,
) -> Result<PatternsPage, PageError> {
    let (by, limit) = q.parse()?;
    let p = state.casework.patterns(&viewer.caller, by).await?;
    let repeat = repeat_view(&state, p.now, p.cohort);
    let hotspots = hotspots_view(&state, p.hotspots, by, limit);
    let together = together_view(&state, p.now, p.graph, &p.names);
    let hotspots_svg = patterns_svg::hotspots(&hotspots);
    let together_svg = patterns_svg::together(&together);
    let (mut repeat, mut hotspots, mut together) = (repeat, hotspots, together);
    // The views carry ISO-8601 for programs; people read UK dates and plain durations.
    let uk = |iso: &mut String| *iso = readable_instant(&state, iso);
    uk(&mut repeat.at);
    repeat
        .children
        .iter_mut()
        .for_each(|c| uk(&mut c.last_reported));
    for t in &mut repeat.thresholds {
        t.window = readable_window(&t.window);
    }
    hotspots
        .rows
        .iter_mut()
        .filter_map(|h| h.last_found.as_mut())
        .for_each(uk);
    together
        .groups
        .iter_mut()
        .filter_map(|g| g.first_missing.as_mut())
        .for_each(uk);
    Ok(PatternsPage {
        chrome: viewer.chrome("Patterns", "patterns"),
        hotspots_svg,
        together_svg,
        repeat,
        hotspots,
        together,
    })
}

/// An ISO-8601 instant as the other pages show one (`2 March 2026 at 09:00`); as given if it
/// is not one.
fn readable_instant(state: &AppState, iso: &str) -> String {
    iso.parse::<jiff::Timestamp>()
        .map_or_else(|_| iso.to_owned(), |t| when(state, t))
}

/// An ISO-8601 period (`P28D`, `P3M`) in words (`28 days`, `3 months`); as given if it is not
/// one.
fn readable_window(iso: &str) -> String {
    let Ok(span) = iso.parse::<jiff::Span>() else {
        return iso.to_owned();
    };
    let parts: Vec<String> = [
        (i64::from(span.get_years()), "year"),
        (i64::from(span.get_months()), "month"),
        (i64::from(span.get_weeks()), "week"),
        (i64::from(span.get_days()), "day"),
        (i64::from(span.get_hours()), "hour"),
    ]
    .into_iter()
    .filter(|(n, _)| *n != 0)
    .map(|(n, unit)| format!("{n} {unit}{}", if n == 1 { "" } else { "s" }))
    .collect();
    if parts.is_empty() {
        iso.to_owned()
    } else {
        parts.join(" ")
    }
}

const SVG: &str = "image/svg+xml";

async fn hotspots_svg(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HotspotQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let view = read_hotspots(&state, &caller, &q).await?;
    Ok(([(header::CONTENT_TYPE, SVG)], patterns_svg::hotspots(&view)))
}

async fn together_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let view = read_together(&state, &caller).await?;
    Ok(([(header::CONTENT_TYPE, SVG)], patterns_svg::together(&view)))
}

#[cfg(test)]
mod tests {
    use super::readable_window;

    #[test]
    fn windows_read_in_words() {
        assert_eq!(readable_window("P28D"), "28 days");
        assert_eq!(readable_window("P3M"), "3 months");
        assert_eq!(readable_window("P1Y2W"), "1 year 2 weeks");
        assert_eq!(readable_window("later"), "later");
    }
}
