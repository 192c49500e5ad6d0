//! What the returns need from an episode's events: when it started and ended, whether it was
//! a missing episode or an absence without authorisation, the latest risk grade, interviews and
//! meetings. Corrected events are left out (their corrections count instead).

use std::collections::HashSet;

use serde::Deserialize;
use store::{AuthorityId, ChildId, Episode, EpisodeId, EventId, EventRecord, Instant};

/// One episode as the returns read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpisodeView {
    /// Episode ID.
    pub id: EpisodeId,
    /// Child.
    pub child_id: ChildId,
    /// Responsible authority.
    pub responsible_authority_id: AuthorityId,
    /// Host authority.
    pub host_authority_id: AuthorityId,
    /// When the child was first noticed absent or reported missing (else the episode opened).
    pub started_at: Instant,
    /// When the child returned (else was located), if so.
    pub ended_at: Option<Instant>,
    /// `T_rep`: when the episode was first reported to the police, if it was.
    pub reported_at: Option<Instant>,
    /// `T_found` as the engine reads it (timeline-v1 §7.1): first located, else first
    /// returned.
    pub found_at: Option<Instant>,
    /// Away from placement without authorisation (`awol` / `unauthorised_absence` first
    /// noticed and never reported missing) rather than missing.
    pub away: bool,
    /// Latest police risk grade.
    pub risk: Option<String>,
    /// Police reference of the report.
    pub police_ref: Option<String>,
    /// When a return interview was first offered (an offer, completion or refusal implies one).
    pub rhi_offered_at: Option<Instant>,
    /// When a return interview was completed.
    pub rhi_completed_at: Option<Instant>,
    /// When the child declined one.
    pub rhi_declined_at: Option<Instant>,
    /// When strategy meetings (incl. complex strategy) were held.
    pub strategy_meetings: Vec<Instant>,
    /// Reasons recorded with a completed interview (`push_factors`, `pull_factors`, `reason`).
    pub reasons: Vec<String>,
}

/// IDs 0, started at the epoch, nothing recorded (the starting point of [`view`], and of
/// views built by hand in tests).
impl Default for EpisodeView {
    fn default() -> Self {
        EpisodeView {
            id: EpisodeId(0),
            child_id: ChildId(0),
            responsible_authority_id: AuthorityId(0),
            host_authority_id: AuthorityId(0),
            started_at: Instant::EPOCH,
            ended_at: None,
            reported_at: None,
            found_at: None,
            away: false,
            risk: None,
            police_ref: None,
            rhi_offered_at: None,
            rhi_completed_at: None,
            rhi_declined_at: None,
            strategy_meetings: Vec::new(),
            reasons: Vec::new(),
        }
    }
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

/// Reads one episode's events (in recording order): what an export's snapshot visitor calls
/// for each episode as its events stream past.
pub fn view(episode: &Episode, events: &[EventRecord]) -> EpisodeView {
    let corrected: HashSet<EventId> = events.iter().filter_map(|e| e.corrects_event_id).collect();
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
    let mut start: Option<Instant> = None;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Episode 1 of child 7, opened at 100.
    fn episode() -> Episode {
        Episode {
            id: EpisodeId(1),
            child_id: ChildId(7),
            version: 1,
            responsible_authority_id: AuthorityId(1),
            host_authority_id: AuthorityId(1),
            finder_authority_id: None,
            opened_at: Instant::from_micros(100),
        }
    }

    fn event(id: i64, at: i64, body: &str, corrects: Option<i64>) -> EventRecord {
        let at = Instant::from_micros(at);
        EventRecord {
            id: EventId(id),
            episode_id: EpisodeId(1),
            at,
            body: body.into(),
            recorded_by: store::UserId(1),
            recorded_at: at,
            corrects_event_id: corrects.map(EventId),
            correction_reason: corrects.map(|_| "typo".into()),
        }
    }

    fn at(us: i64) -> Instant {
        Instant::from_micros(us)
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
        assert_eq!(v.started_at, at(90));
        assert_eq!(v.ended_at, Some(at(400)));
        assert_eq!(v.found_at, Some(at(400)));
        assert_eq!(v.reported_at, None);
        assert!(v.away);
        assert_eq!(v.risk.as_deref(), Some("medium"));
        assert_eq!(v.rhi_completed_at, Some(at(600)));
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
        assert_eq!(v.reported_at, Some(at(140)));
        assert_eq!(v.found_at, Some(at(200)));
        assert_eq!(v.ended_at, Some(at(300)));
        assert!(!v.away);
    }
}
