//! Compliance per authority and period: of the timed obligations (return interviews offered
//! within 24 hours and held within 72 hours, meetings, escalations, …) that fell due in the
//! period, how many were met on time. Every due instant comes from the engine: the caller
//! passes an evaluator (the casework layer's, `casework::evaluation`), and this module only asks it, at each
//! recorded event and then at each due instant, which obligations are open or overdue.
//!
//! An obligation fell due when its due instant is in the period (and before `as_of`); it was
//! late when the engine still lists it as overdue just after that instant; it lapsed when the
//! rule ends once the child is found and the child was found before it fell due; otherwise it
//! was met on time.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use protocol::vocabulary::Share;
use store::{AuthorityId, ChildFile, EpisodeId, Instant};

use crate::period::Period;
use crate::{ExchangeError, safe_csv};

/// One obligation as the engine lists it at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Rule ID.
    pub rule: String,
    /// Share tag.
    pub share: Option<Share>,
    /// Rule kind (`INTERVIEW`, `MEET`, `ESC`, …).
    pub kind: String,
    /// Authority whose protocol demands it.
    pub authority_id: AuthorityId,
    /// Stored episode.
    pub episode_id: EpisodeId,
    /// Deadline.
    pub due: Option<Instant>,
    /// Overdue at the instant asked.
    pub overdue: bool,
    /// The rule ends when the child is found.
    pub ends_when_found: bool,
}

/// Asks the engine what a child's file owes at an instant.
pub type Evaluator<'a> = &'a dyn Fn(&ChildFile, Instant) -> Result<Vec<Listed>, String>;

/// Columns of the report.
pub const COLUMNS: [&str; 9] = [
    "authority",
    "period",
    "kind",
    "rule",
    "fell_due",
    "on_time",
    "late",
    "lapsed_child_found",
    "percent_on_time",
];

/// Tallies for one authority and rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Fell due in the period.
    pub fell_due: u64,
    /// Met on time.
    pub on_time: u64,
    /// Still open after its due instant.
    pub late: u64,
    /// Ended because the child was found first.
    pub lapsed: u64,
}

/// Key of a report row: authority ID, rule kind, rule.
pub type RowKey = (AuthorityId, String, String);

/// Evaluates each child file (`found_at` gives each episode's return, from
/// [`crate::episodes::EpisodeView::ended_at`]) and tallies its timed obligations.
pub fn build(
    files: &[ChildFile],
    found_at: &HashMap<EpisodeId, Instant>,
    period: &Period,
    as_of: Instant,
    evaluate: Evaluator<'_>,
) -> Result<BTreeMap<RowKey, Tally>, String> {
    let (from, to) = (
        Instant::from_micros(period.start_micros()),
        Instant::from_micros(period.end_micros()).min(as_of),
    );
    let mut out: BTreeMap<RowKey, Tally> = BTreeMap::new();
    for file in files {
        // Every timed obligation the file ever owed, with its latest due instant.
        let mut seen: HashMap<(String, Option<Share>, EpisodeId), Listed> = HashMap::new();
        let mut probes: Vec<Instant> = file
            .events
            .iter()
            .map(|e| e.at)
            .filter(|at| *at <= as_of)
            .collect();
        probes.sort_unstable();
        probes.dedup();
        for at in probes {
            for o in evaluate(file, at)? {
                if o.due.is_some() {
                    seen.insert((o.rule.clone(), o.share, o.episode_id), o);
                }
            }
        }
        for (key, o) in seen {
            let Some(due) = o.due.filter(|d| *d >= from && *d < to) else {
                continue;
            };
            let still = evaluate(file, Instant::from_micros(due.micros() + 1))?
                .into_iter()
                .any(|l| {
                    l.overdue
                        && (l.rule.as_str(), l.share.as_ref(), l.episode_id)
                            == (key.0.as_str(), key.1.as_ref(), key.2)
                });
            let t = out
                .entry((o.authority_id, o.kind.clone(), o.rule.clone()))
                .or_default();
            t.fell_due += 1;
            if still {
                t.late += 1;
            } else if o.ends_when_found && found_at.get(&o.episode_id).is_some_and(|f| *f <= due) {
                t.lapsed += 1;
            } else {
                t.on_time += 1;
            }
        }
    }
    Ok(out)
}

/// Writes `compliance.csv` into `dir`: a row per authority, kind and rule, then a row per
/// authority and kind (rule `all`).
pub fn write(
    tallies: &BTreeMap<RowKey, Tally>,
    codes: &HashMap<AuthorityId, String>,
    period: &Period,
    dir: &Path,
) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    let mut totals: BTreeMap<(AuthorityId, String), Tally> = BTreeMap::new();
    for ((a, kind, _), t) in tallies {
        let s = totals.entry((*a, kind.clone())).or_default();
        s.fell_due += t.fell_due;
        s.on_time += t.on_time;
        s.late += t.late;
        s.lapsed += t.lapsed;
    }
    let row = |a: &AuthorityId, kind: &str, rule: &str, t: &Tally| {
        let counted = t.on_time + t.late;
        vec![
            codes.get(a).cloned().unwrap_or_default(),
            period.label.clone(),
            kind.to_owned(),
            rule.to_owned(),
            t.fell_due.to_string(),
            t.on_time.to_string(),
            t.late.to_string(),
            t.lapsed.to_string(),
            if counted == 0 {
                String::new()
            } else {
                format!("{:.1}", 100.0 * t.on_time as f64 / counted as f64)
            },
        ]
    };
    let rows = tallies
        .iter()
        .map(|((a, kind, rule), t)| row(a, kind, rule, t))
        .chain(totals.iter().map(|((a, kind), t)| row(a, kind, "all", t)));
    safe_csv::write(&dir.join("compliance.csv"), &COLUMNS, rows)
}
