//! The records the store keeps. Instants are microseconds since the Unix epoch (UTC); the
//! callers convert to and from `jiff` types at their boundary.

use serde::{Deserialize, Serialize};

/// A local authority (in the partnership or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// Store ID.
    pub id: i64,
    /// Short code, e.g. `NEWHAM`, `SOUTHAMPTON`.
    pub code: String,
    /// Name as the protocols write it, e.g. `London Borough of Newham`.
    pub name: String,
    /// The protocol this authority follows (`HIPS`, …), or none outside the partnership.
    pub protocol: Option<String>,
    /// Police force of the area.
    pub police_force: String,
    /// Notification routing (JSON), edited by an admin.
    pub routing: String,
}

/// A new authority.
#[derive(Clone, Debug)]
pub struct NewAuthority {
    /// Short code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Protocol, if in the partnership.
    pub protocol: Option<String>,
    /// Police force.
    pub police_force: String,
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Store ID.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role name (see the web crate's role list).
    pub role: String,
    /// The authority the user works for.
    pub authority_id: i64,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the account may sign in.
    pub active: bool,
}

/// A new user account.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// The authority.
    pub authority_id: i64,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// A child's record (facts of timeline v1 other than placement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Child {
    /// Store ID.
    pub id: i64,
    /// Incremented on every change; the ETag.
    pub version: i64,
    /// Full name.
    pub name: String,
    /// Date of birth `YYYY-MM-DD`.
    pub dob: String,
    /// Flags and concerns (JSON object in timeline-v1 vocabulary).
    pub facts: String,
    /// Created.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
}

/// Fields of a child that a user sets.
#[derive(Clone, Debug)]
pub struct ChildFields {
    /// Full name.
    pub name: String,
    /// Date of birth.
    pub dob: String,
    /// Flags and concerns (JSON).
    pub facts: String,
}

/// One version of a profile document (Philomena profile, history document, trigger plan, PIRA).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Store ID.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// Kind of document.
    pub kind: String,
    /// 1 for the first version.
    pub version: i64,
    /// Content (JSON).
    pub body: String,
    /// Who recorded this version.
    pub recorded_by: i64,
    /// When.
    pub recorded_at: i64,
}

/// Where a child lives, under which authorities, from a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// Store ID.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// Responsible (placing) authority.
    pub responsible_authority_id: i64,
    /// Authority where the child lives.
    pub host_authority_id: i64,
    /// Legal status (timeline-v1 vocabulary).
    pub legal_status: String,
    /// Placement type (timeline-v1 vocabulary).
    pub placement_type: String,
    /// Police force covering the placement.
    pub police_force: String,
    /// Travel minutes from the responsible authority.
    pub travel_minutes: i64,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Day after the last, if ended.
    pub ends_on: Option<String>,
    /// Why the child moved here from the previous placement (a
    /// [`crate::CHANGE_REASONS`] code), if recorded.
    pub change_reason: Option<String>,
}

/// A new placement; it ends the current one.
#[derive(Clone, Debug)]
pub struct NewPlacement {
    /// Responsible authority.
    pub responsible_authority_id: i64,
    /// Host authority.
    pub host_authority_id: i64,
    /// Legal status.
    pub legal_status: String,
    /// Placement type.
    pub placement_type: String,
    /// Police force.
    pub police_force: String,
    /// Travel minutes.
    pub travel_minutes: i64,
    /// First day.
    pub starts_on: String,
    /// Why the child moved here (a [`crate::CHANGE_REASONS`] code), if this is a change.
    pub change_reason: Option<String>,
}

/// A missing episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Episode {
    /// Store ID.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// Incremented on every change or new event; the ETag.
    pub version: i64,
    /// Responsible authority when the episode opened.
    pub responsible_authority_id: i64,
    /// Host authority when the episode opened.
    pub host_authority_id: i64,
    /// Authority where the child came to notice or was found, if elsewhere.
    pub finder_authority_id: Option<i64>,
    /// When the episode was opened.
    pub opened_at: i64,
    /// When it was closed, if it was.
    pub closed_at: Option<i64>,
}

