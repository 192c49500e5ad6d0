//! The police daily missing list: a CSV the force sends each morning, read into children's
//! episodes. Every row is checked first; any bad row rejects the whole file with its row and
//! column, and nothing is written (the store then writes the file in one transaction).
//!
//! Columns (a header row with these names, any order; extra columns are refused):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `force` | yes | reporting police force, e.g. `Metropolitan Police` |
//! | `police_reference` | yes | the force's reference for the report |
//! | `child_reference` | one of | Homeward child ID |
//! | `name`, `date_of_birth` | the two | full name and `YYYY-MM-DD` or `dd/mm/YYYY`, when there is no child reference |
//! | `reported_at` | yes | when reported: ISO-8601 with offset, or `dd/mm/YYYY HH:MM` London time |
//! | `risk` | yes | `high`, `medium`, `low` or `no_apparent_risk` |
//! | `status` | yes | `missing`, `found` (located) or `returned` |
//! | `found_at` | when found or returned | when, as `reported_at` |
//!
//! Each row is matched to a child (by reference, else by exact name and date of birth, which
//! must be unique), then to the child's episode reported under the same police reference, else
//! the child's episode still open, else a new episode. It adds what Homeward does not yet know:
//! the report (`reported_missing`), a changed risk grade (`risk_graded`), and when found or
//! returned the `located` / `returned` events — the same events the API records, so the
//! engine recomputes the child's obligations and each child written is audited. A row saying
//! `missing` for an episode Homeward already has ended adds nothing (the list lags behind), so
//! importing the same list twice adds nothing the second time.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use serde_json::json;
use store::{
    ChildId, EpisodeId, EventRecord, ImportCandidates, ImportChild, ImportEpisode, Instant,
    NewEvent, UserId,
};

use crate::episodes::{EpisodeView, view};
use protocol::calendar::london;

/// The columns, in the order the documentation gives them.
pub const COLUMNS: [&str; 9] = [
    "force",
    "police_reference",
    "child_reference",
    "name",
    "date_of_birth",
    "reported_at",
    "risk",
    "status",
    "found_at",
];

const RISKS: [&str; 4] = ["high", "medium", "low", "no_apparent_risk"];

/// A rejected cell: row number as a spreadsheet shows it (the header is row 1), column name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// Row (header = 1).
    pub row: usize,
    /// Column name (empty for a whole-row problem).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(
                f,
                "row {}, column {}: {}",
                self.row, self.column, self.message
            )
        }
    }
}

/// Whether the child is still missing, found, or home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Still missing.
    Missing,
    /// Located.
    Found,
    /// Back home or at the placement.
    Returned,
}

/// A checked row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Row number (header = 1).
    pub row: usize,
    /// Force.
    pub force: String,
    /// Police reference.
    pub police_reference: String,
    /// Child ID, if given.
    pub child_reference: Option<ChildId>,
    /// Name and date of birth, if no child ID.
    pub name_dob: Option<(String, Date)>,
    /// Reported.
    pub reported_at: Instant,
    /// Risk grade.
    pub risk: String,
    /// Status.
    pub status: Status,
    /// Found or returned.
    pub found_at: Option<Instant>,
}

fn parse_instant(text: &str) -> Option<Instant> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t.into());
    }
    let local = DateTime::strptime("%d/%m/%Y %H:%M", text).ok()?;
    Some(local.to_zoned(london()).ok()?.timestamp().into())
}

fn parse_date(text: &str) -> Option<Date> {
    text.parse::<Date>()
        .ok()
        .or_else(|| Date::strptime("%d/%m/%Y", text).ok())
}

