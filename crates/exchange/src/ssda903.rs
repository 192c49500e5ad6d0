//! The DfE SSDA903 return's Header, Episodes and Missing tables for a collection year, as the
//! `csc-validator-be-903` package reads them (column names from its `config.py`, codes from its
//! rules). Only children looked after at some time in the year are included.
//!
//! Where Homeward keeps what the return needs:
//! - sex, ethnicity, UPN, category of need and postcodes: the `demographics` object of the
//!   child's facts (`{"sex": "F", "ethnicity": "WBRI", "upn": "…", "cin": "N1",
//!   "home_postcode": "…", "placement_postcode": "…"}`), DfE codes;
//! - legal status and placement type: the child's placements (timeline-v1 vocabulary, mapped
//!   below); an episode of care is a looked-after placement, ceasing when the next begins;
//! - missing (`M`) and away from placement without authorisation (`A`): the child's missing
//!   episodes while looked after ([`Spell`], read from [`crate::episodes::EpisodeView`]);
//! - reason for a change of placement (`REASON_PLACE_CHANGE`): the `change_reason` recorded
//!   with the placement the child moved to, written on the episode that the move ended
//!   (`REC` `X1`) when the next episode is a new placement (`RNE` `P`, `B`, `T` or `U`) and
//!   neither placement is temporary (`T0`–`T4`), and blank otherwise, as the DfE validator's
//!   rules 225, 226 and 1009 require.
//!
//! [`build`] also runs Homeward's own check before anything is submitted: it reports what the
//! return cannot say (missing demographics, unmapped codes, a change of placement without its
//! reason) and what is impossible (an end before its start, a date before the child was born).

use std::collections::HashMap;
use std::path::Path;

use jiff::civil::Date;
use rayon::prelude::*;
use serde::Deserialize;
use store::{Child, ChildId, EpisodeId, ExchangeSnapshot, Instant, Placement};

use crate::episodes::EpisodeView;
use crate::lookup::placements_by_child;
use crate::period::{Period, date_of, dmy};
use crate::{ExchangeError, safe_csv};
use protocol::calendar::london;

/// Header columns.
pub const HEADER: [&str; 7] = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"];
/// Episodes columns.
pub const EPISODES: [&str; 13] = [
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
];
/// Missing columns.
pub const MISSING: [&str; 5] = ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"];

/// The three tables, rows of strings in column order.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    /// Header rows.
    pub header: Vec<Vec<String>>,
    /// Episodes rows.
    pub episodes: Vec<Vec<String>>,
    /// Missing rows.
    pub missing: Vec<Vec<String>>,
}

/// What the Missing table reads of an episode. A collection year of national data holds
/// hundreds of thousands of episodes, so the export keeps these few fields of each rather than
/// its whole [`EpisodeView`] (whose strings and lists made an export's memory, and the time
/// spent faulting it in, several times larger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spell {
    /// Episode ID.
    pub id: EpisodeId,
    /// Child.
    pub child_id: ChildId,
    /// When the child was first noticed absent or reported missing.
    pub started_at: Instant,
    /// When the child returned (else was located), if so.
    pub ended_at: Option<Instant>,
    /// Away from placement without authorisation (`A`) rather than missing (`M`).
    pub away: bool,
}

/// IDs 0, started at the epoch, not ended, missing.
impl Default for Spell {
    fn default() -> Self {
        Spell {
            id: EpisodeId(0),
            child_id: ChildId(0),
            started_at: Instant::EPOCH,
            ended_at: None,
            away: false,
        }
    }
}

impl From<EpisodeView> for Spell {
    fn from(v: EpisodeView) -> Self {
        Spell {
            id: v.id,
            child_id: v.child_id,
            started_at: v.started_at,
            ended_at: v.ended_at,
            away: v.away,
        }
    }
}

/// Something the return cannot say or that cannot be true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Table (`Header`, `Episodes`, `Missing`).
    pub table: &'static str,
    /// Homeward child ID.
    pub child: ChildId,
    /// Column.
    pub column: &'static str,
    /// What is wrong.
    pub message: String,
}

