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
    HotspotQuery, HotspotsView, RepeatView, TogetherView, hotspots_view, repeat_view, together_view,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::patterns::{audit_children, audit_report, children};
use crate::patterns_svg;

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
    repeat: RepeatView,
    hotspots: HotspotsView,
    hotspots_svg: String,
    together: TogetherView,
    together_svg: String,
}

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HotspotQuery>,
) -> Result<PatternsPage, ApiError> {
    let (by, limit) = q.parse()?;
    let kids = children(&state, &caller).await?;
    let repeat = repeat_view(&state, &kids);
    let hotspots = hotspots_view(&state, &kids, by, limit);
    let together = together_view(&state, &kids);
    let shown = repeat
        .children
        .iter()
        .map(|c| c.child_id)
        .chain(together.nodes.iter().filter_map(|n| n.child_id));
    audit_children(&state, &caller, "patterns_page", shown).await?;
    Ok(PatternsPage {
        hotspots_svg: patterns_svg::hotspots(&hotspots),
        together_svg: patterns_svg::together(&together),
        repeat,
        hotspots,
        together,
    })
}

const SVG: &str = "image/svg+xml";

async fn hotspots_svg(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HotspotQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (by, limit) = q.parse()?;
    let kids = children(&state, &caller).await?;
    audit_report(&state, &caller, "patterns_hotspots").await?;
    let view = hotspots_view(&state, &kids, by, limit);
    Ok(([(header::CONTENT_TYPE, SVG)], patterns_svg::hotspots(&view)))
}

async fn together_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let kids = children(&state, &caller).await?;
    let view = together_view(&state, &kids);
    audit_children(
        &state,
        &caller,
        "patterns_together",
        view.nodes.iter().filter_map(|n| n.child_id),
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, SVG)], patterns_svg::together(&view)))
}
