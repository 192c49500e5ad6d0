//! The caller's authority's children, read through `access` (each read audited), with their
//! episode facts and current obligations: what My work, Missing now and the weekly meeting list.

use jiff::Timestamp;
use store::{ChildFile, ObligationRecord};

use super::layout::{countdown, iso, when};
use super::records::{EpisodeFacts, current_obligations, episode_facts, risk_rank, risk_tag};
use crate::access::audited_file_read;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::{AppState, instant};

/// The most children a board lists (the demo partnership has a few dozen per authority).
const MAX_CHILDREN: i64 = 2000;

/// A child of the caseload.
pub struct CaseChild {
    /// Record, placement, episodes and events.
    pub file: ChildFile,
    /// Facts of each episode.
    pub facts: Vec<EpisodeFacts>,
    /// Obligations open now.
    pub obligations: Vec<ObligationRecord>,
}

/// Every child the caller's authority has a reason to see, each read audited as `entity`.
pub async fn caseload(
    state: &AppState,
    caller: &Caller,
    entity: &str,
    now: Timestamp,
) -> Result<Vec<CaseChild>, ApiError> {
    caller.require(crate::access::Permission::ReadChild)?;
    let children = state
        .store
        .children_for(caller.user.authority_id, MAX_CHILDREN, 0)
        .await?;
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        let Some(file) = state.store.child_file(child.id).await? else {
            continue;
        };
        audited_file_read(state, caller, &file, entity).await?;
        let facts = episode_facts(state, &file, now);
        let obligations = if file.placement.is_some() && !file.episodes.is_empty() {
            current_obligations(state, &file, now).await?
        } else {
            Vec::new()
        };
        out.push(CaseChild {
            file,
            facts,
            obligations,
        });
    }
    Ok(out)
}

/// An episode as a row of a board.
pub struct EpisodeRow {
    /// Child's name.
    pub child_name: String,
    /// Episode.
    pub episode_id: i64,
    /// Risk, as people say it.
    pub risk: &'static str,
    /// Its GOV.UK tag colour.
    pub risk_class: &'static str,
    /// Sort rank (high first).
    pub risk_rank: u8,
    /// Missing since (UK time).
    pub since: String,
    /// Whole hours missing (until found, or now).
    pub hours: i64,
    /// Whether missing now.
    pub missing: bool,
    /// Found (UK time), empty if not.
    pub found: String,
    /// Return interview held (UK time), empty if not.
    pub rhi: String,
    /// The next deadline of the episode: rule, due (UK time), ISO, countdown, overdue.
    pub next: Option<NextDue>,
}

/// The earliest deadline of an episode's open obligations.
pub struct NextDue {
    /// Rule ID.
    pub rule: String,
    /// Due, UK time.
    pub due: String,
    /// Due, ISO-8601.
    pub due_iso: String,
    /// "due in …" / "overdue by …".
    pub countdown: String,
    /// Whether already past.
    pub overdue: bool,
}

impl EpisodeRow {
    /// The row of one episode of a caseload child.
    pub fn new(state: &AppState, c: &CaseChild, f: &EpisodeFacts, now: Timestamp) -> Self {
        let (risk, risk_class) = risk_tag(f.risk);
        let next = c
            .obligations
            .iter()
            .filter(|o| o.episode_id == f.episode_id)
            .filter_map(|o| o.due.map(|d| (d, o)))
            .min_by_key(|(d, _)| *d)
            .map(|(d, o)| NextDue {
                rule: o.rule.clone(),
                due: when(state, instant(d)),
                due_iso: iso(state, instant(d)),
                countdown: countdown(instant(d), now),
                overdue: instant(d) < now,
            });
        EpisodeRow {
            child_name: c.file.child.name.clone(),
            episode_id: f.episode_id,
            risk,
            risk_class,
            risk_rank: risk_rank(f.risk),
            since: when(state, f.since),
            hours: super::layout::hours_since(f.since, f.found.unwrap_or(now)),
            missing: f.missing,
            found: f.found.map(|t| when(state, t)).unwrap_or_default(),
            rhi: f.rhi.map(|t| when(state, t)).unwrap_or_default(),
            next,
        }
    }
}

/// Every episode of the caseload missing now, highest risk first, then longest missing.
pub fn missing_now(state: &AppState, load: &[CaseChild], now: Timestamp) -> Vec<EpisodeRow> {
    let mut rows: Vec<EpisodeRow> = load
        .iter()
        .flat_map(|c| {
            c.facts
                .iter()
                .filter(|f| f.missing)
                .map(move |f| EpisodeRow::new(state, c, f, now))
        })
        .collect();
    rows.sort_by_key(|r| (r.risk_rank, -r.hours));
    rows
}
