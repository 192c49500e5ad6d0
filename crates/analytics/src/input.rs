//! What the pattern views read about a child, taken from a store file: the current authorities
//! and their protocols, the flags and concerns, each episode's start, report, finding and
//! where found, and the profile's places frequented and associates. Corrected events are
//! replaced by their corrections, as the engine reads them.

use jiff::Timestamp;
use serde_json::Value;
use store::{Authority, AuthorityId, EventId, PatternFile};

use crate::place::Place;
use crate::profile;

/// A child as the pattern views see it.
#[derive(Clone, Debug)]
pub struct ChildInput {
    /// Store ID.
    pub id: i64,
    /// Full name.
    pub name: String,
    /// Code of the current responsible authority (empty without a placement).
    pub responsible: String,
    /// Code of the current host authority.
    pub host: String,
    /// Protocols that apply: the responsible authority's first, then the host's.
    pub protocols: Vec<String>,
    /// Flags of the child's record (timeline-v1 §5.2), e.g. `missing_with_others`.
    pub flags: Vec<String>,
    /// Concerns (timeline-v1 §5.3), e.g. `cce`.
    pub concerns: Vec<String>,
    /// Episodes, oldest first.
    pub episodes: Vec<EpisodeInput>,
    /// Places frequented, from the profile documents.
    pub frequented: Vec<Place>,
    /// Associates as written in the profile documents.
    pub associates: Vec<String>,
}

impl ChildInput {
    /// Whether the record carries a flag.
    pub fn flagged(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// One missing episode.
#[derive(Clone, Debug)]
pub struct EpisodeInput {
    /// Store ID.
    pub id: i64,
    /// Code of the authority the child went missing from (host when opened).
    pub host: String,
    /// Start: first `absence_noticed` or `reported_missing`, else when the episode was opened.
    pub started: Timestamp,
    /// First `reported_missing` (police-reported episodes count towards repeat thresholds).
    pub reported: Option<Timestamp>,
    /// First `located`, else first `returned` (`T_found`).
    pub found: Option<Timestamp>,
    /// Where found: the `where` of the first `located` (or `came_to_notice`) that names one.
    pub found_at: Option<Place>,
}

fn code(authorities: &[Authority], id: AuthorityId) -> &str {
    authorities
        .iter()
        .find(|a| a.id == id)
        .map_or("", |a| a.code.as_str())
}

fn protocol(authorities: &[Authority], id: AuthorityId) -> Option<String> {
    authorities
        .iter()
        .find(|a| a.id == id)
        .and_then(|a| a.protocol.map(|p| p.as_str().to_owned()))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

impl ChildInput {
    /// Reads a store file.
    pub fn from_store(p: &PatternFile) -> ChildInput {
        let f = &p.file;
        let auth = &f.authorities;
        let (responsible, host, mut protocols) = match &f.placement {
            Some(pl) => (
                code(auth, pl.responsible_authority_id).to_owned(),
                code(auth, pl.host_authority_id).to_owned(),
                [pl.responsible_authority_id, pl.host_authority_id]
                    .into_iter()
                    .filter_map(|id| protocol(auth, id))
                    .collect::<Vec<_>>(),
            ),
            None => (String::new(), String::new(), Vec::new()),
        };
        protocols.dedup();
        let facts: Value = serde_json::from_str(&f.child.facts).unwrap_or(Value::Null);
        let corrected: Vec<EventId> = f
            .events
            .iter()
            .filter_map(|e| e.corrects_event_id)
            .collect();
        let mut events: Vec<(store::EpisodeId, Value)> = f
            .events
            .iter()
            .filter(|e| !corrected.contains(&e.id))
            .map(|e| {
                (
                    e.episode_id,
                    serde_json::from_str(&e.body).unwrap_or(Value::Null),
                )
            })
            .collect();
        events.sort_by_key(|(_, v)| {
            v["at"]
                .as_str()
                .and_then(|s| s.parse::<Timestamp>().ok())
                .unwrap_or(Timestamp::MAX)
        });
        let episodes = f
            .episodes
            .iter()
            .map(|e| {
                let mine = || events.iter().filter(|(id, _)| *id == e.id).map(|(_, v)| v);
                let first = |types: &[&str]| {
                    types.iter().find_map(|t| {
                        mine()
                            .find(|v| v["type"] == *t)
                            .and_then(|v| v["at"].as_str()?.parse::<Timestamp>().ok())
                    })
                };
                let start = mine()
                    .filter(|v| v["type"] == "absence_noticed" || v["type"] == "reported_missing")
                    .find_map(|v| v["at"].as_str()?.parse::<Timestamp>().ok());
                EpisodeInput {
                    id: e.id.get(),
                    host: code(auth, e.host_authority_id).to_owned(),
                    started: start.unwrap_or_else(|| e.opened_at.timestamp()),
                    reported: first(&["reported_missing"]),
                    found: first(&["located"]).or_else(|| first(&["returned"])),
                    found_at: mine()
                        .filter(|v| v["type"] == "located" || v["type"] == "came_to_notice")
                        .find_map(|v| v["data"]["where"].as_str().and_then(Place::parse)),
                }
            })
            .collect();
        let profiles = || {
            p.documents
                .iter()
                .filter(|d| profile::KINDS.contains(&d.kind.as_str()))
                .map(|d| serde_json::from_str::<Value>(&d.body).unwrap_or(Value::Null))
        };
        ChildInput {
            id: f.child.id.get(),
            name: f.child.name.clone(),
            responsible,
            host,
            protocols,
            flags: strings(&facts["flags"]),
            concerns: strings(&facts["concerns"]),
            episodes,
            frequented: profiles()
                .flat_map(|b| profile::entries(&b, "places_frequented"))
                .filter_map(|s| Place::parse(&s))
                .collect(),
            associates: profiles()
                .flat_map(|b| profile::entries(&b, "associates"))
                .collect(),
        }
    }
}
