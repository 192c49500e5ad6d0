//! Patterns across the caller's children (issue 6 point 4): the repeat-missing cohort, the
//! hotspot table and the missing-together graph with the groups meeting Newham's complex
//! strategy meeting trigger (002 §11.8). The analytics crate computes; this module scopes,
//! audits and shapes the answers. The HTML page and the SVG charts reuse these views.

use analytics::hotspots::GroupBy;
use analytics::together::{EdgeKind, Link, NodeKind, Trigger};
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(repeat))
        .routes(routes!(hotspots))
        .routes(routes!(together))
}

fn london(state: &AppState, t: jiff::Timestamp) -> String {
    state.format(t)
}

/// A protocol's repeat-missing threshold, from its rule pack.
#[derive(Serialize, ToSchema)]
pub struct ThresholdView {
    /// Protocol.
    pub protocol: String,
    /// Window before now (ISO-8601, calendar days or months on the London clock).
    pub window: String,
    /// Police-reported episodes within the window, at least.
    pub at_least: u32,
    /// What the protocol says follows.
    pub consequence: String,
}

/// Episodes of a cohort child in the window, by the authority it went missing from.
#[derive(Serialize, ToSchema)]
pub struct AuthorityEpisodes {
    /// Authority (code).
    pub authority: String,
    /// Episodes.
    pub episodes: usize,
}

/// A child in the repeat-missing cohort.
#[derive(Serialize, ToSchema)]
pub struct CohortChildView {
    /// Child ID.
    pub child_id: i64,
    /// Name.
    pub name: String,
    /// Responsible authority (code).
    pub responsible_authority: String,
    /// Host authority (code).
    pub host_authority: String,
    /// Protocol whose threshold is met.
    pub protocol: String,
    /// Police-reported episodes in the window.
    pub episodes_in_window: usize,
    /// Police-reported episodes on record.
    pub episodes_total: usize,
    /// The latest report (Europe/London).
    pub last_reported: String,
    /// Episodes in the window by the authority the child went missing from.
    pub by_authority: Vec<AuthorityEpisodes>,
}

/// Cohort totals for an authority.
#[derive(Serialize, ToSchema)]
pub struct CohortAuthorityView {
    /// Authority (code).
    pub authority: String,
    /// Cohort children it is responsible for.
    pub children: usize,
    /// Cohort episodes in the window that went missing from it.
    pub episodes: usize,
}

/// The repeat-missing cohort across the authorities of the caller's children.
#[derive(Serialize, ToSchema)]
pub struct RepeatView {
    /// When computed (Europe/London).
    pub at: String,
    /// The thresholds, per protocol, from the rule packs.
    pub thresholds: Vec<ThresholdView>,
    /// Children whose protocols state no threshold (Newham states none).
    pub unjudged: usize,
    /// Totals per authority.
    pub by_authority: Vec<CohortAuthorityView>,
    /// Children meeting their threshold, most episodes first.
    pub children: Vec<CohortChildView>,
}

