//! How the pages show what the casework layer reads: stored obligations as rows (their rule,
//! owner and due instant are the engine's; the status is read against now), episodes as rows of
//! a board, and risk gradings as people say them.

use casework::records::{EpisodeRow as Episode, ObligationRecord, RiskLevel};
use jiff::Timestamp;

use super::layout::{countdown, iso, role_label, when};
use crate::AppState;

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
    pub fn new(state: &AppState, r: &ObligationRecord, child_name: &str, now: Timestamp) -> Self {
        let o = &r.obligation;
        let catalog = state.casework.catalog();
        let quote = catalog
            .lookup(&o.rule)
            .map(|k| catalog.rule(k).quote.clone())
            .unwrap_or_default();
        let due = o.due.map(|d| d.timestamp());
        ObligationRow {
            id: r.id.get(),
            child_name: child_name.to_owned(),
            episode_id: o.episode_id.get(),
            rule: match &o.share {
                Some(s) => format!("{}/{s}", o.rule),
                None => o.rule.clone(),
            },
            action: o.action.clone(),
            owner: role_label(o.owner_role.map_or("", |r| r.as_str())).to_owned(),
            due: due.map(|d| when(state, d)).unwrap_or_default(),
            due_iso: due.map(|d| iso(state, d)).unwrap_or_default(),
            countdown: due.map(|d| countdown(d, now)).unwrap_or_default(),
            status: if casework::evaluation::overdue(o.due, now) {
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
pub fn risk_tag(risk: Option<RiskLevel>) -> (&'static str, &'static str) {
    match risk {
        Some(RiskLevel::High) => ("High risk", "govuk-tag--red"),
        Some(RiskLevel::Medium) => ("Medium risk", "govuk-tag--orange"),
        Some(RiskLevel::Low) => ("Low risk", "govuk-tag--yellow"),
        Some(RiskLevel::NoApparentRisk) => ("No apparent risk", "govuk-tag--green"),
        None => ("Not graded", "govuk-tag--grey"),
    }
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
    /// The row of an episode the lists read, at `now`.
    pub fn new(state: &AppState, e: &Episode, now: Timestamp) -> Self {
        let s = &e.status;
        let (risk, risk_class) = risk_tag(s.risk);
        let since = s.since.timestamp();
        let found = s.found_at.map(|t| t.timestamp());
        EpisodeRow {
            child_name: e.child_name.clone(),
            episode_id: s.episode_id.get(),
            risk,
            risk_class,
            since: when(state, since),
            hours: super::layout::hours_since(since, found.unwrap_or(now)),
            missing: s.missing,
            found: found.map(|t| when(state, t)).unwrap_or_default(),
            rhi: s.rhi_at.map(|t| when(state, t)).unwrap_or_default(),
            next: s.next_due.as_ref().map(|(d, rule)| NextDue {
                rule: rule.clone(),
                due: when(state, *d),
                due_iso: iso(state, *d),
                countdown: countdown(d.timestamp(), now),
                overdue: d.timestamp() < now,
            }),
        }
    }
}
