//! Places children are found, and places they frequent, as a table: by postcode district or by
//! named place (compared without case or spacing). A row counts the episodes that ended there,
//! the distinct children found there, when a child was last found there, and how many
//! children's profiles name it as a place they frequent.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::input::ChildInput;
use crate::place::{Place, name_key};

/// How places are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// Postcode district (`E15`).
    District,
    /// Named place (`Stratford bus station`).
    Place,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hotspot {
    /// The district, or the named place as first written.
    pub place: String,
    /// Episodes in which a child was found there.
    pub found: usize,
    /// Distinct children found there.
    pub children: usize,
    /// When a child was last found there.
    pub last_found: Option<Timestamp>,
    /// Distinct children whose profile names it as a place they frequent.
    pub frequented_by: usize,
}

#[derive(Default)]
struct Tally {
    label: String,
    found: usize,
    children: BTreeSet<i64>,
    last_found: Option<Timestamp>,
    frequenters: BTreeSet<i64>,
}

fn key(p: &Place, by: GroupBy) -> Option<(String, String)> {
    match by {
        GroupBy::District => p.district.clone().map(|d| (d.clone(), d)),
        GroupBy::Place => p.name.as_deref().map(|n| (name_key(n), n.to_owned())),
    }
}

/// The row of a place (made on first sight, labelled as first written), if it has the key.
fn entry<'a>(
    tally: &'a mut BTreeMap<String, Tally>,
    p: &Place,
    by: GroupBy,
) -> Option<&'a mut Tally> {
    let (k, label) = key(p, by)?;
    let t = tally.entry(k).or_default();
    if t.label.is_empty() {
        t.label = label;
    }
    Some(t)
}

/// The table, busiest first (episodes found, then children frequenting, then name).
pub fn hotspots(children: &[ChildInput], by: GroupBy) -> Vec<Hotspot> {
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    for c in children {
        for e in &c.episodes {
            let (Some(found), Some(place)) = (e.found, &e.found_at) else {
                continue;
            };
            if let Some(t) = entry(&mut tally, place, by) {
                t.found += 1;
                t.children.insert(c.id);
                t.last_found = t.last_found.max(Some(found));
            }
        }
        for place in &c.frequented {
            if let Some(t) = entry(&mut tally, place, by) {
                t.frequenters.insert(c.id);
            }
        }
    }
    let mut rows: Vec<Hotspot> = tally
        .into_values()
        .map(|t| Hotspot {
            place: t.label,
            found: t.found,
            children: t.children.len(),
            last_found: t.last_found,
            frequented_by: t.frequenters.len(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.found
            .cmp(&a.found)
            .then(b.frequented_by.cmp(&a.frequented_by))
            .then(a.place.cmp(&b.place))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::EpisodeInput;

    fn child(id: i64, found: &[(&str, &str)], frequented: &[&str]) -> ChildInput {
        ChildInput {
            id,
            name: format!("Child {id}"),
            responsible: "NEWHAM".into(),
            host: "NEWHAM".into(),
            protocols: vec!["NEWHAM".into()],
            flags: vec![],
            concerns: vec![],
            episodes: found
                .iter()
                .enumerate()
                .map(|(k, (at, place))| {
                    let at: Timestamp = at.parse().unwrap_or(Timestamp::UNIX_EPOCH);
                    EpisodeInput {
                        id: id * 100 + k as i64,
                        host: "NEWHAM".into(),
                        started: at,
                        reported: Some(at),
                        found: Some(at),
                        found_at: Place::parse(place),
                    }
                })
                .collect(),
            frequented: frequented.iter().filter_map(|p| Place::parse(p)).collect(),
            associates: vec![],
        }
    }

    fn fixture() -> Vec<ChildInput> {
        vec![
            child(
                1,
                &[
                    ("2026-01-01T10:00:00Z", "Stratford bus station, E15 1AZ"),
                    ("2026-02-01T10:00:00Z", "stratford  BUS station e15 1az"),
                ],
                &["Westfield, E20 1EJ"],
            ),
            child(
                2,
                &[
                    ("2026-01-15T10:00:00Z", "e15 4qq"),
                    ("2026-01-20T10:00:00Z", "Meadowhall"),
                ],
                &["Stratford Bus Station"],
            ),
        ]
    }

    #[test]
    fn by_district_merges_postcodes_of_a_district() {
        let rows = hotspots(&fixture(), GroupBy::District);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].place.as_str(), rows[0].found, rows[0].children),
            ("E15", 3, 2)
        );
        assert_eq!(rows[0].last_found, "2026-02-01T10:00:00Z".parse().ok());
        // Westfield is only frequented; Meadowhall has no district.
        assert_eq!(
            (rows[1].place.as_str(), rows[1].found, rows[1].frequented_by),
            ("E20", 0, 1)
        );
    }

    #[test]
    fn by_place_ignores_case_and_spacing_and_counts_frequenters() {
        let rows = hotspots(&fixture(), GroupBy::Place);
        let names: Vec<_> = rows
            .iter()
            .map(|r| (r.place.as_str(), r.found, r.children, r.frequented_by))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Stratford bus station", 2, 1, 1),
                ("Meadowhall", 1, 1, 0),
                ("Westfield", 0, 0, 1),
            ]
        );
    }

    #[test]
    fn episodes_without_a_finding_or_place_are_left_out() {
        let mut c = fixture();
        c[0].episodes[0].found = None;
        c[1].episodes[0].found_at = None;
        let rows = hotspots(&c, GroupBy::District);
        assert_eq!(
            (rows[0].place.as_str(), rows[0].found, rows[0].children),
            ("E15", 1, 1)
        );
        assert!(hotspots(&[], GroupBy::Place).is_empty());
    }
}