/// Reads and checks every row. All errors are returned, not just the first.
pub fn read(text: &str) -> Result<Vec<Row>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let err = |row, column: &str, message: String| RowError {
        row,
        column: column.into(),
        message,
    };
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![err(1, "", format!("cannot read the header: {e}"))]),
    };
    let mut index = HashMap::new();
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        if !COLUMNS.contains(&name) {
            errors.push(err(
                1,
                name,
                format!("unknown column (expected {})", COLUMNS.join(", ")),
            ));
        } else if index.insert(name.to_owned(), i).is_some() {
            errors.push(err(1, name, "column given twice".into()));
        }
    }
    for required in ["force", "police_reference", "reported_at", "risk", "status"] {
        if !index.contains_key(required) {
            errors.push(err(1, required, "required column missing".into()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(row, "", format!("not a CSV row: {e}")));
                continue;
            }
        };
        let cell = |c: &str| index.get(c).and_then(|i| record.get(*i)).unwrap_or("");
        let before = errors.len();
        let mut required = |c: &str| {
            let v = cell(c);
            if v.is_empty() {
                errors.push(err(row, c, "required".into()));
            }
            v.to_owned()
        };
        let force = required("force");
        let police_reference = required("police_reference");
        let reported_text = required("reported_at");
        let risk = required("risk");
        let status_text = required("status");
        let reported_at = parse_instant(&reported_text);
        if reported_at.is_none() && !reported_text.is_empty() {
            errors.push(err(row, "reported_at", format!("{reported_text:?} is not an instant (ISO-8601 with offset, or dd/mm/YYYY HH:MM)")));
        }
        if !risk.is_empty() && !RISKS.contains(&risk.as_str()) {
            errors.push(err(
                row,
                "risk",
                format!("{risk:?} is not one of {}", RISKS.join(", ")),
            ));
        }
        let status = match status_text.as_str() {
            "missing" => Some(Status::Missing),
            "found" => Some(Status::Found),
            "returned" => Some(Status::Returned),
            "" => None,
            other => {
                errors.push(err(
                    row,
                    "status",
                    format!("{other:?} is not missing, found or returned"),
                ));
                None
            }
        };
        let found_text = cell("found_at");
        let found_at = if found_text.is_empty() {
            if matches!(status, Some(Status::Found | Status::Returned)) {
                errors.push(err(
                    row,
                    "found_at",
                    "required when the status is found or returned".into(),
                ));
            }
            None
        } else {
            let t = parse_instant(found_text);
            match (t, status, reported_at) {
                (None, ..) => errors.push(err(
                    row,
                    "found_at",
                    format!("{found_text:?} is not an instant"),
                )),
                (Some(_), Some(Status::Missing), _) => errors.push(err(
                    row,
                    "found_at",
                    "given but the status is missing".into(),
                )),
                (Some(f), _, Some(r)) if f < r => {
                    errors.push(err(row, "found_at", "before reported_at".into()))
                }
                _ => {}
            }
            t
        };
        let child_text = cell("child_reference");
        let child_reference = if child_text.is_empty() {
            None
        } else {
            let id = child_text.parse::<ChildId>().ok();
            if id.is_none() {
                errors.push(err(
                    row,
                    "child_reference",
                    format!("{child_text:?} is not a Homeward child reference (a number)"),
                ));
            }
            id
        };
        let name_dob = if child_text.is_empty() {
            let (name, dob_text) = (cell("name"), cell("date_of_birth"));
            if name.is_empty() {
                errors.push(err(
                    row,
                    "name",
                    "required when there is no child_reference".into(),
                ));
            }
            let dob = parse_date(dob_text);
            if dob.is_none() {
                errors.push(err(row, "date_of_birth", format!("{dob_text:?} is not a date (YYYY-MM-DD or dd/mm/YYYY); required when there is no child_reference")));
            }
            dob.map(|d| (name.to_owned(), d))
        } else {
            None
        };
        if errors.len() == before
            && let (Some(reported_at), Some(status)) = (reported_at, status)
        {
            rows.push(Row {
                row,
                force,
                police_reference,
                child_reference,
                name_dob,
                reported_at,
                risk,
                status,
                found_at,
            });
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(err(2, "", "the list has no rows".into()));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn event(
    at: Instant,
    kind: &str,
    data: serde_json::Value,
    recorded_by: UserId,
    now: Instant,
) -> NewEvent {
    let at_text = Timestamp::from_microsecond(at.micros())
        .map(|t| t.to_string())
        .unwrap_or_default();
    NewEvent {
        at,
        body: json!({"at": at_text, "type": kind, "data": data}).to_string(),
        correction: None,
        recorded_by,
        recorded_at: now,
    }
}

/// Where a row's events go.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Existing(EpisodeId),
    New(ChildId, usize),
}

/// What to ask the store for: the child references on the list and the names given without
/// one, each once.
pub fn lookups(rows: &[Row]) -> (Vec<ChildId>, Vec<String>) {
    let mut ids: Vec<ChildId> = rows.iter().filter_map(|r| r.child_reference).collect();
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|r| r.name_dob.as_ref().map(|(name, _)| name.clone()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    names.sort_unstable();
    names.dedup();
    (ids, names)
}

/// The candidates' episodes read (each with its own events, in recording order).
pub fn views(candidates: &ImportCandidates) -> Vec<EpisodeView> {
    // The events come by episode, so each episode's are one run of them.
    let by_episode: HashMap<EpisodeId, &[EventRecord]> = candidates
        .events
        .chunk_by(|a, b| a.episode_id == b.episode_id)
        .filter_map(|run| Some((run.first()?.episode_id, run)))
        .collect();
    candidates
        .episodes
        .iter()
        .map(|ep| view(ep, by_episode.get(&ep.id).copied().unwrap_or_default()))
        .collect()
}

/// Matches checked rows to children and episodes and works out the events to add.
/// `candidates` holds the children the rows name (by reference or by name) and their episodes
/// that may match (opened since shortly before the earliest report); `views` are those
/// episodes read. Rows that match nothing, or contradict what Homeward knows, are errors.
pub fn plan(
    rows: &[Row],
    candidates: &ImportCandidates,
    views: &[EpisodeView],
    recorded_by: UserId,
    now: Instant,
) -> Result<Vec<ImportChild>, Vec<RowError>> {
    let mut by_name: HashMap<(&str, &str), Vec<ChildId>> = HashMap::new();
    for c in &candidates.children {
        by_name
            .entry((c.name.as_str(), c.dob.as_str()))
            .or_default()
            .push(c.id);
    }
    let ids: std::collections::HashSet<ChildId> =
        candidates.children.iter().map(|c| c.id).collect();
    let mut episodes_of: HashMap<ChildId, Vec<&EpisodeView>> = HashMap::new();
    for v in views {
        episodes_of.entry(v.child_id).or_default().push(v);
    }
    let mut errors = Vec::new();
    // Per child, per target episode: the events to add, and what those already added say.
    let mut out: Vec<ImportChild> = Vec::new();
    let mut slot: HashMap<ChildId, usize> = HashMap::new();
    let mut targets: HashMap<(ChildId, Target), usize> = HashMap::new();
    let mut new_by_ref: HashMap<(ChildId, String), usize> = HashMap::new();
    let mut state: HashMap<(ChildId, Target), (Option<String>, bool, bool)> = HashMap::new();
    for r in rows {
        let err = |column: &str, message: String| RowError {
            row: r.row,
            column: column.into(),
            message,
        };
        let child = match (r.child_reference, &r.name_dob) {
            (Some(id), _) if ids.contains(&id) => id,
            (Some(id), _) => {
                errors.push(err("child_reference", format!("no child {id} in Homeward")));
                continue;
            }
            (None, Some((name, dob))) => {
                match by_name
                    .get(&(name.as_str(), dob.to_string().as_str()))
                    .map(Vec::as_slice)
                {
                    Some([id]) => *id,
                    Some(many) if many.len() > 1 => {
                        errors.push(err("name", format!("{} children are called {name:?} and born {dob}; give child_reference", many.len())));
                        continue;
                    }
                    _ => {
                        errors.push(err(
                            "name",
                            format!("no child called {name:?} born {dob} in Homeward"),
                        ));
                        continue;
                    }
                }
            }
            (None, None) => continue,
        };
        let mine = episodes_of.get(&child).map_or(&[][..], Vec::as_slice);
        let existing = mine
            .iter()
            .find(|v| v.police_ref.as_deref() == Some(r.police_reference.as_str()))
            .or_else(|| {
                mine.iter()
                    .filter(|v| v.ended_at.is_none())
                    .max_by_key(|v| v.started_at)
            });
        let ci = *slot.entry(child).or_insert_with(|| {
            out.push(ImportChild {
                child_id: child,
                episodes: Vec::new(),
                now,
            });
            out.len() - 1
        });
        let target = match existing {
            Some(v) => Target::Existing(v.id),
            None => {
                let next = new_by_ref.len();
                let n = *new_by_ref
                    .entry((child, r.police_reference.clone()))
                    .or_insert(next);
                Target::New(child, n)
            }
        };
        let ei = *targets.entry((child, target)).or_insert_with(|| {
            out[ci].episodes.push(ImportEpisode {
                episode_id: match target {
                    Target::Existing(id) => Some(id),
                    Target::New(..) => None,
                },
                opened_at: r.reported_at,
                events: Vec::new(),
            });
            out[ci].episodes.len() - 1
        });
        let (risk, reported, found) =
            state
                .entry((child, target))
                .or_insert_with(|| match existing {
                    Some(v) => (
                        v.risk.clone(),
                        v.police_ref.as_deref() == Some(r.police_reference.as_str()),
                        v.ended_at.is_some(),
                    ),
                    None => (None, false, false),
                });
        let events = &mut out[ci].episodes[ei].events;
        if !*reported {
            events.push(event(
                r.reported_at,
                "reported_missing",
                json!({"to": r.force, "police_ref": r.police_reference}),
                recorded_by,
                now,
            ));
            *reported = true;
        }
        if risk.as_deref() != Some(r.risk.as_str()) {
            // A new report is graded when reported; a changed grade on a known episode as of
            // the list.
            let at = if matches!(target, Target::New(..))
                || existing.is_some_and(|v| v.police_ref.is_none())
            {
                r.reported_at
            } else {
                now.max(r.reported_at)
            };
            events.push(event(
                at,
                "risk_graded",
                json!({"level": r.risk, "by": r.force}),
                recorded_by,
                now,
            ));
            *risk = Some(r.risk.clone());
        }
        if let (Some(at), false) = (r.found_at, *found) {
            events.push(event(
                at,
                "located",
                json!({"by": r.force}),
                recorded_by,
                now,
            ));
            if r.status == Status::Returned {
                events.push(event(
                    at,
                    "returned",
                    json!({"by": r.force}),
                    recorded_by,
                    now,
                ));
            }
            *found = true;
        }
    }
    // Episodes with nothing new are left alone.
    for c in &mut out {
        c.episodes.retain(|e| !e.events.is_empty());
    }
    out.retain(|c| !c.episodes.is_empty());
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "force,police_reference,child_reference,name,date_of_birth,reported_at,risk,status,found_at\n";

    #[test]
    fn good_rows_are_read() -> Result<(), String> {
        let text = format!(
            "{HEADER}Metropolitan Police,MP-1,12,,,2025-06-01T22:00:00+01:00,high,missing,\n\
             Kent Police,KP-9,,Ella Birch,2011-02-03,01/06/2025 23:30,low,returned,02/06/2025 08:00\n"
        );
        let rows = read(&text).map_err(|e| format!("{e:?}"))?;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].child_reference, Some(ChildId(12)));
        assert_eq!(
            rows[1].name_dob,
            Some(("Ella Birch".into(), jiff::civil::date(2011, 2, 3)))
        );
        // 23:30 BST is 22:30 UTC.
        assert_eq!(
            Timestamp::from_microsecond(rows[1].reported_at.micros())
                .map(|t| t.to_string())
                .ok(),
            Some("2025-06-01T22:30:00Z".into())
        );
        assert_eq!(rows[1].status, Status::Returned);
        Ok(())
    }

    #[test]
    fn every_bad_cell_is_named_by_row_and_column() -> Result<(), String> {
        let text = format!(
            "{HEADER}Metropolitan Police,MP-1,abc,,,2025-06-01T22:00:00+01:00,severe,missing,\n\
             ,MP-2,,,,yesterday,low,found,\n\
             Kent Police,KP-9,5,,,2025-06-02T10:00:00Z,low,returned,2025-06-01T10:00:00Z\n"
        );
        let Err(errors) = read(&text) else {
            return Err("bad rows were accepted".into());
        };
        let cells: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        for expected in [
            (2, "child_reference"),
            (2, "risk"),
            (3, "force"),
            (3, "reported_at"),
            (3, "found_at"),
            (3, "name"),
            (3, "date_of_birth"),
            (4, "found_at"),
        ] {
            assert!(cells.contains(&expected), "{expected:?} not in {errors:?}");
        }
        assert!(
            errors[0].to_string().starts_with("row 2, column "),
            "{}",
            errors[0]
        );
        Ok(())
    }

    #[test]
    fn unknown_and_missing_columns_are_refused() -> Result<(), String> {
        let Err(errors) = read("force,police_reference,when\nx,y,z\n") else {
            return Err("bad header accepted".into());
        };
        let cols: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert!(
            cols.contains(&"when") && cols.contains(&"reported_at") && cols.contains(&"risk"),
            "{errors:?}"
        );
        Ok(())
    }
}
