//! A small, deterministic stand-in for the casework layer's planner, enough to see that the
//! store writes what it is told, when it is told, and nothing else.
//!
//! Every live (uncorrected) event but `found` asks one obligation of the episode's responsible
//! authority: rule `TEST-<TYPE>`, activated at the event, due `due_in` hours later (1 unless the
//! event's data says; `null` for no deadline), owned by the data's `owner` (a social worker
//! unless it says). An obligation is known by (episode, rule, activation): one the store already
//! holds keeps its ID and is listed only if its content changed; a stored open one no longer
//! given ends as `no_longer_applies`. A live `found` event meets (discharges) every obligation of
//! its episode. The episode is missing from its first `reported_missing` event until found; its
//! risk is the latest `risk_graded` level; `rhi_completed` sets the return interview. Anyone
//! named by the current placement or an episode may see the child; the scheduler looks again at
//! the earliest open deadline.

use std::collections::HashSet;
use std::sync::Mutex;

use protocol::vocabulary::{OwnerRole, RiskLevel, UnknownValue};
use serde_json::Value;
use store::*;

use super::fixtures::HOUR;

/// What the store hands a planner.
pub type Plan = Result<ChildPlan, String>;

/// The test planner at `now` (the instant it writes into `ended_at`).
pub fn planner(now: Instant) -> impl Fn(&ChildFile, &[ObligationRecord]) -> Plan + Sync {
    move |file, stored| plan(file, stored, now)
}

/// The test planner, except that only `to` may see the child: the store writes who may see a
/// child as it is told, without deciding anything itself.
pub fn visible_only(
    now: Instant,
    to: Vec<AuthorityId>,
) -> impl Fn(&ChildFile, &[ObligationRecord]) -> Plan + Sync {
    move |file, stored| {
        plan(file, stored, now).map(|p| ChildPlan {
            visible_to: to.clone(),
            ..p
        })
    }
}

/// A planner that refuses every child, as a broken rule pack would.
pub fn failing(_: &ChildFile, _: &[ObligationRecord]) -> Plan {
    Err("casework says no".into())
}

/// Whether a result is the failure [`failing`] (or a spy's failure) causes.
pub fn refused<T>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Evaluation(m)) if m == "casework says no")
}

/// What the planner reads from an event's body.
struct Reading {
    kind: String,
    owner: OwnerRole,
    due_in: Option<i64>,
    level: Option<RiskLevel>,
}

fn read(e: &EventRecord) -> Result<Reading, String> {
    let body: Value =
        serde_json::from_str(&e.body).map_err(|err| format!("event {}: {err}", e.id))?;
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("event {} has no type", e.id))?
        .to_owned();
    let data = body.get("data");
    let field = |k: &str| data.and_then(|d| d.get(k));
    let owner = match field("owner").and_then(Value::as_str) {
        Some(s) => s.parse().map_err(|err: UnknownValue| err.to_string())?,
        None => OwnerRole::SocialWorker,
    };
    let due_in = match field("due_in") {
        None => Some(1),
        Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| format!("event {}: due_in", e.id))?,
        ),
    };
    let level = field("level")
        .and_then(Value::as_str)
        .map(str::parse)
        .transpose()
        .map_err(|err: UnknownValue| err.to_string())?;
    Ok(Reading {
        kind,
        owner,
        due_in,
        level,
    })
}

/// How an obligation is known from one plan to the next.
fn key(o: &NewObligation) -> (EpisodeId, &str, Instant) {
    (o.episode_id, o.rule.as_str(), o.activation)
}