/// What the return needs that the child's facts carry.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Demographics {
    /// `M`, `F` or `U`.
    #[serde(default)]
    pub sex: Option<String>,
    /// DfE ethnicity code (e.g. `WBRI`).
    #[serde(default)]
    pub ethnicity: Option<String>,
    /// Unique pupil number, or `UN1`–`UN5`.
    #[serde(default)]
    pub upn: Option<String>,
    /// Category of need `N1`–`N8`.
    #[serde(default)]
    pub cin: Option<String>,
    /// Postcode of the home the child was taken from.
    #[serde(default)]
    pub home_postcode: Option<String>,
    /// Postcode of the placement.
    #[serde(default)]
    pub placement_postcode: Option<String>,
    /// Ofsted URN of the placement (children's home) or its provider.
    #[serde(default)]
    pub placement_urn: Option<String>,
    /// For a girl: `1` if she is a mother, `0` if not.
    #[serde(default)]
    pub mother: Option<String>,
}

#[derive(Deserialize, Default)]
struct Facts {
    #[serde(default)]
    demographics: Demographics,
}

/// A child's demographics (empty when the facts have none).
pub fn demographics(child: &Child) -> Demographics {
    serde_json::from_str::<Facts>(&child.facts)
        .unwrap_or_default()
        .demographics
}

const SEXES: [&str; 3] = ["M", "F", "U"];
const ETHNICITIES: [&str; 19] = [
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
    "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU",
];
const NEEDS: [&str; 8] = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"];

/// DfE legal status of a timeline-v1 legal status (none when not looked after).
pub fn legal_status(s: &str) -> Option<&'static str> {
    match s {
        "s20" => Some("V2"),
        "s31_care_order" => Some("C2"),
        "s38_interim_care_order" => Some("C1"),
        "s21_accommodation" => Some("J2"),
        _ => None,
    }
}

/// DfE placement type and provider of a timeline-v1 placement type.
pub fn placement(s: &str) -> Option<(&'static str, &'static str)> {
    match s {
        "foster" => Some(("U4", "PR1")),
        "residential" => Some(("K2", "PR4")),
        "semi_independent" => Some(("K3", "PR4")),
        "hospital" => Some(("T1", "PR5")),
        "family_home" => Some(("P1", "PR0")),
        _ => None,
    }
}

/// The URN column: a foster placement's agency may go unnamed (`XXXXXXX`, allowed for the
/// U codes); a placement with its own Ofsted registration names it.
fn urn(place: &str, d: &Demographics) -> String {
    match place {
        "U4" => "XXXXXXX".into(),
        "P1" | "T1" => String::new(),
        _ => d.placement_urn.clone().unwrap_or_default(),
    }
}

/// Reasons for a new episode that mean the child changed placement (the validator's rule 225).
const PLACE_CHANGED: [&str; 4] = ["P", "B", "T", "U"];
/// Temporary placements, for which no reason for the change is given (rule 226).
const TEMPORARY: [&str; 5] = ["T0", "T1", "T2", "T3", "T4"];

/// RNE of the `n`-th episode of care: `S` unless it begins the day the one before ended; then
/// `T` when legal status and placement type both changed, `L` for legal status alone, else
/// `P` (a new placement).
fn reason_new_episode(spans: &[(&Placement, Date, Option<Date>)], n: usize) -> &'static str {
    let Some((p, start, _)) = spans.get(n) else {
        return "S";
    };
    match n.checked_sub(1).and_then(|k| spans.get(k)) {
        Some((q, _, Some(q_end))) if q_end == start => match (
            q.legal_status != p.legal_status,
            q.placement_type != p.placement_type,
        ) {
            (true, true) => "T",
            (true, false) => "L",
            _ => "P",
        },
        _ => "S",
    }
}

/// Children built in one run: enough that a run's overhead is small, few enough that every core
/// gets several runs.
const CHILDREN_PER_RUN: usize = 4096;

fn looked_after(p: &Placement) -> bool {
    legal_status(p.legal_status.as_str()).is_some()
}

fn parse_date(s: &str) -> Option<Date> {
    s.parse().ok()
}

