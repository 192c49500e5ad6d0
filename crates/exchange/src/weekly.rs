//! The weekly missing-meeting list: every child missing at any time in the seven days ending on
//! a date, with risk, hours missing and where things stand, by responsible authority.

use std::path::Path;

use protocol::vocabulary::LegalStatus;
use store::{ExchangeSnapshot, Instant};

use crate::episodes::EpisodeView;
use crate::lookup::Lookup;
use crate::period::{Period, date_of, dmy_hm};
use crate::quarterly::{age, placement_on};
use crate::{ExchangeError, safe_csv};
use protocol::calendar::london;

/// Columns of the list.
pub const COLUMNS: [&str; 13] = [
    "authority",
    "child",
    "name",
    "age",
    "looked_after",
    "out_of_area",
    "police_reference",
    "risk",
    "started",
    "ended",
    "hours_missing",
    "status",
    "return_interview",
];

/// The rows of the list for a week, sorted by authority then start, as they stand at `as_of`
/// (hours missing run to the return, else to `as_of` or the end of the week if earlier).
pub fn build(
    snapshot: &ExchangeSnapshot,
    views: &[EpisodeView],
    week: &Period,
    as_of: Instant,
) -> Vec<Vec<String>> {
    let tz = london();
    let (from, to) = (
        Instant::from_micros(week.start_micros()),
        Instant::from_micros(week.end_micros()).min(as_of),
    );
    let Lookup {
        codes,
        children,
        placements,
    } = Lookup::of(snapshot);
    let mut rows: Vec<(String, Instant, Vec<String>)> = views
        .iter()
        .filter(|v| v.started_at < to && v.ended_at.is_none_or(|e| e >= from))
        .map(|v| {
            let code = codes
                .get(&v.responsible_authority_id)
                .copied()
                .unwrap_or("UNKNOWN")
                .to_owned();
            let child = children.get(&v.child_id);
            let day = date_of(v.started_at.micros(), &tz);
            let years = child
                .and_then(|c| c.dob.parse().ok())
                .map(|dob| age(dob, day));
            let looked_after = placements
                .get(&v.child_id)
                .and_then(|ps| placement_on(ps, day))
                .is_some_and(|p| p.legal_status != LegalStatus::None);
            let until = v.ended_at.unwrap_or(to).min(to);
            let hours = (until.micros() - v.started_at.micros()) as f64 / 3_600_000_000.0;
            let status = match v.ended_at {
                Some(e) if e < to => "returned",
                _ => "still missing",
            };
            let rhi = if v.rhi_completed_at.is_some() {
                "completed"
            } else if v.rhi_declined_at.is_some() {
                "declined"
            } else if v.rhi_offered_at.is_some() {
                "offered"
            } else {
                "not yet"
            };
            let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
            let row = vec![
                code.clone(),
                v.child_id.to_string(),
                child.map(|c| c.name.clone()).unwrap_or_default(),
                years.map(|y| y.to_string()).unwrap_or_default(),
                yes_no(looked_after),
                yes_no(v.host_authority_id != v.responsible_authority_id),
                v.police_ref.clone().unwrap_or_default(),
                v.risk.clone().unwrap_or_default(),
                dmy_hm(v.started_at.micros(), &tz),
                v.ended_at
                    .filter(|e| *e < to)
                    .map(|e| dmy_hm(e.micros(), &tz))
                    .unwrap_or_default(),
                format!("{hours:.1}"),
                status.into(),
                rhi.into(),
            ];
            (code, v.started_at, row)
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    rows.into_iter().map(|(_, _, r)| r).collect()
}

/// Writes `weekly.csv` into `dir`.
pub fn write(rows: &[Vec<String>], dir: &Path) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    safe_csv::write(&dir.join("weekly.csv"), &COLUMNS, rows)
}
