//! The South Yorkshire quarterly data return (protocol 003, section 8.2): for each responsible
//! authority, numbers of missing children and episodes; characteristics (age group,
//! looked-after status, placed out of area, duration); triggers for strategy meetings and
//! strategy meetings held; independent return interviews required, offered and carried out;
//! and the reasons recorded in return interviews.
//!
//! Definitions (the same in `scripts/bench-exchange`'s DuckDB and pandas versions):
//! - an episode is in the quarter when it started (first noticed absent or reported) in it, in
//!   London time; age is whole years on the London date it started;
//! - looked after: the child's placement on that date had a legal status other than `none`;
//!   out of area: the episode's host authority is not its responsible authority;
//! - duration: start to return (else to being located); open episodes are counted apart;
//! - strategy triggers (5.3.5, 7.1.7): the child's third or later episode starting within 28
//!   days, or an episode lasting more than 72 hours; meetings held: `strategy` and
//!   `complex_strategy` meetings recorded in the quarter's episodes;
//! - return interviews required: episodes that ended; offered: an offer, completion or refusal
//!   recorded; carried out: completed; declined: refused by the child.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use jiff::civil::Date;
use store::{ExchangeSnapshot, Placement};

use crate::episodes::EpisodeView;
use crate::lookup::Lookup;
use crate::period::{Period, date_of, london};
use crate::{ExchangeError, safe_csv};

/// Columns of the return, one row per responsible authority.
pub const COLUMNS: [&str; 25] = [
    "authority",
    "quarter",
    "missing_children",
    "missing_episodes",
    "episodes_age_under_11",
    "episodes_age_11_13",
    "episodes_age_14_15",
    "episodes_age_16_17",
    "episodes_age_18_plus",
    "looked_after_children",
    "episodes_looked_after",
    "episodes_looked_after_out_of_area",
    "episodes_not_looked_after",
    "episodes_under_24h",
    "episodes_24h_to_72h",
    "episodes_over_72h",
    "episodes_open",
    "strategy_triggers_repeat",
    "strategy_triggers_over_72h",
    "strategy_meetings_held",
    "rhi_required",
    "rhi_offered",
    "rhi_completed",
    "rhi_declined",
    "rhi_reasons",
];

const HOUR: i64 = 3_600_000_000;

/// One authority's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Counts in [`COLUMNS`] order from `missing_children` to `rhi_declined`.
    pub counts: [u64; 22],
    /// Reason → interviews recording it.
    pub reasons: BTreeMap<String, u64>,
}

/// Whole years from `dob` to `on`.
pub fn age(dob: Date, on: Date) -> i32 {
    let key =
        |d: Date| i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day());
    (key(on) - key(dob)) / 10_000
}

/// The placement in force on a day (placements end the day the next starts).
pub fn placement_on<'a>(placements: &[&'a Placement], day: Date) -> Option<&'a Placement> {
    let text = day.to_string();
    placements
        .iter()
        .rev()
        .find(|p| {
            p.starts_on.as_str() <= text.as_str()
                && p.ends_on.as_deref().is_none_or(|e| text.as_str() < e)
        })
        .copied()
}

/// The return for a quarter, by authority code. `snapshot` must hold the episodes opened since
/// 28 days before the quarter (for repeat triggers).
pub fn build(
    snapshot: &ExchangeSnapshot,
    views: &[EpisodeView],
    quarter: &Period,
) -> BTreeMap<String, Figures> {
    let tz = london();
    let Lookup {
        codes,
        children,
        placements,
    } = Lookup::of(snapshot);
    // Each child's episode starts, sorted, for the 28-day repeat trigger.
    let mut starts: HashMap<i64, Vec<i64>> = HashMap::new();
    for v in views {
        starts.entry(v.child_id).or_default().push(v.started_at);
    }
    for s in starts.values_mut() {
        s.sort_unstable();
    }
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    let mut children_seen: HashMap<&str, (HashSet<i64>, HashSet<i64>)> = HashMap::new();
    for v in views.iter().filter(|v| quarter.contains(v.started_at)) {
        let code = codes
            .get(&v.responsible_authority_id)
            .copied()
            .unwrap_or("UNKNOWN");
        let f = out.entry(code.to_owned()).or_default();
        let c = &mut f.counts;
        let day = date_of(v.started_at, &tz);
        let child = children.get(&v.child_id);
        let looked_after = placements
            .get(&v.child_id)
            .and_then(|ps| placement_on(ps, day))
            .is_some_and(|p| p.legal_status != "none");
        let seen = children_seen.entry(code).or_default();
        seen.0.insert(v.child_id);
        if looked_after {
            seen.1.insert(v.child_id);
        }
        c[1] += 1;
        let years = child
            .and_then(|ch| ch.dob.parse::<Date>().ok())
            .map_or(0, |dob| age(dob, day));
        c[2 + match years {
            ..11 => 0,
            11..=13 => 1,
            14..=15 => 2,
            16..=17 => 3,
            _ => 4,
        }] += 1;
        if looked_after {
            c[8] += 1;
            if v.host_authority_id != v.responsible_authority_id {
                c[9] += 1;
            }
        } else {
            c[10] += 1;
        }
        match v.ended_at.map(|e| e - v.started_at) {
            Some(d) if d < 24 * HOUR => c[11] += 1,
            Some(d) if d <= 72 * HOUR => c[12] += 1,
            Some(_) => c[13] += 1,
            None => c[14] += 1,
        }
        let earlier = starts.get(&v.child_id).map_or(0, |s| {
            s.iter()
                .filter(|t| **t > v.started_at - 28 * 24 * HOUR && **t <= v.started_at)
                .count()
        });
        if earlier >= 3 {
            c[15] += 1;
        }
        if v.ended_at.is_some_and(|e| e - v.started_at > 72 * HOUR) {
            c[16] += 1;
        }
        c[17] += v.strategy_meetings.len() as u64;
        if v.ended_at.is_some() {
            c[18] += 1;
        }
        c[19] += u64::from(v.rhi_offered_at.is_some());
        c[20] += u64::from(v.rhi_completed_at.is_some());
        c[21] += u64::from(v.rhi_declined_at.is_some());
        for r in &v.reasons {
            *f.reasons.entry(r.clone()).or_default() += 1;
        }
    }
    for (code, (all, looked_after)) in children_seen {
        if let Some(f) = out.get_mut(code) {
            f.counts[0] = all.len() as u64;
            f.counts[7] = looked_after.len() as u64;
        }
    }
    out
}

/// Writes `quarterly.csv` into `dir`.
pub fn write(
    figures: &BTreeMap<String, Figures>,
    quarter: &Period,
    dir: &Path,
) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    let rows = figures.iter().map(|(code, f)| {
        let mut row = vec![code.clone(), quarter.label.clone()];
        row.extend(f.counts.iter().map(u64::to_string));
        row.push(
            f.reasons
                .iter()
                .map(|(r, n)| format!("{r}: {n}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
        row
    });
    safe_csv::write(&dir.join("quarterly.csv"), &COLUMNS, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_in_whole_years() {
        let dob = jiff::civil::date(2010, 3, 15);
        assert_eq!(age(dob, jiff::civil::date(2021, 3, 14)), 10);
        assert_eq!(age(dob, jiff::civil::date(2021, 3, 15)), 11);
    }
}
