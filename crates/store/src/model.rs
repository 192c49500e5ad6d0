//! The records the store keeps, with typed IDs ([`crate::ids`]), instants ([`Instant`]) and
//! closed lists (the protocol's vocabularies and [`crate::enums`]).

use protocol::vocabulary::{
    LegalStatus, MeetingType, OwnerRole, PlacementType, Protocol, RhiMode, RiskLevel, Share,
};
use serde::{Deserialize, Serialize};

pub use crate::enums::{Ended, InterviewOutcome, MessageStatus, Role};
pub use crate::ids::*;

/// A local authority (in the partnership or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// Store ID.
    pub id: AuthorityId,
    /// Short code, e.g. `NEWHAM`, `SOUTHAMPTON`.
    pub code: String,
    /// Name as the protocols write it, e.g. `London Borough of Newham`.
    pub name: String,
    /// The protocol this authority follows, or none outside the partnership.
    pub protocol: Option<Protocol>,
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
    pub protocol: Option<Protocol>,
    /// Police force.
    pub police_force: String,
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Store ID.
    pub id: UserId,
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// What the user does.
    pub role: Role,
    /// The authority the user works for.
    pub authority_id: AuthorityId,
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
    /// Role.
    pub role: Role,
    /// The authority.
    pub authority_id: AuthorityId,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// A child's record (facts of timeline v1 other than placement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// Store ID.
    pub id: ChildId,
    /// Incremented on every change; the ETag.
    pub version: i64,
    /// Full name.
    pub name: String,
    /// Date of birth `YYYY-MM-DD`.
    pub dob: String,
    /// Flags and concerns (JSON object in timeline-v1 vocabulary).
    pub facts: String,
    /// Created.
    pub created_at: Instant,
    /// Last changed.
    pub updated_at: Instant,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Store ID.
    pub id: DocumentId,
    /// Child.
    pub child_id: ChildId,
    /// Kind of document.
    pub kind: String,
    /// 1 for the first version.
    pub version: i64,
    /// Content (JSON).
    pub body: String,
    /// Who recorded this version.
    pub recorded_by: UserId,
    /// When.
    pub recorded_at: Instant,
}

/// Where a child lives, under which authorities, from a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Store ID.
    pub id: PlacementId,
    /// Child.
    pub child_id: ChildId,
    /// Responsible (placing) authority.
    pub responsible_authority_id: AuthorityId,
    /// Authority where the child lives.
    pub host_authority_id: AuthorityId,
    /// Legal status.
    pub legal_status: LegalStatus,
    /// Placement type.
    pub placement_type: PlacementType,
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
    pub responsible_authority_id: AuthorityId,
    /// Host authority.
    pub host_authority_id: AuthorityId,
    /// Legal status.
    pub legal_status: LegalStatus,
    /// Placement type.
    pub placement_type: PlacementType,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    /// Store ID.
    pub id: EpisodeId,
    /// Child.
    pub child_id: ChildId,
    /// Incremented on every change or new event; the ETag.
    pub version: i64,
    /// Responsible authority when the episode opened.
    pub responsible_authority_id: AuthorityId,
    /// Host authority when the episode opened.
    pub host_authority_id: AuthorityId,
    /// Authority where the child came to notice or was found, if elsewhere.
    pub finder_authority_id: Option<AuthorityId>,
    /// When the episode was opened.
    pub opened_at: Instant,
}

/// A recorded event. Events are never changed: a correction is a new event naming the one it
/// corrects, with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Store ID.
    pub id: EventId,
    /// Episode.
    pub episode_id: EpisodeId,
    /// When it happened.
    pub at: Instant,
    /// The event in timeline-v1 shape (JSON).
    pub body: String,
    /// Who recorded it.
    pub recorded_by: UserId,
    /// When it was recorded.
    pub recorded_at: Instant,
    /// The event this one corrects.
    pub corrects_event_id: Option<EventId>,
    /// Why.
    pub correction_reason: Option<String>,
}

/// A new event.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// When it happened.
    pub at: Instant,
    /// The event in timeline-v1 shape (JSON).
    pub body: String,
    /// The event this corrects, and why.
    pub correction: Option<(EventId, String)>,
    /// Who records it.
    pub recorded_by: UserId,
    /// When it is recorded (also the instant obligations are recomputed at).
    pub recorded_at: Instant,
}

/// What the engine asked of a child, as stored: open until met or no longer given. An
/// obligation keeps its ID for as long as the engine gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationRecord {
    /// Store ID.
    pub id: ObligationId,
    /// Child.
    pub child_id: ChildId,
    /// The obligation's content.
    pub obligation: NewObligation,
    /// When its content last changed.
    pub computed_at: Instant,
}

impl ObligationRecord {
    /// Whether it is still to be done.
    pub fn is_open(&self) -> bool {
        self.obligation.ended.is_none()
    }
}

/// An obligation's content: which rule asked what of whom, by when, and whether it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewObligation {
    /// Episode.
    pub episode_id: EpisodeId,
    /// Authority whose protocol demands it.
    pub authority_id: AuthorityId,
    /// Rule ID.
    pub rule: String,
    /// Share tag, if one party's part.
    pub share: Option<Share>,
    /// Owner role, if the rule names one.
    pub owner_role: Option<OwnerRole>,
    /// What must be done.
    pub action: String,
    /// Seed file and paragraph.
    pub citation: String,
    /// When the trigger was met.
    pub activation: Instant,
    /// Deadline, if any.
    pub due: Option<Instant>,
    /// When an event discharged it (the engine's answer), if one did.
    pub met_at: Option<Instant>,
    /// Why it is no longer open, if it is not.
    pub ended: Option<Ended>,
    /// When the store learnt that it ended.
    pub ended_at: Option<Instant>,
}

