//! The repeat-missing cohort: children whose police-reported episodes in the closed window
//! `[now − window, now]` reach their protocol's threshold. The threshold is the rule pack's
//! `parameters.repeat` (the one the engine's C11 uses): the responsible authority's protocol
//! first, else the host's. Newham states none, so a Newham child placed in Newham is not judged
//! (counted as `unjudged`) rather than judged by an invented number.

use std::collections::BTreeMap;

use jiff::Timestamp;
use protocol::pack::RepeatThreshold;
use protocol::{Calendar, Catalog};
use serde::Serialize;

use crate::input::ChildInput;

/// A protocol's repeat-missing threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Threshold {
    /// Protocol (`SY`, …).
    pub protocol: String,
    /// Window, as the pack writes it (`P28D`).
    pub window: String,
    /// Episodes within the window, at least.
    pub at_least: u32,
    /// What the protocol says follows.
    pub consequence: String,
    /// The pack's parameter itself, which does the counting.
    #[serde(skip)]
    rule: RepeatThreshold,
}

/// Every protocol's threshold, from the catalog's packs.
pub fn thresholds(catalog: &Catalog) -> Vec<Threshold> {
    catalog
        .packs()
        .filter_map(|p| {
            let r = p.pack.parameters.repeat.as_ref()?;
            Some(Threshold {
                protocol: p.pack.protocol.as_str().to_owned(),
                window: r.window.to_string(),
                at_least: r.at_least,
                consequence: r.consequence.clone(),
                rule: r.clone(),
            })
        })
        .collect()
}

/// A child in the cohort.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CohortChild {
    /// Child.
    pub child_id: i64,
    /// Name.
    pub name: String,
    /// Responsible authority (code).
    pub responsible: String,
    /// Host authority (code).
    pub host: String,
    /// The protocol whose threshold was met.
    pub protocol: String,
    /// Police-reported episodes in the window.
    pub in_window: usize,
    /// Police-reported episodes on record.
    pub total: usize,
    /// The latest report.
    pub last_reported: Timestamp,
    /// Episodes in the window by the authority the child went missing from (code).
    pub by_authority: BTreeMap<String, usize>,
}

/// Totals for one authority.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuthorityCount {
    /// Authority (code).
    pub authority: String,
    /// Cohort children it is responsible for.
    pub children: usize,
    /// Cohort episodes in the window that went missing from it.
    pub episodes: usize,
}

/// The cohort.
#[derive(Clone, Debug, Serialize)]
pub struct Cohort {
    /// Children meeting their threshold, most episodes in the window first.
    pub children: Vec<CohortChild>,
    /// Per authority, by code.
    pub by_authority: Vec<AuthorityCount>,
    /// Children whose protocols state no threshold.
    pub unjudged: usize,
    /// The thresholds used.
    pub thresholds: Vec<Threshold>,
}

