//! Ofsted's Annex A, List 8: children who went missing or were absent from home or placement in
//! the twelve months before a date, one row per episode, with whether a return interview was
//! offered and accepted. Written as CSV and as an xlsx workbook (rust_xlsxwriter), every cell
//! as text so no spreadsheet ever reads one as a formula.
//!
//! Source of the columns: the issue ("List 8: missing and absent episodes in 12 months, return
//! interview offered and accepted") and the headings of Ofsted's Annex A template for list 8 as
//! we know them; no machine-readable copy of the template was available to check against, so
//! check the headings against the current template before submitting.

use std::path::Path;

use store::ExchangeSnapshot;

use crate::episodes::EpisodeView;
use crate::lookup::Lookup;
use crate::period::{Period, date_of, dmy, london};
use crate::quarterly::{age, placement_on};
use crate::ssda903::demographics;
use crate::{ExchangeError, safe_csv};

/// Columns of list 8.
pub const COLUMNS: [&str; 12] = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age at start of episode",
    "Looked after",
    "Responsible authority",
    "Missing or absent",
    "Start date of episode",
    "End date of episode",
    "Return interview offered",
    "Return interview accepted",
];

/// The rows for the twelve months ending on `period.last` (episodes starting in the period).
pub fn build(
    snapshot: &ExchangeSnapshot,
    views: &[EpisodeView],
    period: &Period,
) -> Vec<Vec<String>> {
    let tz = london();
    let Lookup {
        codes,
        children,
        placements,
    } = Lookup::of(snapshot);
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_owned();
    let mut rows: Vec<(i64, i64, Vec<String>)> = views
        .iter()
        .filter(|v| period.contains(v.started_at))
        .map(|v| {
            let child = children.get(&v.child_id);
            let d = child.map(|c| demographics(c)).unwrap_or_default();
            let day = date_of(v.started_at, &tz);
            let dob = child.and_then(|c| c.dob.parse().ok());
            let looked_after = placements
                .get(&v.child_id)
                .and_then(|ps| placement_on(ps, day))
                .is_some_and(|p| p.legal_status != "none");
            let row = vec![
                v.child_id.to_string(),
                d.sex.unwrap_or_default(),
                d.ethnicity.unwrap_or_default(),
                dob.map(dmy).unwrap_or_default(),
                dob.map(|b| age(b, day).to_string()).unwrap_or_default(),
                yes_no(looked_after),
                codes
                    .get(&v.responsible_authority_id)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                if v.away { "Absent" } else { "Missing" }.into(),
                dmy(day),
                v.ended_at.map(|e| dmy(date_of(e, &tz))).unwrap_or_default(),
                yes_no(v.rhi_offered_at.is_some()),
                if v.rhi_offered_at.is_some() {
                    yes_no(v.rhi_completed_at.is_some())
                } else {
                    String::new()
                },
            ];
            (v.child_id, v.started_at, row)
        })
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    rows.into_iter().map(|(_, _, r)| r).collect()
}

/// Writes `annex-a-list-8.csv` and `annex-a-list-8.xlsx` into `dir`.
pub fn write(rows: &[Vec<String>], dir: &Path) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    safe_csv::write(&dir.join("annex-a-list-8.csv"), &COLUMNS, rows)?;
    let path = dir.join("annex-a-list-8.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name("List 8")
        .map_err(|e| ExchangeError::write(&path, &e))?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(|e| ExchangeError::write(&path, &e))?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, c as u16, cell)
                .map_err(|e| ExchangeError::write(&path, &e))?;
        }
    }
    book.save(&path)
        .map_err(|e| ExchangeError::write(&path, &e))
}
