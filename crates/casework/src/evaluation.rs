//! From a stored child file to the engine and back: the file becomes a timeline v1 document
//! (so stored events are checked by the same reader as `homeward evaluate`), the engine
//! evaluates it, and each obligation is tied to its stored episode and authority.

use jiff::Timestamp;
use protocol::{Calendar, Catalog, Engine, Obligation, RuleKey};
use serde_json::{Map, Value, json};
use store::{Authority, AuthorityId, ChildFile, EpisodeId, EventId, Instant, NewObligation};

/// A child file as a timeline v1 document.
pub struct Document {
    /// The document.
    pub json: Value,
    /// The stored episode of each event of the document, in document order.
    pub event_episodes: Vec<EpisodeId>,
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

fn authority(file: &ChildFile, id: AuthorityId) -> Option<&Authority> {
    file.authorities.iter().find(|a| a.id == id)
}

/// The rulesets that apply: the responsible authority's protocol, the host's when the child is
/// placed elsewhere, and the protocol of any authority where an episode ended.
fn rulesets(file: &ChildFile, responsible: &Authority, host: &Authority) -> Vec<Value> {
    use protocol::vocabulary::Protocol;
    let mut out: Vec<(Protocol, &str)> = Vec::new();
    if let Some(p) = responsible.protocol {
        out.push((p, "responsible"));
    }
    if host.id != responsible.id
        && let Some(p) = host.protocol
    {
        let local_only = matches!(p, Protocol::Newham | Protocol::Merton);
        if !(local_only && out.iter().any(|(q, _)| *q == p)) {
            out.push((p, "host"));
        }
    }
    for ep in &file.episodes {
        if let Some(finder) = ep.finder_authority_id.and_then(|id| authority(file, id))
            && let Some(p) = finder.protocol
            && !out.iter().any(|(q, r)| *q == p && *r == "finder")
        {
            out.push((p, "finder"));
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
    extra: Option<(&Value, EpisodeId)>,
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

    let corrected: Vec<EventId> = file
        .events
        .iter()
        .filter_map(|e| e.corrects_event_id)
        .collect();
    let mut events: Vec<(Instant, EventId, EpisodeId, Value)> = file
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
    // The event being checked sorts after every stored event of its instant.
    const EXTRA: EventId = EventId(i64::MAX);
    if let Some((event, episode)) = extra {
        let at = event["at"]
            .as_str()
            .and_then(|s| protocol::timeline::parse_instant(s).ok())
            .map_or(Instant::from_micros(i64::MAX), Instant::from);
        events.push((at, EXTRA, episode, event.clone()));
    }
    events.sort_by_key(|(at, id, _, _)| (*at, *id));
    let event_episodes = events.iter().map(|(_, _, ep, _)| *ep).collect();
    let extra_index = extra.and_then(|_| events.iter().position(|(_, id, _, _)| *id == EXTRA));
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

/// A child's whole record at `now`: open obligations and those met, each with its stored
/// episode, and the episodes as the engine reads them.
pub struct Evaluated {
    /// Open obligations and their stored episodes.
    pub open: Vec<(Obligation, EpisodeId)>,
    /// Obligations an event discharged, and their stored episodes.
    pub met: Vec<(protocol::Met, EpisodeId)>,
    /// When the answer next changes without a new event.
    pub next_change: Option<Timestamp>,
    /// Each stored episode's facts as the engine reads them (episodes with no event yet are
    /// not among them).
    pub episodes: Vec<(EpisodeId, protocol::episode::Episode)>,
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
    let record = Engine::new(catalog, calendar).evaluate_record(&timeline, now);
    // Events at or before `now` are a prefix of the document's (sorted) events, so the
    // engine's episode ranges index the document's events.
    let stored = |index: usize| {
        let first = happened.episodes.get(index).map_or(0, |e| e.events.start);
        doc.event_episodes
            .get(first)
            .copied()
            .unwrap_or(EpisodeId(0))
    };
    Ok(Evaluated {
        open: record
            .evaluation
            .obligations
            .into_iter()
            .map(|o| {
                let e = stored(o.episode);
                (o, e)
            })
            .collect(),
        met: record
            .met
            .into_iter()
            .map(|m| {
                let e = stored(m.episode);
                (m, e)
            })
            .collect(),
        next_change: record.evaluation.next_change,
        episodes: happened
            .episodes
            .iter()
            .map(|e| (stored(e.index), e.clone()))
            .collect(),
    })
}

/// What the store keeps of an obligation of rule `key` (with `share`) on a stored episode:
/// rule, owner, citation and the authority whose protocol demands it (the episode's
/// responsible, host or finder authority following that protocol).
pub fn stored_obligation(
    catalog: &Catalog,
    file: &ChildFile,
    key: RuleKey,
    share: Option<protocol::vocabulary::Share>,
    episode_id: EpisodeId,
    activation: Timestamp,
    due: Option<Timestamp>,
) -> NewObligation {
    let rule = catalog.rule(key);
    let protocol = rule.id.get_ref().protocol();
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
            .find(|id| authority(file, *id).is_some_and(|a| a.protocol == Some(protocol)))
            .unwrap_or(ep.responsible_authority_id)
        })
        .unwrap_or(AuthorityId(0));
    let part = share.and_then(|s| rule.share.iter().find(|x| x.part == s));
    NewObligation {
        episode_id,
        authority_id,
        rule: rule.id.get_ref().to_string(),
        share,
        owner_role: part.map(|s| s.owner_role).or(rule.owner_role),
        action: rule.action.clone(),
        citation: catalog.citation(key),
        activation: activation.into(),
        due: due.map(Instant::from),
        met_at: None,
        ended: None,
        ended_at: None,
    }
}

/// One open obligation as the store keeps it.
pub fn open_obligation(
    catalog: &Catalog,
    file: &ChildFile,
    o: &Obligation,
    episode_id: EpisodeId,
) -> NewObligation {
    stored_obligation(
        catalog,
        file,
        o.rule,
        o.share,
        episode_id,
        o.activation,
        o.due,
    )
}

/// Whether a stored deadline is past at `now` (timeline-v1 §7.3).
pub fn overdue(due: Option<Instant>, now: Timestamp) -> bool {
    due.is_some_and(|d| d.timestamp() < now)
}