/// The repeat-missing cohort at `now`.
pub fn cohort(
    children: &[ChildInput],
    catalog: &Catalog,
    calendar: &Calendar,
    now: Timestamp,
) -> Cohort {
    let thresholds = thresholds(catalog);
    let mut out = Vec::new();
    let mut unjudged = 0;
    for c in children {
        let Some(t) = c
            .protocols
            .iter()
            .find_map(|p| thresholds.iter().find(|t| &t.protocol == p))
        else {
            unjudged += 1;
            continue;
        };
        let window = t.rule.window_ending(calendar, now);
        let reported: Vec<_> = c
            .episodes
            .iter()
            .filter_map(|e| e.reported.map(|r| (r, e)))
            .filter(|(r, _)| *r <= now)
            .collect();
        let in_window: Vec<_> = reported
            .iter()
            .filter(|(r, _)| window.contains(r))
            .collect();
        if !t.rule.reached(in_window.len()) {
            continue;
        }
        let mut by_authority = BTreeMap::new();
        for (_, e) in &in_window {
            *by_authority.entry(e.host.clone()).or_insert(0) += 1;
        }
        out.push(CohortChild {
            child_id: c.id,
            name: c.name.clone(),
            responsible: c.responsible.clone(),
            host: c.host.clone(),
            protocol: t.protocol.clone(),
            in_window: in_window.len(),
            total: reported.len(),
            last_reported: in_window.iter().map(|(r, _)| *r).max().unwrap_or(now),
            by_authority,
        });
    }
    out.sort_by(|a, b| {
        b.in_window
            .cmp(&a.in_window)
            .then(a.child_id.cmp(&b.child_id))
    });
    let mut totals: BTreeMap<String, AuthorityCount> = BTreeMap::new();
    for c in &out {
        totals
            .entry(c.responsible.clone())
            .or_insert_with(|| AuthorityCount {
                authority: c.responsible.clone(),
                ..Default::default()
            })
            .children += 1;
        for (a, n) in &c.by_authority {
            totals
                .entry(a.clone())
                .or_insert_with(|| AuthorityCount {
                    authority: a.clone(),
                    ..Default::default()
                })
                .episodes += n;
        }
    }
    Cohort {
        children: out,
        by_authority: totals.into_values().collect(),
        unjudged,
        thresholds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::EpisodeInput;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn child(id: i64, protocols: &[&str], host: &str, reports: &[&str]) -> ChildInput {
        ChildInput {
            id,
            name: format!("Child {id}"),
            responsible: "RESP".into(),
            host: host.into(),
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            flags: vec![],
            concerns: vec![],
            episodes: reports
                .iter()
                .enumerate()
                .map(|(k, r)| {
                    let at: Timestamp = r.parse().unwrap_or(Timestamp::UNIX_EPOCH);
                    EpisodeInput {
                        id: id * 100 + k as i64,
                        host: if k == 0 { "OTHER".into() } else { host.into() },
                        started: at,
                        reported: Some(at),
                        found: None,
                        found_at: None,
                    }
                })
                .collect(),
            frequented: vec![],
            associates: vec![],
        }
    }

    fn setup() -> Result<(Catalog, Calendar), Box<dyn std::error::Error>> {
        Ok((Catalog::bundled()?, Calendar::bundled()?))
    }

    #[test]
    fn sy_three_in_28_days_counts_the_closed_window() -> TestResult {
        let (catalog, calendar) = setup()?;
        let now: Timestamp = "2026-03-29T12:00:00Z".parse()?;
        // 28 calendar days on the London wall clock before 13:00 BST on 29 March (the day the
        // clocks go forward) is 13:00 GMT on 1 March: a report exactly then counts.
        let edge = child(
            1,
            &["SY"],
            "SHEFFIELD",
            &[
                "2026-03-01T13:00:00Z",
                "2026-03-10T00:00:00Z",
                "2026-03-20T00:00:00Z",
            ],
        );
        let early = child(
            2,
            &["SY"],
            "SHEFFIELD",
            &[
                "2026-03-01T12:59:00Z",
                "2026-03-10T00:00:00Z",
                "2026-03-20T00:00:00Z",
            ],
        );
        let c = cohort(&[edge, early], &catalog, &calendar, now);
        assert_eq!(c.children.len(), 1);
        let only = &c.children[0];
        assert_eq!(
            (
                only.child_id,
                only.protocol.as_str(),
                only.in_window,
                only.total
            ),
            (1, "SY", 3, 3)
        );
        assert_eq!(only.by_authority.get("OTHER"), Some(&1));
        assert_eq!(only.by_authority.get("SHEFFIELD"), Some(&2));
        assert_eq!(c.by_authority.len(), 3);
        Ok(())
    }

    #[test]
    fn thresholds_come_from_the_packs_and_newham_states_none() -> TestResult {
        let (catalog, calendar) = setup()?;
        let t = thresholds(&catalog);
        let sy = t
            .iter()
            .find(|t| t.protocol == "SY")
            .ok_or("SY threshold")?;
        assert_eq!((sy.window.as_str(), sy.at_least), ("P28D", 3));
        assert!(!t.iter().any(|t| t.protocol == "NEWHAM"));
        let now: Timestamp = "2026-03-29T12:00:00Z".parse()?;
        let reports = ["2026-03-20T00:00:00Z"; 12];
        // A Newham child placed in Merton is judged by Merton's threshold (4 in 28 days).
        let c = cohort(
            &[
                child(1, &["NEWHAM"], "NEWHAM", &reports),
                child(2, &["NEWHAM", "MERTON"], "MERTON", &reports[..4]),
                child(3, &["MERTON"], "MERTON", &reports[..3]),
            ],
            &catalog,
            &calendar,
            now,
        );
        assert_eq!(c.unjudged, 1);
        let ids: Vec<_> = c
            .children
            .iter()
            .map(|c| (c.child_id, c.protocol.as_str()))
            .collect();
        assert_eq!(ids, vec![(2, "MERTON")]);
        Ok(())
    }

    #[test]
    fn unreported_and_future_episodes_do_not_count() -> TestResult {
        let (catalog, calendar) = setup()?;
        let now: Timestamp = "2026-03-29T12:00:00Z".parse()?;
        let mut c = child(
            1,
            &["SY"],
            "SHEFFIELD",
            &[
                "2026-03-10T00:00:00Z",
                "2026-03-20T00:00:00Z",
                "2026-03-30T00:00:00Z",
            ],
        );
        assert!(
            cohort(std::slice::from_ref(&c), &catalog, &calendar, now)
                .children
                .is_empty()
        );
        c.episodes[2].reported = Some("2026-03-28T00:00:00Z".parse()?);
        assert_eq!(
            cohort(std::slice::from_ref(&c), &catalog, &calendar, now)
                .children
                .len(),
            1
        );
        c.episodes[1].reported = None;
        assert!(cohort(&[c], &catalog, &calendar, now).children.is_empty());
        Ok(())
    }
}