/// The repeat-missing cohort as the API shows it (shared with the HTML page).
pub fn repeat_view(
    state: &AppState,
    now: jiff::Timestamp,
    c: analytics::repeat::Cohort,
) -> RepeatView {
    RepeatView {
        at: london(state, now),
        thresholds: c
            .thresholds
            .into_iter()
            .map(|t| ThresholdView {
                protocol: t.protocol,
                window: t.window,
                at_least: t.at_least,
                consequence: t.consequence,
            })
            .collect(),
        unjudged: c.unjudged,
        by_authority: c
            .by_authority
            .into_iter()
            .map(|a| CohortAuthorityView {
                authority: a.authority,
                children: a.children,
                episodes: a.episodes,
            })
            .collect(),
        children: c
            .children
            .into_iter()
            .map(|k| CohortChildView {
                child_id: k.child_id,
                name: k.name,
                responsible_authority: k.responsible,
                host_authority: k.host,
                protocol: k.protocol,
                episodes_in_window: k.in_window,
                episodes_total: k.total,
                last_reported: london(state, k.last_reported),
                by_authority: k
                    .by_authority
                    .into_iter()
                    .map(|(authority, episodes)| AuthorityEpisodes {
                        authority,
                        episodes,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Children of the caller's authority who meet their protocol's repeat-missing threshold
/// (the rule pack's `parameters.repeat`: responsible authority's protocol, else the host's),
/// counting police-reported episodes in the closed window ending now. Each child listed is
/// audited as read.
#[utoipa::path(get, path = "/api/v1/patterns/repeat", tag = "patterns",
    responses((status = 200, body = RepeatView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn repeat(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RepeatView>, ApiError> {
    let (now, cohort) = state.casework.repeat_cohort(&caller).await?;
    Ok(Json(repeat_view(&state, now, cohort)))
}

/// `?by=district|place&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotspotQuery {
    /// `district` (postcode district, the default) or `place` (named place).
    pub by: Option<String>,
    /// Most rows (default 20, at most 500).
    pub limit: Option<usize>,
}

impl HotspotQuery {
    /// The grouping and row limit, checked.
    pub fn parse(&self) -> Result<(GroupBy, usize), ApiError> {
        let by = match self.by.as_deref() {
            None | Some("district") => GroupBy::District,
            Some("place") => GroupBy::Place,
            Some(other) => {
                return Err(ApiError::validation(
                    "$.by",
                    format!("`{other}`: one of district, place"),
                ));
            }
        };
        let limit = self.limit.unwrap_or(20);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::validation("$.limit", "between 1 and 500"));
        }
        Ok((by, limit))
    }
}

/// A place in the hotspot table.
#[derive(Serialize, ToSchema)]
pub struct HotspotView {
    /// Postcode district (`E15`) or named place.
    pub place: String,
    /// Episodes in which a child was found there.
    pub found: usize,
    /// Distinct children found there.
    pub children: usize,
    /// When a child was last found there (Europe/London).
    pub last_found: Option<String>,
    /// Children whose profile names it as a place they frequent.
    pub frequented_by: usize,
}

/// The hotspot table.
#[derive(Serialize, ToSchema)]
pub struct HotspotsView {
    /// `district` or `place`.
    pub by: String,
    /// Busiest first.
    pub rows: Vec<HotspotView>,
}

/// The hotspot table (shared with the page and the chart).
pub fn hotspots_view(
    state: &AppState,
    hotspots: Vec<analytics::hotspots::Hotspot>,
    by: GroupBy,
    limit: usize,
) -> HotspotsView {
    HotspotsView {
        by: match by {
            GroupBy::District => "district",
            GroupBy::Place => "place",
        }
        .into(),
        rows: hotspots
            .into_iter()
            .take(limit)
            .map(|h| HotspotView {
                place: h.place,
                found: h.found,
                children: h.children,
                last_found: h.last_found.map(|t| london(state, t)),
                frequented_by: h.frequented_by,
            })
            .collect(),
    }
}

/// Places the caller's children were found (`located` / `came_to_notice` `where`, read as
/// "named place, postcode") and places their profiles say they frequent, by postcode district
/// or by named place (case- and spacing-insensitive). Names no child; the report read is audited.
#[utoipa::path(get, path = "/api/v1/patterns/hotspots", tag = "patterns", params(HotspotQuery),
    responses((status = 200, body = HotspotsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn hotspots(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HotspotQuery>,
) -> Result<Json<HotspotsView>, ApiError> {
    Ok(Json(read_hotspots(&state, &caller, &q).await?))
}

/// The hotspots view for `caller` and `q`, the report read audited (the JSON and the SVG serve
/// the same read).
pub(crate) async fn read_hotspots(
    state: &AppState,
    caller: &Caller,
    q: &HotspotQuery,
) -> Result<HotspotsView, ApiError> {
    let (by, limit) = q.parse()?;
    let hotspots = state.casework.hotspots(caller, by).await?;
    Ok(hotspots_view(state, hotspots, by, limit))
}

/// A node: a child or an associate.
#[derive(Serialize, ToSchema)]
pub struct NodeView {
    /// `child-<id>` or `associate-<n>`.
    pub id: String,
    /// `child` or `associate`.
    pub kind: String,
    /// Name.
    pub label: String,
    /// Child ID (children).
    pub child_id: Option<i64>,
    /// Responsible authority (children, code).
    pub authority: Option<String>,
}

/// An edge: two children missing together, or a child and an associate.
#[derive(Serialize, ToSchema)]
pub struct EdgeView {
    /// Node ID.
    pub from: String,
    /// Node ID.
    pub to: String,
    /// `missing_together` or `associate`.
    pub kind: String,
    /// Pairs of episode IDs missing together.
    pub episodes: Vec<[i64; 2]>,
    /// Why: `same_place`, `both_flagged`, `shared_associate`.
    pub links: Vec<String>,
}

/// A group meeting the complex strategy meeting trigger.
#[derive(Serialize, ToSchema)]
pub struct GroupView {
    /// `missing_together` or `exploitation_network`.
    pub trigger: String,
    /// Child IDs.
    pub children: Vec<i64>,
    /// Child names, in the same order.
    pub names: Vec<String>,
    /// Associates shared within the group (network groups).
    pub associates: Vec<String>,
    /// When the group's first joint absence started (Europe/London).
    pub first_missing: Option<String>,
    /// Children whose record has neither `missing_with_others` nor the `network_exploitation`
    /// concern, so the engine sets no `NEWHAM-COMPLEX-STRAT` deadline for them yet.
    pub unflagged: Vec<i64>,
    /// Whether a child of the group is under Newham's protocol.
    pub newham: bool,
    /// Seed file and paragraph of the trigger.
    pub citation: String,
    /// What the protocol asks.
    pub action: String,
}

/// The graph of children missing together and shared associates.
#[derive(Serialize, ToSchema)]
pub struct TogetherView {
    /// When computed (Europe/London).
    pub at: String,
    /// Most hours between two children's going missing for them to count as together.
    pub start_within_hours: i64,
    /// Children on an edge and shared associates.
    pub nodes: Vec<NodeView>,
    /// Edges.
    pub edges: Vec<EdgeView>,
    /// Groups meeting 002 §11.8, largest first.
    pub groups: Vec<GroupView>,
}

fn snake<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The graph as the API shows it (shared with the page and the chart).
pub fn together_view(
    state: &AppState,
    now: jiff::Timestamp,
    g: analytics::together::Graph,
    names: &[(i64, String)],
) -> TogetherView {
    let catalog = state.casework.catalog();
    let rule = catalog.lookup("NEWHAM-COMPLEX-STRAT");
    let (citation, action) = rule.map_or_else(Default::default, |k| {
        (catalog.citation(k), catalog.rule(k).action.clone())
    });
    let name = |id: i64| {
        names
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    TogetherView {
        at: london(state, now),
        start_within_hours: analytics::together::START_WITHIN.as_hours(),
        nodes: g
            .nodes
            .into_iter()
            .map(|n| NodeView {
                id: n.id,
                kind: snake::<NodeKind>(n.kind),
                label: n.label,
                child_id: n.child_id,
                authority: n.authority,
            })
            .collect(),
        edges: g
            .edges
            .into_iter()
            .map(|e| EdgeView {
                from: e.from,
                to: e.to,
                kind: snake::<EdgeKind>(e.kind),
                episodes: e.episodes.into_iter().map(|(a, b)| [a, b]).collect(),
                links: e.links.into_iter().map(snake::<Link>).collect(),
            })
            .collect(),
        groups: g
            .groups
            .into_iter()
            .map(|grp| GroupView {
                trigger: snake::<Trigger>(grp.trigger),
                names: grp.children.iter().map(|&id| name(id)).collect(),
                children: grp.children,
                associates: grp.associates,
                first_missing: grp.first_missing.map(|t| london(state, t)),
                unflagged: grp.unflagged,
                newham: grp.newham,
                citation: citation.clone(),
                action: action.clone(),
            })
            .collect(),
    }
}

/// Children of the caller's authority missing together (overlapping absences that started
/// within 24 hours of each other and are linked by the place found, the `missing_with_others`
/// flag on both records, or a shared associate) and associates their profiles share, as a
/// graph; groups meeting Newham's complex strategy meeting trigger (002 §11.8) are listed with
/// the children whose record does not yet carry the trigger. Each child shown is audited as read.
#[utoipa::path(get, path = "/api/v1/patterns/together", tag = "patterns",
    responses((status = 200, body = TogetherView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn together(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TogetherView>, ApiError> {
    Ok(Json(read_together(&state, &caller).await?))
}

/// The together view for `caller`, each child shown audited as read (the JSON and the SVG
/// serve the same read).
pub(crate) async fn read_together(
    state: &AppState,
    caller: &Caller,
) -> Result<TogetherView, ApiError> {
    let (now, graph, names) = state.casework.together(caller).await?;
    Ok(together_view(state, now, graph, &names))
}
