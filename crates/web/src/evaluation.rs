//! From a stored child file to the engine and back: the file becomes a timeline v1 document
//! (so stored events are checked by the same reader as `homeward evaluate`), the engine
//! evaluates it, and each obligation is tied to its stored episode and authority.

use jiff::Timestamp;
use protocol::{Calendar, Catalog, Engine, Obligation};
use serde_json::{Map, Value, json};
use store::{Authority, ChildFile, NewObligation};

use crate::{instant, micros};

/// A child file as a timeline v1 document.
pub struct Document {
    /// The document.
    pub json: Value,
    /// The stored episode of each event of the document, in document order.
    pub event_episodes: Vec<i64>,
    /// Where the extra event (if any) stands among the document's events.
    pub extra_index: Option<usize>,
}

/// Why a file cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The child has no current placement, so no authority's protocol applies.
    #[error("the child has no current placement")]
    NoPlacement,
    /// The stored data does not make a valid timeline (names the JSON path).
    #[error("{0}")]
    Invalid(#[from] protocol::TimelineError),
}

fn authority(file: &ChildFile, id: i64) -> Option<&Authority> {
    file.authorities.iter().find(|a| a.id == id)
}

/// The rulesets that apply: the responsible authority's protocol, the host's when the child is
/// placed elsewhere, and the protocol of any authority where an episode ended.
fn rulesets(file: &ChildFile, responsible: &Authority, host: &Authority) -> Vec<Value> {
    let mut out: Vec<(String, &str)> = Vec::new();
    if let Some(p) = &responsible.protocol {
        out.push((p.clone(), "responsible"));
    }
    if host.id != responsible.id
        && let Some(p) = &host.protocol
    {
        let local_only = matches!(p.as_str(), "NEWHAM" | "MERTON");
        if !(local_only && out.iter().any(|(q, _)| q == p)) {
            out.push((p.clone(), "host"));
        }
    }
    for ep in &file.episodes {
        if let Some(finder) = ep.finder_authority_id.and_then(|id| authority(file, id))
            && let Some(p) = &finder.protocol
            && !out.iter().any(|(q, r)| q == p && *r == "finder")
        {
            out.push((p.clone(), "finder"));
        }
    }
    out.into_iter()
        .map(|(p, r)| json!({"protocol": p, "role": r}))
        .collect()
}

/// Builds the timeline v1 document of a child as at `now`; `extra` is a new event (and its
/// episode) to check before it is stored.
pub fn document(
    calendar: &Calendar,
    file: &ChildFile,
    now: Timestamp,
    extra: Option<(&Value, i64)>,
) -> Result<Document, BuildError> {
    let placement = file.placement.as_ref().ok_or(BuildError::NoPlacement)?;
    let responsible =
        authority(file, placement.responsible_authority_id).ok_or(BuildError::NoPlacement)?;
    let host = authority(file, placement.host_authority_id).ok_or(BuildError::NoPlacement)?;
    let mut child = Map::new();
    child.insert(
        "pseudonym".into(),
        json!(format!("child-{}", file.child.id)),
    );
    child.insert("dob".into(), json!(file.child.dob));
    child.insert("legal_status".into(), json!(placement.legal_status));
    child.insert("placement_type".into(), json!(placement.placement_type));
    child.insert("responsible_authority".into(), json!(responsible.name));
    child.insert("host_authority".into(), json!(host.name));
    child.insert("police_force".into(), json!(placement.police_force));
    child.insert(
        "placement_travel_minutes".into(),
        json!(placement.travel_minutes),
    );
    let facts: Value = serde_json::from_str(&file.child.facts).unwrap_or_else(|_| json!({}));
    for flag in facts["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        child.insert(flag.to_owned(), json!(true));
    }
    child.insert("concerns".into(), facts["concerns"].clone());
    if child["concerns"].is_null() {
        child.insert("concerns".into(), json!([]));
    }

    let corrected: Vec<i64> = file
        .events
        .iter()
        .filter_map(|e| e.corrects_event_id)
        .collect();
    let mut events: Vec<(i64, i64, i64, Value)> = file
        .events
        .iter()
        .filter(|e| !corrected.contains(&e.id))
        .map(|e| {
            (
                e.at,
                e.id,
                e.episode_id,
                serde_json::from_str(&e.body).unwrap_or(Value::Null),
            )
        })
        .collect();
    if let Some((event, episode)) = extra {
        let at = event["at"]
            .as_str()
            .and_then(|s| protocol::timeline::parse_instant(s).ok())
            .map_or(i64::MAX, micros);
        events.push((at, i64::MAX, episode, event.clone()));
    }
    events.sort_by_key(|(at, id, _, _)| (*at, *id));
    let event_episodes = events.iter().map(|(_, _, ep, _)| *ep).collect();
    let extra_index = extra.and_then(|_| events.iter().position(|(_, id, _, _)| *id == i64::MAX));
    let json = json!({
        "format": "timeline-v1",
        "id": format!("child-{}", file.child.id),
        "rulesets": rulesets(file, responsible, host),
        "child": Value::Object(child),
        "events": events.into_iter().map(|(_, _, _, v)| v).collect::<Vec<_>>(),
        "evaluate_at": protocol::output::format_instant(calendar, now),
    });
    Ok(Document {
        json,
        event_episodes,
        extra_index,
    })
}