/// Builds the tables for a collection year and checks them. `spells` are the snapshot's
/// episodes read by [`crate::episodes::view`].
///
/// Children are independent of each other, so they are built in runs on every core (a national
/// return has hundreds of thousands), and the runs' rows joined in the snapshot's order of
/// children.
pub fn build(
    snapshot: &ExchangeSnapshot,
    spells: &[Spell],
    year: &Period,
) -> (Tables, Vec<Problem>) {
    let placements = placements_by_child(snapshot);
    let mut missing_by_child: HashMap<ChildId, Vec<&Spell>> = HashMap::new();
    for v in spells {
        missing_by_child.entry(v.child_id).or_default().push(v);
    }
    let parts: Vec<(Tables, Vec<Problem>)> = snapshot
        .children
        .par_chunks(CHILDREN_PER_RUN)
        .map(|children| build_children(children, &placements, &missing_by_child, year))
        .collect();
    let mut tables = Tables::default();
    let mut problems = Vec::new();
    for (part, part_problems) in parts {
        tables.header.extend(part.header);
        tables.episodes.extend(part.episodes);
        tables.missing.extend(part.missing);
        problems.extend(part_problems);
    }
    (tables, problems)
}

/// The rows of some of the snapshot's children and the problems found with them.
fn build_children(
    children: &[Child],
    placements: &HashMap<ChildId, Vec<&Placement>>,
    missing_by_child: &HashMap<ChildId, Vec<&Spell>>,
    year: &Period,
) -> (Tables, Vec<Problem>) {
    let tz = london();
    let mut tables = Tables::default();
    let mut problems = Vec::new();
    for child in children {
        let Some(list) = placements.get(&child.id) else {
            continue;
        };
        // Episodes of care in the year: looked-after placements overlapping it.
        let spans: Vec<(&Placement, Date, Option<Date>)> = list
            .iter()
            .filter(|p| looked_after(p))
            .filter_map(|p| {
                let start = parse_date(&p.starts_on)?;
                let end = p.ends_on.as_deref().and_then(parse_date);
                (start <= year.last && end.is_none_or(|e| e > year.first))
                    .then_some((*p, start, end))
            })
            .collect();
        if spans.is_empty() {
            continue;
        }
        let id = child.id.to_string();
        let problem = |table, column, message: String| Problem {
            table,
            child: child.id,
            column,
            message,
        };
        let dob = parse_date(&child.dob);
        let dob_text = dob.map(dmy).unwrap_or_default();
        if dob.is_none() {
            problems.push(problem(
                "Header",
                "DOB",
                format!("date of birth {:?} is not a date", child.dob),
            ));
        }
        let d = demographics(child);
        let sex = d.sex.clone().unwrap_or_default();
        if !SEXES.contains(&sex.as_str()) {
            problems.push(problem(
                "Header",
                "SEX",
                format!("sex {sex:?} is not M, F or U (child facts demographics.sex)"),
            ));
        }
        let ethnic = d.ethnicity.clone().unwrap_or_default();
        if !ETHNICITIES.contains(&ethnic.as_str()) {
            problems.push(problem(
                "Header",
                "ETHNIC",
                format!(
                    "ethnicity {ethnic:?} is not a DfE code (child facts demographics.ethnicity)"
                ),
            ));
        }
        let upn = d.upn.clone().unwrap_or_default();
        if upn.is_empty() {
            problems.push(problem(
                "Header",
                "UPN",
                "no UPN (or UN1–UN5 code) recorded (child facts demographics.upn)".into(),
            ));
        }
        let mother = d.mother.clone().unwrap_or_default();
        if sex == "F" && !matches!(mother.as_str(), "0" | "1") {
            problems.push(problem("Header", "MOTHER", "whether she is a mother (0 or 1) is not recorded (child facts demographics.mother)".into()));
        }
        tables.header.push(vec![
            id.clone(),
            sex,
            dob_text.clone(),
            ethnic,
            upn,
            mother,
            String::new(),
        ]);
        let cin = d.cin.clone().unwrap_or_default();
        if !NEEDS.contains(&cin.as_str()) {
            problems.push(problem(
                "Episodes",
                "CIN",
                format!("category of need {cin:?} is not N1–N8 (child facts demographics.cin)"),
            ));
        }
        let rnes: Vec<&str> = (0..spans.len())
            .map(|n| reason_new_episode(&spans, n))
            .collect();
        for (n, (p, start, end)) in spans.iter().enumerate() {
            let ls = legal_status(p.legal_status.as_str()).unwrap_or_default();
            let Some((place, provider)) = placement(p.placement_type.as_str()) else {
                problems.push(problem(
                    "Episodes",
                    "PLACE",
                    format!(
                        "placement type {:?} has no DfE code",
                        p.placement_type.as_str()
                    ),
                ));
                continue;
            };
            if dob.is_some_and(|b| *start < b) {
                problems.push(problem(
                    "Episodes",
                    "DECOM",
                    format!("episode starts {start} before the child was born"),
                ));
            }
            if end.is_some_and(|e| e < *start) {
                problems.push(problem(
                    "Episodes",
                    "DEC",
                    format!("episode ends before it starts ({start})"),
                ));
            }
            // An episode that ends after the year is still open at the year's end.
            let dec = end.filter(|e| *e <= year.last);
            let next = spans.get(n + 1).filter(|(_, s, _)| Some(*s) == dec);
            let rec = match dec {
                None => "",
                Some(_) if next.is_some() => "X1",
                Some(_) => "E8",
            };
            // The reason for a change of placement goes on the episode the change ended
            // (validator rules 225 and 226): required when the next episode starts with a new
            // placement (RNE P, B, T or U) and neither placement is temporary (T0–T4).
            let mut reason = String::new();
            if let Some((q, q_start, _)) = next
                && PLACE_CHANGED.contains(&rnes[n + 1])
                && !TEMPORARY.contains(&place)
                && placement(q.placement_type.as_str())
                    .is_none_or(|(pl, _)| !TEMPORARY.contains(&pl))
            {
                match q.change_reason.as_deref() {
                    None | Some("") => problems.push(problem(
                        "Episodes",
                        "REASON_PLACE_CHANGE",
                        format!(
                            "the move to placement {} on {q_start} (RNE {}) has no reason recorded (placement change_reason)",
                            q.id,
                            rnes[n + 1]
                        ),
                    )),
                    Some(r) => {
                        if !store::is_change_reason(r) {
                            problems.push(problem(
                                "Episodes",
                                "REASON_PLACE_CHANGE",
                                format!(
                                    "the move to placement {} on {q_start}: {r:?} is not a DfE reason code (placement change_reason)",
                                    q.id
                                ),
                            ));
                        }
                        reason = r.to_owned();
                    }
                }
            }
            let rne = rnes[n];
            tables.episodes.push(vec![
                id.clone(),
                dmy(*start),
                rne.into(),
                ls.into(),
                cin.clone(),
                place.into(),
                provider.into(),
                dec.map(dmy).unwrap_or_default(),
                rec.into(),
                reason,
                d.home_postcode.clone().unwrap_or_default(),
                d.placement_postcode.clone().unwrap_or_default(),
                urn(place, &d),
            ]);
        }
        // Missing and away episodes that started in the year while looked after.
        for v in missing_by_child
            .get(&child.id)
            .map_or(&[][..], Vec::as_slice)
        {
            let start = date_of(v.started_at.micros(), &tz);
            if start < year.first || start > year.last {
                continue;
            }
            let in_care = spans
                .iter()
                .any(|(_, s, e)| *s <= start && e.is_none_or(|e| start < e));
            if !in_care {
                continue;
            }
            let end = v.ended_at.map(|e| date_of(e.micros(), &tz));
            if let Some(e) = end.filter(|e| *e < start) {
                problems.push(problem(
                    "Missing",
                    "MIS_END",
                    format!("episode {} ends {e} before it starts {start}", v.id),
                ));
            }
            if dob.is_some_and(|b| start < b) {
                problems.push(problem(
                    "Missing",
                    "MIS_START",
                    format!("episode {} starts {start} before the child was born", v.id),
                ));
            }
            tables.missing.push(vec![
                id.clone(),
                dob_text.clone(),
                if v.away { "A" } else { "M" }.into(),
                dmy(start),
                end.filter(|e| *e <= year.last).map(dmy).unwrap_or_default(),
            ]);
        }
    }
    (tables, problems)
}

