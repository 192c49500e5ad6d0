//! What the returns need from an episode's events: when it started and ended, whether it was
//! a missing episode or an absence without authorisation, the latest risk grade, interviews and
//! meetings. Corrected events are left out (their corrections count instead).

use std::collections::HashSet;

use serde::Deserialize;
use store::{Episode, EventRecord, ExchangeSnapshot, Repository, SnapshotChildren, StoreError};

/// One episode as the returns read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpisodeView {
    /// Episode ID.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// Responsible authority.
    pub responsible_authority_id: i64,
    /// Host authority.
    pub host_authority_id: i64,
    /// When the child was first noticed absent or reported missing (else the episode opened).
    pub started_at: i64,
    /// When the child returned (else was located), if so.
    pub ended_at: Option<i64>,
    /// `T_rep`: when the episode was first reported to the police, if it was.
    pub reported_at: Option<i64>,
    /// `T_found` as the engine reads it (timeline-v1 §7.1): first located, else first
    /// returned.
    pub found_at: Option<i64>,
    /// Away from placement without authorisation (`awol` / `unauthorised_absence` first
    /// noticed and never reported missing) rather than missing.
    pub away: bool,
    /// Latest police risk grade.
    pub risk: Option<String>,
    /// Police reference of the report.
    pub police_ref: Option<String>,
    /// When a return interview was first offered (an offer, completion or refusal implies one).
    pub rhi_offered_at: Option<i64>,
    /// When a return interview was completed.
    pub rhi_completed_at: Option<i64>,
    /// When the child declined one.
    pub rhi_declined_at: Option<i64>,
    /// When strategy meetings (incl. complex strategy) were held.
    pub strategy_meetings: Vec<i64>,
    /// Reasons recorded with a completed interview (`push_factors`, `pull_factors`, `reason`).
    pub reasons: Vec<String>,
}

/// The parts of an event the returns read; other fields are skipped unparsed (millions of
/// events are read per return).
#[derive(Deserialize)]
struct Body {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Data,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default, deserialize_with = "text")]
    status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    police_ref: Option<String>,
    #[serde(default, deserialize_with = "text")]
    level: Option<String>,
    #[serde(default, deserialize_with = "text")]
    meeting_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    push_factors: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pull_factors: Option<String>,
}

/// A field's text, or none when it holds something else (a list, a number…), so that one odd
/// field never hides the event.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Field {
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Field::deserialize(d)? {
        Field::Text(s) => Some(s),
        Field::Other(_) => None,
    })
}

/// Reads one episode's events (in recording order).
pub fn view(episode: &Episode, events: &[EventRecord]) -> EpisodeView {
    let corrected: HashSet<i64> = events.iter().filter_map(|e| e.corrects_event_id).collect();
    let mut v = EpisodeView {
        id: episode.id,
        child_id: episode.child_id,
        responsible_authority_id: episode.responsible_authority_id,
        host_authority_id: episode.host_authority_id,
        started_at: episode.opened_at,
        ..EpisodeView::default()
    };
    let mut ordered: Vec<&EventRecord> = events
        .iter()
        .filter(|e| !corrected.contains(&e.id))
        .collect();
    ordered.sort_by_key(|e| (e.at, e.id));
    let mut start: Option<i64> = None;
    let (mut located, mut returned) = (None, None);
    let (mut noticed_away, mut reported) = (false, false);
    for e in ordered {
        let Ok(body) = serde_json::from_str::<Body>(&e.body) else {
            continue;
        };
        let d = body.data;
        match body.kind.as_str() {
            "absence_noticed" => {
                if start.is_none() {
                    noticed_away =
                        matches!(d.status.as_deref(), Some("awol" | "unauthorised_absence"));
                }
                start.get_or_insert(e.at);
            }
            "reported_missing" => {
                reported = true;
                v.reported_at.get_or_insert(e.at);
                start.get_or_insert(e.at);
                if v.police_ref.is_none() {
                    v.police_ref = d.police_ref;
                }
            }
            "risk_graded" => v.risk = d.level,
            "located" => {
                located.get_or_insert(e.at);
            }
            "returned" => {
                returned.get_or_insert(e.at);
            }
            "rhi_offered" => {
                v.rhi_offered_at.get_or_insert(e.at);
            }
            "rhi_completed" => {
                v.rhi_completed_at.get_or_insert(e.at);
                v.rhi_offered_at.get_or_insert(e.at);
                for r in [d.reason, d.push_factors, d.pull_factors]
                    .into_iter()
                    .flatten()
                {
                    if !r.is_empty() {
                        v.reasons.push(r);
                    }
                }
            }
            "rhi_declined" => {
                v.rhi_declined_at.get_or_insert(e.at);
                v.rhi_offered_at.get_or_insert(e.at);
            }
            "meeting_held" => {
                if matches!(
                    d.meeting_type.as_deref(),
                    Some("strategy" | "complex_strategy")
                ) {
                    v.strategy_meetings.push(e.at);
                }
            }
            _ => {}
        }
    }
    v.started_at = start.unwrap_or(episode.opened_at);
    v.ended_at = returned.or(located);
    v.found_at = located.or(returned);
    v.away = noticed_away && !reported;
    v
}