/// A recorded event. Events are never changed: a correction is a new event naming the one it
/// corrects, with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// Store ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// When it happened.
    pub at: i64,
    /// The event in timeline-v1 shape (JSON).
    pub body: String,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When it was recorded.
    pub recorded_at: i64,
    /// The event this one corrects.
    pub corrects_event_id: Option<i64>,
    /// Why.
    pub correction_reason: Option<String>,
}

/// A new event.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// When it happened.
    pub at: i64,
    /// The event in timeline-v1 shape (JSON).
    pub body: String,
    /// The event this corrects, and why.
    pub correction: Option<(i64, String)>,
    /// Who records it.
    pub recorded_by: i64,
    /// When it is recorded (also the instant obligations are recomputed at).
    pub recorded_at: i64,
}

/// An obligation as the engine computed it, stored for querying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObligationRecord {
    /// Store ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// Child.
    pub child_id: i64,
    /// Authority whose protocol demands it.
    pub authority_id: i64,
    /// Rule ID.
    pub rule: String,
    /// Share tag, if one party's part.
    pub share: Option<String>,
    /// Owner role.
    pub owner_role: String,
    /// What must be done.
    pub action: String,
    /// Seed file and paragraph.
    pub citation: String,
    /// When the trigger was met.
    pub activation: i64,
    /// Deadline, if any.
    pub due: Option<i64>,
    /// When the engine computed it.
    pub computed_at: i64,
}

/// An obligation to store (without IDs).
#[derive(Clone, Debug)]
pub struct NewObligation {
    /// Episode.
    pub episode_id: i64,
    /// Authority whose protocol demands it.
    pub authority_id: i64,
    /// Rule ID.
    pub rule: String,
    /// Share tag.
    pub share: Option<String>,
    /// Owner role.
    pub owner_role: String,
    /// Action.
    pub action: String,
    /// Citation.
    pub citation: String,
    /// Activation.
    pub activation: i64,
    /// Due.
    pub due: Option<i64>,
}

/// Which obligations to list.
#[derive(Clone, Debug, Default)]
pub struct ObligationFilter {
    /// Only these authorities' obligations.
    pub authority_ids: Vec<i64>,
    /// Only this owner role.
    pub owner_role: Option<String>,
    /// Only those due before this instant (overdue when it is `now`).
    pub due_before: Option<i64>,
    /// Only those due at or after this instant.
    pub due_from: Option<i64>,
    /// Page size and offset.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// Everything about a child needed to evaluate it: record, placement, episodes and events.
#[derive(Clone, Debug)]
pub struct ChildFile {
    /// The child.
    pub child: Child,
    /// The current placement, if any.
    pub placement: Option<Placement>,
    /// Episodes, oldest first.
    pub episodes: Vec<Episode>,
    /// Events of all episodes, in recording order.
    pub events: Vec<EventRecord>,
    /// Every authority referred to by the placement and episodes.
    pub authorities: Vec<Authority>,
}

/// One row of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub id: i64,
    /// When.
    pub at: i64,
    /// Who (none for the system).
    pub user_id: Option<i64>,
    /// `read` or `write` plus what, e.g. `read`.
    pub action: String,
    /// What kind of record.
    pub entity: String,
    /// Which record.
    pub entity_id: Option<i64>,
    /// The child concerned.
    pub child_id: Option<i64>,
    /// Client address.
    pub remote_addr: String,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row (over `prev_hash` and its fields).
    pub hash: String,
}

/// An audit entry to append.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// When.
    pub at: i64,
    /// Who.
    pub user_id: Option<i64>,
    /// `read` or `write`.
    pub action: String,
    /// What kind of record.
    pub entity: String,
    /// Which record.
    pub entity_id: Option<i64>,
    /// The child concerned.
    pub child_id: Option<i64>,
    /// Client address.
    pub remote_addr: String,
}

/// A meeting to record (with the `meeting_held` event the engine reads).
#[derive(Clone, Debug)]
pub struct NewMeeting {
    /// Meeting type (timeline-v1 vocabulary).
    pub meeting_type: String,
    /// When it was held.
    pub held_at: i64,
    /// Who chaired it.
    pub chair: String,
    /// Attendees (JSON list of `{name, role, agency}`).
    pub attendees: String,
    /// Decisions taken.
    pub decisions: String,
    /// Action items.
    pub actions: Vec<NewAction>,
}

/// An action item agreed at a meeting.
#[derive(Clone, Debug)]
pub struct NewAction {
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: String,
    /// By when, if agreed.
    pub due_at: Option<i64>,
}