/// Writes `header.csv`, `episodes.csv` and `missing.csv` into `dir`.
pub fn write(tables: &Tables, dir: &Path) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    safe_csv::write(&dir.join("header.csv"), &HEADER, &tables.header)?;
    safe_csv::write(&dir.join("episodes.csv"), &EPISODES, &tables.episodes)?;
    safe_csv::write(&dir.join("missing.csv"), &MISSING, &tables.missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{london_noon, placement};
    use protocol::vocabulary::{LegalStatus, PlacementType};

    #[test]
    fn episodes_of_care_and_missing_rows() -> Result<(), ExchangeError> {
        let facts = r#"{"demographics": {"sex": "F", "mother": "0", "ethnicity": "WBRI", "upn": "UN2", "cin": "N4", "placement_urn": "SC123456"}}"#;
        let snapshot = ExchangeSnapshot {
            children: vec![Child {
                id: ChildId(1),
                version: 1,
                name: "Ella Birch".into(),
                dob: "2010-02-03".into(),
                facts: facts.into(),
                created_at: Instant::EPOCH,
                updated_at: Instant::EPOCH,
            }],
            placements: vec![
                placement(
                    1,
                    LegalStatus::None,
                    PlacementType::FamilyHome,
                    "2020-01-01",
                    Some("2025-01-01"),
                ),
                placement(
                    2,
                    LegalStatus::S20,
                    PlacementType::Foster,
                    "2025-01-01",
                    Some("2025-06-01"),
                ),
                placement(
                    3,
                    LegalStatus::S31CareOrder,
                    PlacementType::Foster,
                    "2025-06-01",
                    Some("2025-09-01"),
                ),
                Placement {
                    change_reason: Some("CREQB".into()),
                    ..placement(
                        4,
                        LegalStatus::S31CareOrder,
                        PlacementType::Residential,
                        "2025-09-01",
                        None,
                    )
                },
            ],
            ..ExchangeSnapshot::default()
        };
        let away = Spell {
            id: EpisodeId(7),
            child_id: ChildId(1),
            started_at: london_noon("2025-07-04"),
            ended_at: Some(london_noon("2025-07-05")),
            away: true,
        };
        let open = Spell {
            id: EpisodeId(8),
            child_id: ChildId(1),
            started_at: london_noon("2026-03-30"),
            ended_at: Some(london_noon("2026-04-02")),
            ..Spell::default()
        };
        let before_care = Spell {
            id: EpisodeId(6),
            child_id: ChildId(1),
            started_at: london_noon("2024-12-01"),
            ..Spell::default()
        };
        let (tables, problems) = build(
            &snapshot,
            &[before_care, away, open],
            &Period::collection_year("2025-26")?,
        );
        assert_eq!(problems, vec![]);
        assert_eq!(
            tables.header,
            vec![vec!["1", "F", "03/02/2010", "WBRI", "UN2", "0", ""]]
        );
        let short: Vec<Vec<&str>> = tables
            .episodes
            .iter()
            .map(|r| {
                [1, 2, 3, 5, 6, 7, 8, 9, 12]
                    .iter()
                    .map(|i| r[*i].as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            short,
            vec![
                vec![
                    "01/01/2025",
                    "S",
                    "V2",
                    "U4",
                    "PR1",
                    "01/06/2025",
                    "X1",
                    "",
                    "XXXXXXX"
                ],
                vec![
                    "01/06/2025",
                    "L",
                    "C2",
                    "U4",
                    "PR1",
                    "01/09/2025",
                    "X1",
                    "CREQB",
                    "XXXXXXX"
                ],
                vec!["01/09/2025", "P", "C2", "K2", "PR4", "", "", "", "SC123456"],
            ]
        );
        // Away without authorisation is A; an episode still open at 31 March has a blank end.
        assert_eq!(
            tables.missing,
            vec![
                vec!["1", "03/02/2010", "A", "04/07/2025", "05/07/2025"],
                vec!["1", "03/02/2010", "M", "30/03/2026", ""],
            ]
        );
        Ok(())
    }

    fn looked_after_child(placements: Vec<Placement>) -> ExchangeSnapshot {
        let facts = r#"{"demographics": {"sex": "M", "ethnicity": "WBRI", "upn": "UN2", "cin": "N4", "placement_urn": "SC123456"}}"#;
        ExchangeSnapshot {
            children: vec![Child {
                id: ChildId(1),
                version: 1,
                name: "Sam Ash".into(),
                dob: "2010-02-03".into(),
                facts: facts.into(),
                created_at: Instant::EPOCH,
                updated_at: Instant::EPOCH,
            }],
            placements,
            ..ExchangeSnapshot::default()
        }
    }

    fn reasons(tables: &Tables) -> Vec<(&str, &str, &str)> {
        tables
            .episodes
            .iter()
            .map(|r| (r[2].as_str(), r[8].as_str(), r[9].as_str()))
            .collect()
    }

    #[test]
    fn a_change_of_placement_without_its_reason_is_a_problem() -> Result<(), ExchangeError> {
        let year = Period::collection_year("2025-26")?;
        let mut moved = placement(
            2,
            LegalStatus::S20,
            PlacementType::Residential,
            "2025-07-01",
            None,
        );
        let snapshot = looked_after_child(vec![
            placement(
                1,
                LegalStatus::S20,
                PlacementType::Foster,
                "2025-01-01",
                Some("2025-07-01"),
            ),
            moved.clone(),
        ]);
        let (tables, problems) = build(&snapshot, &[], &year);
        assert_eq!(reasons(&tables), vec![("S", "X1", ""), ("P", "", "")]);
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.table, p.child, p.column))
                .collect::<Vec<_>>(),
            vec![("Episodes", ChildId(1), "REASON_PLACE_CHANGE")]
        );
        assert!(problems[0].message.contains("placement 2"), "{problems:?}");
        // A code outside the DfE list is written (so the DfE's validator sees it too) and
        // reported.
        moved.change_reason = Some("MOVED".into());
        let snapshot = looked_after_child(vec![
            placement(
                1,
                LegalStatus::S20,
                PlacementType::Foster,
                "2025-01-01",
                Some("2025-07-01"),
            ),
            moved,
        ]);
        let (tables, problems) = build(&snapshot, &[], &year);
        assert_eq!(reasons(&tables), vec![("S", "X1", "MOVED"), ("P", "", "")]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("\"MOVED\""), "{problems:?}");
        Ok(())
    }

    #[test]
    fn no_reason_for_temporary_placements_legal_changes_or_a_new_start() -> Result<(), ExchangeError>
    {
        let year = Period::collection_year("2025-26")?;
        let with = |p: Placement| Placement {
            change_reason: Some("OTHER".into()),
            ..p
        };
        let snapshot = looked_after_child(vec![
            placement(
                1,
                LegalStatus::S20,
                PlacementType::Foster,
                "2025-04-01",
                Some("2025-04-20"),
            ),
            // Into hospital and back (T1): the DfE wants no reason either side.
            with(placement(
                2,
                LegalStatus::S20,
                PlacementType::Hospital,
                "2025-04-20",
                Some("2025-05-01"),
            )),
            with(placement(
                3,
                LegalStatus::S20,
                PlacementType::Foster,
                "2025-05-01",
                Some("2025-06-01"),
            )),
            // A change of legal status alone (L) is not a change of placement.
            with(placement(
                4,
                LegalStatus::S31CareOrder,
                PlacementType::Foster,
                "2025-06-01",
                Some("2025-08-01"),
            )),
            // After a gap the child starts a new period of care (S).
            with(placement(
                5,
                LegalStatus::S31CareOrder,
                PlacementType::Foster,
                "2025-09-01",
                None,
            )),
        ]);
        let (tables, problems) = build(&snapshot, &[], &year);
        assert_eq!(problems, vec![]);
        assert_eq!(
            reasons(&tables),
            vec![
                ("S", "X1", ""),
                ("P", "X1", ""),
                ("P", "X1", ""),
                ("L", "E8", ""),
                ("S", "", ""),
            ]
        );
        Ok(())
    }
}
