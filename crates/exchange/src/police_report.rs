//! When an episode was reported to the police and when the child was found, read as the engine
//! reads them (timeline-v1 §7.1): `T_rep` is the first `reported_missing`, `T_found` the first
//! `located`, else the first `returned`. Corrected events are left out (their corrections
//! count instead), as in [`crate::episodes`]. The quarterly return's strategy-meeting triggers
//! count from these instants, as the engine's rules do.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use store::{EventRecord, ExchangeSnapshot};

/// A police-reported episode's report and finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoliceReport {
    /// `T_rep`: the first report to the police.
    pub reported_at: i64,
    /// `T_found`: first located, else first returned, if so.
    pub found_at: Option<i64>,
}

/// Only the event's type is read; the rest is skipped unparsed.
#[derive(Deserialize)]
struct Kind {
    #[serde(rename = "type")]
    kind: String,
}

/// The report of one episode from its events, or none if it was never reported to the police
/// (e.g. away without authorisation only).
pub fn report(events: &[&EventRecord]) -> Option<PoliceReport> {
    let corrected: HashSet<i64> = events.iter().filter_map(|e| e.corrects_event_id).collect();
    let (mut reported, mut located, mut returned) = (None::<i64>, None::<i64>, None::<i64>);
    for e in events.iter().filter(|e| !corrected.contains(&e.id)) {
        let Ok(Kind { kind }) = serde_json::from_str::<Kind>(&e.body) else {
            continue;
        };
        let first = match kind.as_str() {
            "reported_missing" => &mut reported,
            "located" => &mut located,
            "returned" => &mut returned,
            _ => continue,
        };
        *first = Some(first.map_or(e.at, |t| t.min(e.at)));
    }
    Some(PoliceReport {
        reported_at: reported?,
        found_at: located.or(returned),
    })
}

/// The reports of a snapshot's police-reported episodes, by episode ID.
pub fn reports(snapshot: &ExchangeSnapshot) -> HashMap<i64, PoliceReport> {
    let mut by_episode: HashMap<i64, Vec<&EventRecord>> = HashMap::new();
    for e in &snapshot.events {
        by_episode.entry(e.episode_id).or_default().push(e);
    }
    by_episode
        .into_iter()
        .filter_map(|(id, events)| Some((id, report(&events)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, at: i64, kind: &str, corrects: Option<i64>) -> EventRecord {
        EventRecord {
            id,
            episode_id: 1,
            at,
            body: format!(r#"{{"type":"{kind}","data":{{}}}}"#),
            recorded_by: 1,
            recorded_at: at,
            corrects_event_id: corrects,
            correction_reason: corrects.map(|_| "typo".into()),
        }
    }

    #[test]
    fn first_report_and_located_before_returned() {
        let events = [
            event(1, 50, "absence_noticed", None),
            event(2, 100, "reported_missing", None),
            event(3, 90, "reported_missing", Some(2)),
            event(4, 400, "returned", None),
            event(5, 300, "located", None),
        ];
        let refs: Vec<&EventRecord> = events.iter().collect();
        assert_eq!(
            report(&refs),
            Some(PoliceReport {
                reported_at: 90,
                found_at: Some(300)
            })
        );
        // Away without authorisation and never reported: no police report.
        assert_eq!(report(&[&events[0], &events[3]]), None);
    }
}