/// The state of a child after a change, as the casework layer computed it from the child's
/// file and stored obligations: what the store writes, in the transaction of the change, so
/// that obligations, lists and the scheduler never disagree with the events.
#[derive(Clone, Debug, Default)]
pub struct ChildPlan {
    /// Obligations to write: `(None, o)` is new, `(Some(id), o)` replaces the stored content of
    /// `id` (reopened, moved, met or ended). Obligations that did not change are not listed.
    pub obligations: Vec<(Option<ObligationId>, NewObligation)>,
    /// The state of every episode of the child, for the lists.
    pub episodes: Vec<EpisodeStatus>,
    /// Every authority that may see the child (the access rule's answer).
    pub visible_to: Vec<AuthorityId>,
    /// When the scheduler should next look at the child.
    pub next_check: Option<Instant>,
    /// When the engine's answer next changes without a new event.
    pub next_change: Option<Instant>,
}

/// What the lists show of an episode, kept current by every change to the child.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeStatus {
    /// Episode.
    pub episode_id: EpisodeId,
    /// Child.
    pub child_id: ChildId,
    /// Missing now (noticed or reported, not yet found).
    #[serde(deserialize_with = "crate::rows::flag")]
    pub missing: bool,
    /// When the absence was noticed (or reported, or the episode opened).
    pub since: Instant,
    /// When the child was found, if they were.
    pub found_at: Option<Instant>,
    /// The latest police risk grading.
    pub risk: Option<RiskLevel>,
    /// When the return interview was held, if it was.
    pub rhi_at: Option<Instant>,
    /// The earliest deadline among the episode's open obligations, and its rule.
    pub next_due: Option<(Instant, String)>,
}

/// Everything needed to evaluate a child: record, placement, episodes and events.
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
    /// What was recorded.
    pub entry: AuditEntry,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row (over `prev_hash` and its fields).
    pub hash: String,
}

/// An audit entry to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: Instant,
    /// Who (none for the system).
    pub user_id: Option<UserId>,
    /// `read` or `write` plus what, e.g. `read`.
    pub action: String,
    /// What kind of record.
    pub entity: String,
    /// Which record.
    pub entity_id: Option<i64>,
    /// The child concerned.
    pub child_id: Option<ChildId>,
    /// Every child a list showed, when the entry is the read of a list.
    pub children: Vec<ChildId>,
    /// Client address.
    pub remote_addr: String,
}

/// A meeting to record (with the `meeting_held` event the engine reads).
#[derive(Clone, Debug)]
pub struct NewMeeting {
    /// Meeting type.
    pub meeting_type: MeetingType,
    /// When it was held.
    pub held_at: Instant,
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
    pub due_at: Option<Instant>,
}

/// A recorded meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// ID.
    pub id: MeetingId,
    /// Episode.
    pub episode_id: EpisodeId,
    /// The `meeting_held` event recorded with it.
    pub event_id: EventId,
    /// Meeting type.
    pub meeting_type: MeetingType,
    /// When held.
    pub held_at: Instant,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingAction {
    /// ID.
    pub id: ActionId,
    /// Meeting.
    pub meeting_id: MeetingId,
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: String,
    /// By when.
    pub due_at: Option<Instant>,
    /// When done.
    pub done_at: Option<Instant>,
}

/// A return home interview outcome to record (with its `rhi_*` event).
#[derive(Clone, Debug)]
pub struct NewInterview {
    /// How it went.
    pub outcome: InterviewOutcome,
    /// When.
    pub at: Instant,
    /// Who offered or held it.
    pub interviewer: String,
    /// How it was offered or held.
    pub mode: Option<RhiMode>,
    /// Push factors identified.
    pub push_factors: String,
    /// Pull factors identified.
    pub pull_factors: String,
    /// Sensitive disclosures (shown only to roles that need them).
    pub disclosures: String,
}

/// A recorded return home interview outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interview {
    /// ID.
    pub id: InterviewId,
    /// Episode.
    pub episode_id: EpisodeId,
    /// The event recorded with it.
    pub event_id: EventId,
    /// Version (the ETag), raised by sign-off.
    pub version: i64,
    /// How it went.
    pub outcome: InterviewOutcome,
    /// When.
    pub at: Instant,
    /// Interviewer.
    pub interviewer: String,
    /// Mode.
    pub mode: Option<RhiMode>,
    /// Push factors.
    pub push_factors: String,
    /// Pull factors.
    pub pull_factors: String,
    /// Sensitive disclosures.
    pub disclosures: String,
    /// Manager who signed it off.
    pub signed_off_by: Option<UserId>,
    /// When.
    pub signed_off_at: Option<Instant>,
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
    pub created_at: Instant,
    /// Episodes, oldest first.
    pub episodes: Vec<BulkEpisode>,
    /// Profile documents as `(kind, JSON body)`, each stored as version 1.
    pub documents: Vec<(String, String)>,
}

/// An episode loaded in bulk, with its events.
#[derive(Clone, Debug)]
pub struct BulkEpisode {
    /// When it was opened.
    pub opened_at: Instant,
    /// Events as `(at, timeline-v1 JSON)`.
    pub events: Vec<(Instant, String)>,
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
    pub uploaded_by: UserId,
    /// When.
    pub uploaded_at: Instant,
}

/// A stored photo of a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    /// ID.
    pub id: PhotoId,
    /// Child.
    pub child_id: ChildId,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The image.
    pub bytes: Vec<u8>,
    /// The day it was taken.
    pub taken_on: String,
    /// Who uploaded it.
    pub uploaded_by: UserId,
    /// When.
    pub uploaded_at: Instant,
}