/// A recorded meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Meeting {
    /// ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// The `meeting_held` event recorded with it.
    pub event_id: i64,
    /// Meeting type.
    pub meeting_type: String,
    /// When held.
    pub held_at: i64,
    /// Chair.
    pub chair: String,
    /// Attendees (JSON).
    pub attendees: String,
    /// Decisions.
    pub decisions: String,
    /// Action items.
    pub actions: Vec<MeetingAction>,
}

/// A recorded action item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeetingAction {
    /// ID.
    pub id: i64,
    /// Meeting.
    pub meeting_id: i64,
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: String,
    /// By when.
    pub due_at: Option<i64>,
    /// When done.
    pub done_at: Option<i64>,
}

/// A return home interview outcome to record (with its `rhi_*` event).
#[derive(Clone, Debug)]
pub struct NewInterview {
    /// `offered`, `completed`, `declined` or `no_engagement`.
    pub outcome: String,
    /// When.
    pub at: i64,
    /// Who offered or held it.
    pub interviewer: String,
    /// `in_person`, `telephone` or `video`.
    pub mode: Option<String>,
    /// Push factors identified.
    pub push_factors: String,
    /// Pull factors identified.
    pub pull_factors: String,
    /// Sensitive disclosures (shown only to roles that need them).
    pub disclosures: String,
}

/// A recorded return home interview outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interview {
    /// ID.
    pub id: i64,
    /// Episode.
    pub episode_id: i64,
    /// The event recorded with it.
    pub event_id: i64,
    /// Version (the ETag), raised by sign-off.
    pub version: i64,
    /// Outcome.
    pub outcome: String,
    /// When.
    pub at: i64,
    /// Interviewer.
    pub interviewer: String,
    /// Mode.
    pub mode: Option<String>,
    /// Push factors.
    pub push_factors: String,
    /// Pull factors.
    pub pull_factors: String,
    /// Sensitive disclosures.
    pub disclosures: String,
    /// Manager who signed it off.
    pub signed_off_by: Option<i64>,
    /// When.
    pub signed_off_at: Option<i64>,
}

/// A child loaded in bulk (demo and scale data): record, placement and whole episodes.
#[derive(Clone, Debug)]
pub struct BulkChild {
    /// The record.
    pub fields: ChildFields,
    /// The current placement.
    pub placement: NewPlacement,
    /// Earlier placements, oldest first: each ends the day the next (or the current) starts.
    pub earlier_placements: Vec<NewPlacement>,
    /// When the record was created.
    pub created_at: i64,
    /// Episodes, oldest first.
    pub episodes: Vec<BulkEpisode>,
    /// Profile documents as `(kind, JSON body)`, each stored as version 1.
    pub documents: Vec<(String, String)>,
}

/// An episode loaded in bulk, with its events and its computed obligations.
#[derive(Clone, Debug)]
pub struct BulkEpisode {
    /// When it was opened.
    pub opened_at: i64,
    /// Events as `(at, timeline-v1 JSON)`.
    pub events: Vec<(i64, String)>,
    /// Obligations computed for it (their `episode_id` is ignored).
    pub obligations: Vec<NewObligation>,
}

/// A child as the pattern views read it: the file the engine reads and the latest version of
/// each profile document (the Philomena profile names places frequented and associates).
#[derive(Clone, Debug)]
pub struct PatternFile {
    /// Record, placement, episodes, events and the authorities they name.
    pub file: ChildFile,
    /// The latest version of each kind of profile document.
    pub documents: Vec<Document>,
}

/// A photo of a child to store (Philomena profile).
#[derive(Clone, Debug)]
pub struct NewPhoto {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The image.
    pub bytes: Vec<u8>,
    /// The day it was taken, `YYYY-MM-DD`.
    pub taken_on: String,
    /// Who uploaded it.
    pub uploaded_by: i64,
    /// When.
    pub uploaded_at: i64,
}

/// A stored photo of a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    /// ID.
    pub id: i64,
    /// Child.
    pub child_id: i64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The image.
    pub bytes: Vec<u8>,
    /// The day it was taken.
    pub taken_on: String,
    /// Who uploaded it.
    pub uploaded_by: i64,
    /// When.
    pub uploaded_at: i64,
}
