//! Ofsted's Annex A, List 8 (children in care): one row per child looked after at any time in
//! the twelve months to a date, with the list's missing columns — how many times the child was
//! missing and how many times absent from placement in those months, and whether a return
//! interview was offered and accepted after the last missing episode. One workbook per
//! responsible authority (each submits its own Annex A), written as CSV and as xlsx
//! (rust_xlsxwriter), every cell as text so no spreadsheet ever reads one as a formula.
//!
//! The headings are the template's, as the Annex A schema of Social Finance's `liia-tools`
//! (`liiatools/annex_a_pipeline/spec/Annex_A_schema.yml`, List 8) spells them. Only the child's
//! identifying columns and the missing columns are written; List 8's other columns (legal
//! status, placement, visits, reviews…) come from the case management system. Values are the
//! template's categories without their drop-down letters (`Female`, `WBRI`, `Yes`), which that
//! schema's cleaning accepts.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use store::{Child, ChildId, ExchangeSnapshot};

use crate::episodes::EpisodeView;
use crate::lookup::Lookup;
use crate::period::{Period, date_of, dmy};
use crate::quarterly::{age, placement_on};
use crate::ssda903::{demographics, legal_status};
use crate::{ExchangeError, safe_csv};
use protocol::calendar::london;

/// Columns written, in the template's order.
pub const COLUMNS: [&str; 9] = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
    "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
    "Was the child offered a Return Interview after their last missing episode (Y/N)?",
    "Did the child accept a Return Interview after their last missing episode (Y/N)?",
];

/// List 8 rows by responsible authority code, each authority's by child ID.
pub type Lists = BTreeMap<String, Vec<Vec<String>>>;

/// The lists for the twelve months ending on `period.last`. A child is listed under the
/// authority responsible for its latest looked-after placement in the period; its episodes
/// count when they started in the period while it was looked after (`views` must hold every
/// episode opened since a little before the period, `snapshot` every child).
pub fn build(snapshot: &ExchangeSnapshot, views: &[EpisodeView], period: &Period) -> Lists {
    let tz = london();
    let Lookup {
        codes, placements, ..
    } = Lookup::of(snapshot);
    let mut episodes: BTreeMap<ChildId, Vec<&EpisodeView>> = BTreeMap::new();
    for v in views
        .iter()
        .filter(|v| period.contains(v.started_at.micros()))
    {
        episodes.entry(v.child_id).or_default().push(v);
    }
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let mut lists = Lists::new();
    for child in &snapshot.children {
        let Some(list) = placements.get(&child.id) else {
            continue;
        };
        // The latest looked-after placement overlapping the period.
        let Some(current) = list.iter().rev().find(|p| {
            legal_status(p.legal_status.as_str()).is_some()
                && p.starts_on.as_str() <= last.as_str()
                && p.ends_on.as_deref().is_none_or(|e| e > first.as_str())
        }) else {
            continue;
        };
        let mut in_care: Vec<&EpisodeView> = episodes
            .get(&child.id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|v| {
                placement_on(list, date_of(v.started_at.micros(), &tz))
                    .is_some_and(|p| legal_status(p.legal_status.as_str()).is_some())
            })
            .collect();
        in_care.sort_by_key(|v| (v.started_at, v.id));
        let code = codes
            .get(&current.responsible_authority_id)
            .copied()
            .unwrap_or("UNKNOWN");
        lists
            .entry(code.to_owned())
            .or_default()
            .push(row(child, &in_care, period.last));
    }
    lists
}

/// A child's row: `episodes` are its episodes in care in the period, in order.
fn row(child: &Child, episodes: &[&EpisodeView], on: Date) -> Vec<String> {
    let d = demographics(child);
    let dob: Option<Date> = child.dob.parse().ok();
    let missing = episodes.iter().filter(|v| !v.away).count();
    let last_missing = episodes.iter().rev().find(|v| !v.away);
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_owned();
    let (offered, accepted) = match last_missing {
        None => (String::new(), String::new()),
        Some(v) if v.rhi_offered_at.is_none() => (yes_no(false), String::new()),
        Some(v) => (
            yes_no(true),
            match (v.rhi_completed_at, v.rhi_declined_at) {
                (Some(_), _) => yes_no(true),
                (None, Some(_)) => yes_no(false),
                // Offered, and neither held nor refused yet.
                (None, None) => "Unknown".into(),
            },
        ),
    };
    vec![
        child.id.to_string(),
        match d.sex.as_deref() {
            Some("M") => "Male",
            Some("F") => "Female",
            _ => "Not stated/recorded",
        }
        .into(),
        d.ethnicity.unwrap_or_default(),
        dob.map(dmy).unwrap_or_default(),
        dob.map(|b| age(b, on).to_string()).unwrap_or_default(),
        missing.to_string(),
        (episodes.len() - missing).to_string(),
        offered,
        accepted,
    ]
}