/// A child's obligations at `now`, each with its stored episode.
pub struct Evaluated {
    /// Open obligations and their stored episodes.
    pub obligations: Vec<(Obligation, i64)>,
    /// When they next change without a new event.
    pub next_change: Option<Timestamp>,
}

/// Evaluates a child file at `now`; each obligation comes with its stored episode.
pub fn evaluate(
    catalog: &Catalog,
    calendar: &Calendar,
    file: &ChildFile,
    now: Timestamp,
) -> Result<Evaluated, BuildError> {
    let doc = document(calendar, file, now, None)?;
    let timeline = protocol::timeline::parse(&doc.json.to_string(), catalog)?;
    let happened = protocol::episode::episodes(&timeline, calendar, now);
    let evaluation = Engine::new(catalog, calendar).evaluate_with_next_change(&timeline, now);
    let obligations = evaluation
        .obligations
        .into_iter()
        .map(|o| {
            // Events at or before `now` are a prefix of the document's (sorted) events, so the
            // engine's episode ranges index the document's events.
            let first = happened
                .episodes
                .get(o.episode)
                .map_or(0, |e| e.events.start);
            let episode = doc.event_episodes.get(first).copied().unwrap_or_default();
            (o, episode)
        })
        .collect();
    Ok(Evaluated {
        obligations,
        next_change: evaluation.next_change,
    })
}

/// The obligations to store for a child file evaluated at `now`.
pub fn recompute(
    catalog: &Catalog,
    calendar: &Calendar,
    file: &ChildFile,
    now: Timestamp,
) -> Result<Vec<NewObligation>, String> {
    let evaluated = evaluate(catalog, calendar, file, now).map_err(|e| e.to_string())?;
    Ok(evaluated
        .obligations
        .iter()
        .map(|(o, episode_id)| recompute_one(catalog, file, o, *episode_id))
        .collect())
}

/// One obligation as it is stored: rule, owner, citation and the authority whose protocol
/// demands it (the episode's responsible, host or finder authority following that protocol).
pub fn recompute_one(
    catalog: &Catalog,
    file: &ChildFile,
    o: &Obligation,
    episode_id: i64,
) -> NewObligation {
    let rule = catalog.rule(o.rule);
    let protocol = rule.id.get_ref().protocol().as_str();
    let authority_id = file
        .episodes
        .iter()
        .find(|e| e.id == episode_id)
        .map(|ep| {
            [
                Some(ep.responsible_authority_id),
                Some(ep.host_authority_id),
                ep.finder_authority_id,
            ]
            .into_iter()
            .flatten()
            .find(|id| {
                authority(file, *id).is_some_and(|a| a.protocol.as_deref() == Some(protocol))
            })
            .unwrap_or(ep.responsible_authority_id)
        })
        .unwrap_or_default();
    let share = o
        .share
        .and_then(|s| rule.share.iter().find(|x| x.part == s));
    NewObligation {
        episode_id,
        authority_id,
        rule: rule.id.get_ref().to_string(),
        share: o.share.map(|s| s.as_str().to_owned()),
        owner_role: share
            .map(|s| s.owner_role)
            .or(rule.owner_role)
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        action: rule.action.clone(),
        citation: catalog.citation(o.rule),
        activation: micros(o.activation),
        due: o.due.map(micros),
    }
}

/// Whether a stored deadline is past at `now` (timeline-v1 §7.3).
pub fn overdue(due: Option<i64>, now: Timestamp) -> bool {
    due.is_some_and(|d| instant(d) < now)
}