/// Reads the snapshot of episodes opened in `[from, to)` (with the children `children` names),
/// each episode read into its view as its events stream past (the events themselves are not
/// kept), and kept as `keep` makes it: a return that reads a few fields of each of a national
/// year's episodes keeps just those (`std::convert::identity` keeps the whole view).
pub async fn read<T: Send>(
    store: &dyn Repository,
    from: i64,
    to: i64,
    children: SnapshotChildren,
    keep: fn(EpisodeView) -> T,
) -> Result<(ExchangeSnapshot, Vec<T>), StoreError> {
    let mut kept = Vec::new();
    let snapshot = store
        .exchange_snapshot(from, to, children, &mut |episode, events| {
            kept.push(keep(view(episode, events)));
        })
        .await?;
    Ok((snapshot, kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Episode 1 of child 7, opened at 100.
    fn episode() -> Episode {
        Episode {
            id: 1,
            child_id: 7,
            version: 1,
            responsible_authority_id: 1,
            host_authority_id: 1,
            finder_authority_id: None,
            opened_at: 100,
            closed_at: None,
        }
    }

    fn event(id: i64, at: i64, body: &str, corrects: Option<i64>) -> EventRecord {
        EventRecord {
            id,
            episode_id: 1,
            at,
            body: body.into(),
            recorded_by: 1,
            recorded_at: at,
            corrects_event_id: corrects,
            correction_reason: corrects.map(|_| "typo".into()),
        }
    }

    #[test]
    fn away_start_end_and_corrections() {
        let ep = episode();
        let events = [
            event(
                1,
                90,
                r#"{"type":"absence_noticed","data":{"status":"awol"}}"#,
                None,
            ),
            event(
                2,
                120,
                r#"{"type":"risk_graded","data":{"level":"low"}}"#,
                None,
            ),
            event(3, 500, r#"{"type":"returned","data":{}}"#, None),
            event(4, 400, r#"{"type":"returned","data":{}}"#, Some(3)),
            event(
                5,
                130,
                r#"{"type":"risk_graded","data":{"level":"medium"}}"#,
                None,
            ),
            event(
                6,
                600,
                r#"{"type":"rhi_completed","data":{"push_factors":["home"],"reason":"friends"}}"#,
                None,
            ),
        ];
        let v = view(&ep, &events);
        assert_eq!(v.started_at, 90);
        assert_eq!(v.ended_at, Some(400));
        assert_eq!(v.found_at, Some(400));
        assert_eq!(v.reported_at, None);
        assert!(v.away);
        assert_eq!(v.risk.as_deref(), Some("medium"));
        assert_eq!(v.rhi_completed_at, Some(600));
        assert_eq!(v.reasons, vec!["friends".to_owned()]);
    }

    #[test]
    fn report_and_found_as_the_engine_reads_them() {
        let ep = episode();
        let events = [
            event(
                1,
                100,
                r#"{"type":"absence_noticed","data":{"status":"missing"}}"#,
                None,
            ),
            event(2, 150, r#"{"type":"reported_missing","data":{}}"#, None),
            event(3, 140, r#"{"type":"reported_missing","data":{}}"#, Some(2)),
            event(4, 300, r#"{"type":"returned","data":{}}"#, None),
            event(5, 200, r#"{"type":"located","data":{}}"#, None),
        ];
        let v = view(&ep, &events);
        // The corrected report counts, at its corrected time; found is the first located.
        assert_eq!(v.reported_at, Some(140));
        assert_eq!(v.found_at, Some(200));
        assert_eq!(v.ended_at, Some(300));
        assert!(!v.away);
    }
}
