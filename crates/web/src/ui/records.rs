//! What the pages read about a child, computed the same way as the API: episode facts from the
//! timeline reader, obligations and due instants from the engine (stored so they can be
//! discharged by ID), nothing recomputed by hand.

use jiff::Timestamp;
use store::{ChildFile, ObligationRecord};

use super::layout::{countdown, iso, role_label, when};
use crate::error::ApiError;
use crate::{AppState, evaluation, instant, micros};

/// What happened in one stored episode, as the engine reads it.
pub struct EpisodeFacts {
    /// Stored episode.
    pub episode_id: i64,
    /// Missing (noticed or reported, not yet found) now.
    pub missing: bool,
    /// When the absence was noticed (or reported, or the episode opened).
    pub since: Timestamp,
    /// When the child was found, if they were.
    pub found: Option<Timestamp>,
    /// The latest police risk grading (`high`, `medium`, `low`, `no_apparent_risk`).
    pub risk: Option<&'static str>,
    /// When the return interview was held, if it was.
    pub rhi: Option<Timestamp>,
}

/// The facts of each stored episode of a file at `now` (episodes without events are missing
/// from the moment they were opened).
pub fn episode_facts(state: &AppState, file: &ChildFile, now: Timestamp) -> Vec<EpisodeFacts> {
    let parsed = evaluation::document(&state.calendar, file, now, None)
        .ok()
        .and_then(|doc| {
            protocol::timeline::parse(&doc.json.to_string(), &state.catalog)
                .ok()
                .map(|t| (t, doc.event_episodes))
        });
    let mut out: Vec<EpisodeFacts> = file
        .episodes
        .iter()
        .map(|e| EpisodeFacts {
            episode_id: e.id,
            missing: e.closed_at.is_none(),
            since: instant(e.opened_at),
            found: None,
            risk: None,
            rhi: None,
        })
        .collect();
    let Some((timeline, event_episodes)) = parsed else {
        return out;
    };
    let happened = protocol::episode::episodes(&timeline, &state.calendar, now);
    for ep in &happened.episodes {
        let Some(stored) = event_episodes.get(ep.events.start) else {
            continue;
        };
        if let Some(f) = out.iter_mut().find(|f| f.episode_id == *stored) {
            f.since = ep.t_abs.or(ep.t_rep).unwrap_or(ep.t_start);
            f.found = ep.t_found.filter(|t| *t <= now);
            f.missing = f.found.is_none();
            f.risk = ep.latest_grade.map(|(_, r)| r.as_str());
            f.rhi = ep.t_rhi;
        }
    }
    out
}

/// The child's obligations open now, as stored records (so they carry IDs to discharge). When
/// the engine's answer has changed since they were stored (a deadline passed, an escalation
/// became due), they are recomputed and stored first.
pub async fn current_obligations(
    state: &AppState,
    file: &ChildFile,
    now: Timestamp,
) -> Result<Vec<ObligationRecord>, ApiError> {
    let live = evaluation::recompute(&state.catalog, &state.calendar, file, now)
        .map_err(|e| ApiError::validation("$", e))?;
    let stored = state.store.child_obligations(file.child.id).await?;
    let key = |episode: i64, rule: &str, share: &Option<String>, due: Option<i64>| {
        (episode, rule.to_owned(), share.clone(), due)
    };
    let mut a: Vec<_> = live
        .iter()
        .map(|o| key(o.episode_id, &o.rule, &o.share, o.due))
        .collect();
    let mut b: Vec<_> = stored
        .iter()
        .map(|o| key(o.episode_id, &o.rule, &o.share, o.due))
        .collect();
    a.sort();
    b.sort();
    if a == b {
        return Ok(stored);
    }
    let (catalog, calendar) = (state.catalog.clone(), state.calendar.clone());
    let recompute = move |f: &ChildFile| evaluation::recompute(&catalog, &calendar, f, now);
    Ok(state
        .store
        .recompute(file.child.id, micros(now), &recompute)
        .await?)
}

/// An obligation as a row of a page.
pub struct ObligationRow {
    /// Stored ID (the discharge form posts to it).
    pub id: i64,
    /// Child's name.
    pub child_name: String,
    /// Episode.
    pub episode_id: i64,
    /// Rule ID (with its share, if one party's part).
    pub rule: String,
    /// What must be done.
    pub action: String,
    /// Whose work it is.
    pub owner: String,
    /// Due, UK time; empty when the protocol states no deadline.
    pub due: String,
    /// Due, ISO-8601 (for the live countdown).
    pub due_iso: String,
    /// "due in …" / "overdue by …" at page time.
    pub countdown: String,
    /// `open` or `overdue`.
    pub status: &'static str,
    /// Seed file and paragraph.
    pub citation: String,
    /// The paragraph's words, quoted from the seed protocol.
    pub quote: String,
}

impl ObligationRow {
    /// The row of a stored obligation at `now`.
    pub fn new(state: &AppState, o: &ObligationRecord, child_name: &str, now: Timestamp) -> Self {
        let quote = state
            .catalog
            .lookup(&o.rule)
            .map(|k| state.catalog.rule(k).quote.clone())
            .unwrap_or_default();
        let due = o.due.map(instant);
        ObligationRow {
            id: o.id,
            child_name: child_name.to_owned(),
            episode_id: o.episode_id,
            rule: match &o.share {
                Some(s) => format!("{}/{s}", o.rule),
                None => o.rule.clone(),
            },
            action: o.action.clone(),
            owner: role_label(&o.owner_role).to_owned(),
            due: due.map(|d| when(state, d)).unwrap_or_default(),
            due_iso: due.map(|d| iso(state, d)).unwrap_or_default(),
            countdown: due.map(|d| countdown(d, now)).unwrap_or_default(),
            status: if evaluation::overdue(o.due, now) {
                "overdue"
            } else {
                "open"
            },
            citation: o.citation.clone(),
            quote,
        }
    }

    /// The paragraph of the citation (`§15.2`), without the seed file: short enough for the
    /// table's column; the whole citation is shown with the quote.
    pub fn paragraph(&self) -> &str {
        self.citation
            .split_once(' ')
            .map_or(self.citation.as_str(), |(_, paragraph)| paragraph)
    }

    /// The rule ID without a share tag (for `data-rule-id`).
    pub fn rule_id(&self) -> &str {
        self.rule.split('/').next().unwrap_or_default()
    }

    /// The GOV.UK tag colour of the status.
    pub fn status_class(&self) -> &'static str {
        if self.status == "overdue" {
            "govuk-tag--red"
        } else {
            "govuk-tag--blue"
        }
    }
}

/// A risk grading as people say it, and its GOV.UK tag colour.
pub fn risk_tag(risk: Option<&str>) -> (&'static str, &'static str) {
    match risk {
        Some("high") => ("High risk", "govuk-tag--red"),
        Some("medium") => ("Medium risk", "govuk-tag--orange"),
        Some("low") => ("Low risk", "govuk-tag--yellow"),
        Some("no_apparent_risk") => ("No apparent risk", "govuk-tag--green"),
        _ => ("Not graded", "govuk-tag--grey"),
    }
}

/// Sort rank of a risk grading: high first, ungraded last.
pub fn risk_rank(risk: Option<&str>) -> u8 {
    match risk {
        Some("high") => 0,
        Some("medium") => 1,
        Some("low") => 2,
        Some("no_apparent_risk") => 3,
        _ => 4,
    }
}
