//! A partnership to tell stories in: three authorities (two London boroughs in the partnership
//! and a county outside it), two Newham users, and builders for the records the stories write.

use protocol::vocabulary::{LegalStatus, PlacementType, Protocol};
use store::*;

use super::planner::planner;

/// An hour in microseconds.
pub const HOUR: i64 = 3_600_000_000;

/// A minute in microseconds.
pub const MINUTE: i64 = 60_000_000;

/// 2024-09-01T00:00:00Z.
const BASE: i64 = 1_725_148_800_000_000;

/// So many hours after the stories' origin (2024-09-01T00:00:00Z).
pub fn t(hours: i64) -> Instant {
    Instant::from_micros(BASE + hours * HOUR)
}

/// So many microseconds after an instant.
pub fn after(at: Instant, micros: i64) -> Instant {
    Instant::from_micros(at.micros() + micros)
}

/// The partnership.
#[derive(Clone, Debug)]
pub struct World {
    /// London Borough of Newham (NEWHAM protocol).
    pub newham: Authority,
    /// London Borough of Merton (MERTON protocol).
    pub merton: Authority,
    /// Kent, outside the partnership.
    pub kent: Authority,
    /// A Newham social worker.
    pub sw: User,
    /// A Newham team manager.
    pub manager: User,
}

impl World {
    /// Every authority's ID.
    pub fn authorities(&self) -> [AuthorityId; 3] {
        [self.newham.id, self.merton.id, self.kent.id]
    }
}

/// Creates the partnership in an empty store.
pub async fn world(store: &dyn Store) -> Result<World, StoreError> {
    let authority =
        |code: &str, name: &str, protocol: Option<Protocol>, police: &str| NewAuthority {
            code: code.into(),
            name: name.into(),
            protocol,
            police_force: police.into(),
        };
    let newham = store
        .create_authority(&authority(
            "NEWHAM",
            "London Borough of Newham",
            Some(Protocol::Newham),
            "Metropolitan Police",
        ))
        .await?;
    let merton = store
        .create_authority(&authority(
            "MERTON",
            "London Borough of Merton",
            Some(Protocol::Merton),
            "Metropolitan Police",
        ))
        .await?;
    let kent = store
        .create_authority(&authority(
            "KENT",
            "Kent County Council",
            None,
            "Kent Police",
        ))
        .await?;
    let user = |username: &str, role: Role| NewUser {
        username: username.into(),
        display_name: username.to_uppercase(),
        role,
        authority_id: newham.id,
        password_hash: "$argon2id$test".into(),
    };
    let sw = store
        .create_user(&user("sw.newham", Role::SocialWorker))
        .await?;
    let manager = store
        .create_user(&user("tm.newham", Role::TeamManager))
        .await?;
    Ok(World {
        newham,
        merton,
        kent,
        sw,
        manager,
    })
}

/// An audit entry for a write or read at the stories' origin, by nobody in particular.
pub fn audit(action: &str, entity: &str) -> AuditEntry {
    audit_at(t(0), action, entity)
}

/// An audit entry at an instant.
pub fn audit_at(at: Instant, action: &str, entity: &str) -> AuditEntry {
    AuditEntry {
        at,
        user_id: None,
        action: action.into(),
        entity: entity.into(),
        entity_id: None,
        child_id: None,
        children: Vec::new(),
        remote_addr: "127.0.0.1".into(),
    }
}

/// A residential care-order placement from a day.
pub fn placement(responsible: AuthorityId, host: AuthorityId, starts_on: &str) -> NewPlacement {
    NewPlacement {
        responsible_authority_id: responsible,
        host_authority_id: host,
        legal_status: LegalStatus::S31CareOrder,
        placement_type: PlacementType::Residential,
        police_force: "Metropolitan Police".into(),
        travel_minutes: 20,
        starts_on: starts_on.into(),
        change_reason: None,
    }
}

/// A child's record.
pub fn fields(name: &str) -> ChildFields {
    ChildFields {
        name: name.into(),
        dob: "2010-05-12".into(),
        facts: r#"{"flags":[],"concerns":[]}"#.into(),
    }
}

/// An event of a kind (`{"type": kind, "data": {}}`) at an instant, recorded a minute later.
pub fn event(at: Instant, kind: &str, by: UserId) -> NewEvent {
    event_with(at, kind, serde_json::json!({}), by)
}

/// An event with data the test planner reads (`owner`, `due_in` hours or null, `level`).
pub fn event_with(at: Instant, kind: &str, data: serde_json::Value, by: UserId) -> NewEvent {
    NewEvent {
        at,
        body: serde_json::json!({ "type": kind, "data": data }).to_string(),
        correction: None,
        recorded_by: by,
        recorded_at: after(at, MINUTE),
    }
}

/// A correction of `event`: the new event names it, with a reason.
pub fn correcting(corrected: EventId, replacement: NewEvent) -> NewEvent {
    NewEvent {
        correction: Some((corrected, "recorded wrongly".into())),
        ..replacement
    }
}

/// Adds a child with a placement at `now`, planned by the test planner.
pub async fn add_child(
    store: &dyn Store,
    name: &str,
    p: &NewPlacement,
    now: Instant,
) -> Result<Child, StoreError> {
    Ok(store
        .create_child(
            &fields(name),
            p,
            now,
            &planner(now),
            &audit_at(now, "write", "child"),
        )
        .await?
        .0)
}

/// Opens an episode at `now`, planned by the test planner.
pub async fn open(store: &dyn Store, child: ChildId, now: Instant) -> Result<Episode, StoreError> {
    store
        .open_episode(
            child,
            now,
            &planner(now),
            &audit_at(now, "write", "episode"),
        )
        .await
}

/// Appends an event, planned by the test planner at its recording instant.
pub async fn append(
    store: &dyn Store,
    episode: EpisodeId,
    event: &NewEvent,
) -> Result<EventRecord, StoreError> {
    Ok(store
        .append_event(
            episode,
            None,
            event,
            &planner(event.recorded_at),
            &audit_at(event.recorded_at, "write", "event"),
        )
        .await?
        .1)
}