/// The files of one authority's list: `annex-a-list-8-CODE.csv` and `.xlsx`.
pub fn file_stem(code: &str) -> String {
    format!("annex-a-list-8-{code}")
}

/// Writes each authority's list as CSV and xlsx into `dir`.
pub fn write(lists: &Lists, dir: &Path) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    for (code, rows) in lists {
        let stem = file_stem(code);
        safe_csv::write(&dir.join(format!("{stem}.csv")), &COLUMNS, rows)?;
        write_xlsx(&dir.join(format!("{stem}.xlsx")), rows)?;
    }
    Ok(())
}

fn write_xlsx(path: &Path, rows: &[Vec<String>]) -> Result<(), ExchangeError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name("List 8")
        .map_err(|e| ExchangeError::write(path, &e))?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(|e| ExchangeError::write(path, &e))?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, c as u16, cell)
                .map_err(|e| ExchangeError::write(path, &e))?;
        }
    }
    book.save(path).map_err(|e| ExchangeError::write(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{authority, london_noon, placement};
    use protocol::vocabulary::{LegalStatus, PlacementType, Protocol};
    use store::{EpisodeId, Instant};

    fn episode(id: i64, on: &str, away: bool) -> EpisodeView {
        EpisodeView {
            id: EpisodeId(id),
            child_id: ChildId(1),
            started_at: london_noon(on),
            away,
            ..EpisodeView::default()
        }
    }

    #[test]
    fn a_child_in_care_with_its_missing_and_absent_counts() {
        let snapshot = ExchangeSnapshot {
            authorities: vec![authority(
                "NEWHAM",
                "Newham",
                Protocol::Newham,
                "Metropolitan Police",
            )],
            children: vec![Child {
                id: ChildId(1),
                version: 1,
                name: "Ella Birch".into(),
                dob: "2010-02-03".into(),
                facts: r#"{"demographics": {"sex": "F", "ethnicity": "WBRI"}}"#.into(),
                created_at: Instant::EPOCH,
                updated_at: Instant::EPOCH,
            }],
            placements: vec![
                placement(
                    1,
                    LegalStatus::None,
                    PlacementType::FamilyHome,
                    "2020-01-01",
                    Some("2025-06-01"),
                ),
                placement(
                    2,
                    LegalStatus::S20,
                    PlacementType::Foster,
                    "2025-06-01",
                    None,
                ),
            ],
            ..ExchangeSnapshot::default()
        };
        let offered_and_held = EpisodeView {
            rhi_offered_at: Some(london_noon("2025-09-02")),
            rhi_completed_at: Some(london_noon("2025-09-03")),
            ..episode(4, "2025-09-01", false)
        };
        let last = EpisodeView {
            rhi_offered_at: Some(london_noon("2026-01-11")),
            rhi_declined_at: Some(london_noon("2026-01-12")),
            ..episode(6, "2026-01-10", false)
        };
        let views = [
            // Before care: not counted.
            episode(2, "2025-05-01", false),
            offered_and_held,
            episode(5, "2025-10-01", true),
            last,
            // After the period: not counted.
            episode(7, "2026-04-02", false),
        ];
        let lists = build(
            &snapshot,
            &views,
            &Period::twelve_months_to(Date::constant(2026, 3, 31)),
        );
        assert_eq!(
            lists.get("NEWHAM"),
            Some(&vec![vec![
                "1".to_owned(),
                "Female".into(),
                "WBRI".into(),
                "03/02/2010".into(),
                "16".into(),
                "2".into(),
                "1".into(),
                "Yes".into(),
                "No".into(),
            ]])
        );
    }

    #[test]
    fn a_child_never_looked_after_is_not_listed() {
        let snapshot = ExchangeSnapshot {
            children: vec![Child {
                id: ChildId(1),
                version: 1,
                name: "Sam Oak".into(),
                dob: "2011-01-01".into(),
                facts: "{}".into(),
                created_at: Instant::EPOCH,
                updated_at: Instant::EPOCH,
            }],
            placements: vec![placement(
                1,
                LegalStatus::None,
                PlacementType::FamilyHome,
                "2020-01-01",
                None,
            )],
            ..ExchangeSnapshot::default()
        };
        let period = Period::twelve_months_to(Date::constant(2026, 3, 31));
        assert!(build(&snapshot, &[episode(1, "2025-09-01", false)], &period).is_empty());
    }
}