/// The plan of a child's file (see the module's description).
pub fn plan(file: &ChildFile, stored: &[ObligationRecord], now: Instant) -> Plan {
    let corrected: HashSet<EventId> = file
        .events
        .iter()
        .filter_map(|e| e.corrects_event_id)
        .collect();
    let live = file
        .events
        .iter()
        .filter(|e| !corrected.contains(&e.id))
        .map(|e| read(e).map(|r| (e, r)))
        .collect::<Result<Vec<_>, _>>()?;

    let mut produced: Vec<NewObligation> = Vec::new();
    let mut episodes = Vec::new();
    for episode in &file.episodes {
        let mine: Vec<&(&EventRecord, Reading)> = live
            .iter()
            .filter(|(e, _)| e.episode_id == episode.id)
            .collect();
        let at_of = |kind: &'static str| {
            mine.iter()
                .filter(move |(_, r)| r.kind == kind)
                .map(|(e, _)| e.at)
        };
        let found_at = at_of("found").max();
        let reported = at_of("reported_missing").min();
        for (e, r) in mine.iter().filter(|(_, r)| r.kind != "found") {
            let o = NewObligation {
                episode_id: episode.id,
                authority_id: episode.responsible_authority_id,
                rule: format!("TEST-{}", r.kind.to_uppercase()),
                share: None,
                owner_role: Some(r.owner),
                action: format!("follow up event {}", e.id),
                citation: "test planner".into(),
                activation: e.at,
                due: r
                    .due_in
                    .map(|h| Instant::from_micros(e.at.micros() + h * HOUR)),
                met_at: found_at,
                ended: found_at.map(|_| Ended::Discharged),
                ended_at: None,
            };
            // A later event with the same identity (a correction) replaces the earlier one.
            produced.retain(|p| key(p) != key(&o));
            produced.push(o);
        }
        let next_due = produced
            .iter()
            .filter(|o| o.episode_id == episode.id && o.ended.is_none())
            .filter_map(|o| o.due.map(|d| (d, o.rule.clone())))
            .min();
        episodes.push(EpisodeStatus {
            episode_id: episode.id,
            child_id: file.child.id,
            missing: reported.is_some() && found_at.is_none(),
            since: reported.unwrap_or(episode.opened_at),
            found_at,
            risk: mine.iter().filter_map(|(_, r)| r.level).next_back(),
            rhi_at: at_of("rhi_completed").max(),
            next_due,
        });
    }

    let next_check = produced
        .iter()
        .filter(|o| o.ended.is_none())
        .filter_map(|o| o.due)
        .min();
    let mut obligations = Vec::new();
    // Stored open obligations no longer given end.
    for s in stored.iter().filter(|s| s.is_open()) {
        if !produced.iter().any(|o| key(o) == key(&s.obligation)) {
            obligations.push((
                Some(s.id),
                NewObligation {
                    ended: Some(Ended::NoLongerApplies),
                    ended_at: Some(now),
                    ..s.obligation.clone()
                },
            ));
        }
    }
    for mut o in produced {
        match stored.iter().find(|s| key(&s.obligation) == key(&o)) {
            Some(s) => {
                // Ended for the same reason as before: it ended when it first did.
                o.ended_at = match o.ended {
                    None => None,
                    Some(_) if s.obligation.ended == o.ended => s.obligation.ended_at,
                    Some(_) => Some(now),
                };
                if o != s.obligation {
                    obligations.push((Some(s.id), o));
                }
            }
            None => {
                o.ended_at = o.ended.map(|_| now);
                obligations.push((None, o));
            }
        }
    }

    let mut visible_to: Vec<AuthorityId> = file
        .placement
        .iter()
        .flat_map(|p| [p.responsible_authority_id, p.host_authority_id])
        .collect();
    for e in &file.episodes {
        visible_to.extend([e.responsible_authority_id, e.host_authority_id]);
        visible_to.extend(e.finder_authority_id);
    }
    Ok(ChildPlan {
        obligations,
        episodes,
        visible_to,
        next_check,
        next_change: next_check,
    })
}

/// What a planner was handed, for one child.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The child's file as the change left it.
    pub file: ChildFile,
    /// The child's stored obligations.
    pub stored: Vec<ObligationRecord>,
}

/// Records what the store hands a planner, then plans (or refuses).
#[derive(Debug, Default)]
pub struct Spy {
    seen: Mutex<Vec<Seen>>,
}

impl Spy {
    /// A planner that records what it is handed and refuses, as [`failing`] does.
    pub fn failing(&self) -> impl Fn(&ChildFile, &[ObligationRecord]) -> Plan + Sync + '_ {
        move |file, stored| {
            self.record(file, stored)?;
            failing(file, stored)
        }
    }

    /// A planner that records what it is handed and plans as [`planner`] does.
    pub fn planning(
        &self,
        now: Instant,
    ) -> impl Fn(&ChildFile, &[ObligationRecord]) -> Plan + Sync + '_ {
        move |file, stored| {
            self.record(file, stored)?;
            plan(file, stored, now)
        }
    }

    fn record(&self, file: &ChildFile, stored: &[ObligationRecord]) -> Result<(), String> {
        self.seen.lock().map_err(|e| e.to_string())?.push(Seen {
            file: file.clone(),
            stored: stored.to_vec(),
        });
        Ok(())
    }

    /// What was recorded since the last call, in order.
    pub fn take(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}
