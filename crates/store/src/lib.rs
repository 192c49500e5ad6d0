//! Homeward's case store: small repository traits, one per capability ([`Accounts`],
//! [`Children`], [`Episodes`], [`Obligations`], [`Lists`], [`Notifications`], [`AuditLog`],
//! [`Exchange`], [`Patterns`], [`Maintenance`]), together the [`Store`], and two
//! implementations, SQLite (embedded default, WAL, write transactions with `BEGIN IMMEDIATE`) and
//! PostgreSQL, each with its own migrations. Only this crate contains SQL.
//!
//! The store decides nothing: every change to a child takes the casework layer's
//! [`Recompute`], which turns the child's file (as the change left it, inside the change's
//! transaction) into a [`ChildPlan`] — obligations, the state of each episode, who may see the
//! child, when to look again — and the store writes the change, the plan and the audit rows in
//! one transaction, or nothing.
//!
//! A bound `LIMIT` is always written `LIMIT CAST($n AS BIGINT)`: SQLite (3.51) plans with the
//! value of a bare bound `LIMIT` and so re-prepares the statement every time it runs with a new
//! binding, which cost a third of a list page's time; a cast is planned once.

mod accounts;
pub mod audit;
mod children;
mod enums;
mod episodes;
mod exchange;
mod ids;
mod import;
mod lists;
mod maintenance;
pub mod model;
mod obligations;
pub mod outbox;
mod patterns;
pub mod placement_change;
mod postgres;
mod records;
mod rows;
mod sqlite;
mod sqlite_bulk;
mod write;

use std::sync::Arc;

use async_trait::async_trait;

pub use enums::UnknownCode;
pub use exchange::{
    EpisodeVisitor, ExchangeSnapshot, ImportChild, ImportEpisode, ImportOutcome, SnapshotChildren,
};
pub use import::{ChildKey, ImportCandidates};
pub use lists::{
    ChartObligation, ChildRow, DueWindow, EpisodeRow, OpenAction, QueueFilter, QueueRow,
};
pub use model::*;
pub use outbox::{NewOutbox, OutboxRecord};
pub use placement_change::{CHANGE_REASONS, is_change_reason};
pub use postgres::PostgresStore;
pub use records::{ChildRecords, EpisodeRecords};
pub use sqlite::SqliteStore;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// The record changed since the caller read it (optimistic concurrency).
    #[error("the record was changed by someone else (now version {current})")]
    Conflict {
        /// The version now stored.
        current: i64,
    },
    /// A uniqueness or reference rule was broken (e.g. a user name already taken).
    #[error("rejected by the database: {0}")]
    Constraint(String),
    /// The casework layer could not work out the child's state after the change; nothing was
    /// written.
    #[error("evaluation failed: {0}")]
    Evaluation(String),
    /// A stored value is outside its closed list (the database was changed by hand).
    #[error("stored value not understood: {0}")]
    Corrupt(String),
    /// The operation is not available on this backend.
    #[error("{0}")]
    Unsupported(&'static str),
    /// Any other database failure.
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    /// A failure of the SQLite bulk reader (see `sqlite_bulk`).
    #[error("database: {0}")]
    BulkRead(#[source] rusqlite::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d)
                if d.is_unique_violation()
                    || d.is_foreign_key_violation()
                    || d.is_check_violation() =>
            {
                StoreError::Constraint(d.message().to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Works out a child's [`ChildPlan`] from its file and its stored obligations (open and
/// ended), inside the transaction that changed the child. Called once per child changed.
pub type Recompute<'a> =
    &'a (dyn Fn(&ChildFile, &[ObligationRecord]) -> std::result::Result<ChildPlan, String> + Sync);

/// As [`Recompute`], with the messages the scheduler writes for what fell due.
pub type Schedule<'a> = &'a (
        dyn Fn(
    &ChildFile,
    &[ObligationRecord],
) -> std::result::Result<(ChildPlan, Vec<NewOutbox>), String>
            + Sync
    );

/// Which database a store uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Authorities, users, API tokens and sessions.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Adds an authority.
    async fn create_authority(&self, a: &NewAuthority) -> Result<Authority>;
    /// Every authority, by name.
    async fn authorities(&self) -> Result<Vec<Authority>>;
    /// Adds a user.
    async fn create_user(&self, u: &NewUser) -> Result<User>;
    /// A user by sign-in name.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    /// A user by ID.
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// Records an API token (its hash) for a user.
    async fn create_token(
        &self,
        user_id: UserId,
        token_hash: &str,
        label: &str,
        now: Instant,
    ) -> Result<()>;
    /// The active user an API token (hash) belongs to.
    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>>;
    /// Records a session (its ID hash) with its CSRF token.
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: UserId,
        csrf: &str,
        expires_at: Instant,
    ) -> Result<()>;
    /// The active user and CSRF token of an unexpired session.
    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(User, String)>>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// The display names of these users.
    async fn user_names(&self, ids: &[UserId]) -> Result<Vec<(UserId, String)>>;
}

/// Children's records, placements, profile documents and photos.
#[async_trait]
pub trait Children: Send + Sync {
    /// Adds a child with a first placement, and the child's plan.
    async fn create_child(
        &self,
        f: &ChildFields,
        p: &NewPlacement,
        now: Instant,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<(Child, Placement)>;
    /// A child.
    async fn child(&self, id: ChildId) -> Result<Option<Child>>;
    /// Changes a child if it is still at `expected_version`, with the child's new plan.
    async fn update_child(
        &self,
        id: ChildId,
        expected_version: i64,
        f: &ChildFields,
        now: Instant,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<Child>;
    /// Whether an authority may see a child (the access rule's stored answer).
    async fn visible_to(&self, child: ChildId, authority: AuthorityId) -> Result<bool>;
    /// A child's placements, oldest first.
    async fn placements(&self, child_id: ChildId) -> Result<Vec<Placement>>;
    /// Starts a new placement, ending the current one the day it starts, with the child's new
    /// plan.
    async fn add_placement(
        &self,
        child_id: ChildId,
        p: &NewPlacement,
        now: Instant,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<Placement>;
    /// Adds the next version of a profile document.
    async fn add_document(
        &self,
        child_id: ChildId,
        kind: &str,
        body: &str,
        user_id: UserId,
        now: Instant,
        audit: &AuditEntry,
    ) -> Result<Document>;
    /// Every version of a child's documents, by kind then version.
    async fn documents(&self, child_id: ChildId) -> Result<Vec<Document>>;
    /// Stores a new photo of a child.
    async fn add_photo(
        &self,
        child_id: ChildId,
        photo: &NewPhoto,
        audit: &AuditEntry,
    ) -> Result<Photo>;
    /// The latest photo of a child, if any.
    async fn latest_photo(&self, child_id: ChildId) -> Result<Option<Photo>>;
    /// Everything needed to evaluate a child.
    async fn child_file(&self, child_id: ChildId) -> Result<Option<ChildFile>>;
    /// Everything the timeline and the child page show of a child, in one statement.
    async fn child_records(&self, child_id: ChildId) -> Result<Option<ChildRecords>>;
}

/// Episodes, their events, meetings and return interviews.
#[async_trait]
pub trait Episodes: Send + Sync {
    /// Opens an episode under the child's current placement, with the child's new plan.
    async fn open_episode(
        &self,
        child_id: ChildId,
        now: Instant,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<Episode>;
    /// An episode.
    async fn episode(&self, id: EpisodeId) -> Result<Option<Episode>>;
    /// An episode's events, corrections included, in recording order.
    async fn episode_events(&self, id: EpisodeId) -> Result<Vec<EventRecord>>;
    /// Everything the episode page shows of an episode, in one statement.
    async fn episode_records(&self, id: EpisodeId) -> Result<Option<EpisodeRecords>>;
    /// Records where an episode ended (finder authority) if still at `expected_version`, with
    /// the child's new plan.
    async fn set_finder(
        &self,
        episode_id: EpisodeId,
        expected_version: i64,
        finder: Option<AuthorityId>,
        now: Instant,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<Episode>;
    /// Appends an event (if the episode is still at `expected_version`, when given), with the
    /// child's new plan.
    async fn append_event(
        &self,
        episode_id: EpisodeId,
        expected_version: Option<i64>,
        event: &NewEvent,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<(Episode, EventRecord)>;
    /// Records a meeting, its action items and its `meeting_held` event, with the child's new
    /// plan.
    async fn record_meeting(
        &self,
        episode_id: EpisodeId,
        meeting: &NewMeeting,
        event: &NewEvent,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<Meeting>;
    /// An episode's meetings with their action items, oldest first.
    async fn meetings(&self, episode_id: EpisodeId) -> Result<Vec<Meeting>>;
    /// One meeting with its action items.
    async fn meeting(&self, id: MeetingId) -> Result<Option<Meeting>>;
    /// One meeting action item.
    async fn meeting_action(&self, id: ActionId) -> Result<Option<MeetingAction>>;
    /// Marks a meeting's action item done at `at` (once; `NotFound` for an unknown ID).
    async fn complete_action(
        &self,
        id: ActionId,
        at: Instant,
        audit: &AuditEntry,
    ) -> Result<MeetingAction>;
    /// Records a return interview outcome and its event, with the child's new plan.
    async fn record_interview(
        &self,
        episode_id: EpisodeId,
        interview: &NewInterview,
        event: &NewEvent,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<Interview>;
    /// An episode's interview records, oldest first.
    async fn interviews(&self, episode_id: EpisodeId) -> Result<Vec<Interview>>;
    /// One interview record.
    async fn interview(&self, id: InterviewId) -> Result<Option<Interview>>;
    /// A manager signs an interview off, if it is still at `expected_version`.
    async fn sign_off_interview(
        &self,
        id: InterviewId,
        expected_version: i64,
        user_id: UserId,
        at: Instant,
        audit: &AuditEntry,
    ) -> Result<Interview>;
}

/// Stored obligations, and recomputing children outside a change of their own.
#[async_trait]
pub trait Obligations: Send + Sync {
    /// One stored obligation (open or ended).
    async fn obligation(&self, id: ObligationId) -> Result<Option<ObligationRecord>>;
    /// A child's stored obligations, open and ended, by due (none last).
    async fn child_obligations(&self, child_id: ChildId) -> Result<Vec<ObligationRecord>>;
    /// An episode's open obligations, by due (none last).
    async fn episode_obligations(&self, episode_id: EpisodeId) -> Result<Vec<ObligationRecord>>;
    /// When the engine's answer for a child next changes without a new event, as its last plan
    /// said.
    async fn next_change(&self, child_id: ChildId) -> Result<Option<Instant>>;
    /// Writes each child's new plan at `now` (a clock moved in test mode, a rule pack or
    /// routing changed, lists rebuilt after an upgrade), in one transaction.
    async fn recompute(
        &self,
        children: &[ChildId],
        now: Instant,
        recompute: Recompute<'_>,
    ) -> Result<()>;
}

/// What the lists read: indexed tables kept current by every change, paged by the database.
#[async_trait]
pub trait Lists: Send + Sync {
    /// Children an authority may see, by name, optionally only those whose name contains
    /// `search` (ignoring case).
    async fn children_page(
        &self,
        authority: AuthorityId,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChildRow>>;
    /// Open obligations of an authority matching a filter, in the filter's order.
    async fn queue(&self, filter: &QueueFilter) -> Result<Vec<QueueRow>>;
    /// Episodes of children an authority may see in which the child is missing now, highest
    /// risk first, then longest missing.
    async fn missing_now(
        &self,
        authority: AuthorityId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<EpisodeRow>>;
    /// One child's episodes as the lists show them, oldest first.
    async fn child_episodes(&self, child: ChildId) -> Result<Vec<EpisodeRow>>;
    /// One episode as the lists show it.
    async fn episode_status(&self, episode: EpisodeId) -> Result<Option<EpisodeRow>>;
    /// Episodes of children an authority may see in which the child was missing at some
    /// instant from `from` to `to` (missing since `to` or earlier, and not found before
    /// `from`), highest risk first, then by child name.
    async fn episodes_between(
        &self,
        authority: AuthorityId,
        from: Instant,
        to: Instant,
    ) -> Result<Vec<EpisodeRow>>;
    /// Meeting actions not done yet, of children an authority may see, by due (none last).
    async fn open_actions(&self, authority: AuthorityId, limit: i64) -> Result<Vec<OpenAction>>;
    /// Responsible authority and opening instant of each episode opened at or after `since`
    /// in which an authority is involved (responsible, host or finder).
    async fn episodes_opened(
        &self,
        authority: AuthorityId,
        since: Instant,
    ) -> Result<Vec<(AuthorityId, Instant)>>;
    /// Obligations (open or ended) of these rules demanded by an authority's protocol and due
    /// in `[from, to)`, for the charts.
    async fn obligations_due(
        &self,
        authority: AuthorityId,
        rules: &[String],
        from: Instant,
        to: Instant,
    ) -> Result<Vec<ChartObligation>>;
    /// An authority's open obligations: how many are overdue at `now`, due before `soon`, and
    /// later or undated.
    async fn obligation_counts(
        &self,
        authority: AuthorityId,
        now: Instant,
        soon: Instant,
    ) -> Result<(u64, u64, u64)>;
    /// Children whose lists state was never written (stores from before the lists were kept):
    /// the casework layer rebuilds them at start.
    async fn children_without_lists(&self, limit: i64) -> Result<Vec<ChildId>>;
    /// Every child's ID, from `after` on, a page at a time (rebuilding every child's plan).
    async fn child_ids(&self, after: ChildId, limit: i64) -> Result<Vec<ChildId>>;
}

/// The scheduler's per-child schedule, the outbox, acknowledgements and routing.
#[async_trait]
pub trait Notifications: Send + Sync {
    /// Signalled after every commit that changes a child's obligations, so a scheduler in the
    /// same process looks again at once instead of polling.
    fn schedule_changed(&self) -> Arc<tokio::sync::Notify>;
    /// Schedules every child the scheduler has never looked at for `now`; returns how many.
    async fn seed_schedule(&self, now: Instant) -> Result<u64>;
    /// Children whose next check is at or before `now`, earliest first.
    async fn due_children(&self, now: Instant, limit: i64) -> Result<Vec<ChildId>>;
    /// In one transaction: if the child is still due at `now`, writes `schedule`'s plan and
    /// messages (those whose idempotency key is new); returns how many messages were new.
    async fn schedule_child(
        &self,
        child_id: ChildId,
        now: Instant,
        schedule: Schedule<'_>,
    ) -> Result<u64>;
    /// Writes messages (skipping known idempotency keys) and, when `settle_topic` is given,
    /// stops that topic's pending re-escalation, in one transaction; returns how many were new.
    async fn enqueue(
        &self,
        messages: &[NewOutbox],
        settle_topic: Option<&str>,
        now: Instant,
    ) -> Result<u64>;
    /// The earliest next check of any child or re-escalation of an unacknowledged message.
    async fn next_wake(&self) -> Result<Option<Instant>>;
    /// The earliest instant a pending message may be (re)tried.
    async fn next_attempt(&self) -> Result<Option<Instant>>;
    /// Leases up to `limit` pending messages due at `now` until `lease_until` (a crashed
    /// dispatcher's lease runs out and its messages are tried again).
    async fn claim_outbox(
        &self,
        now: Instant,
        lease_until: Instant,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>>;
    /// Marks a message delivered.
    async fn outbox_delivered(&self, id: MessageId, now: Instant) -> Result<()>;
    /// Records a failed attempt: retried at `retry_at`, or dead when `None`, writing `alert`
    /// (the dead-letter alert) in the same transaction.
    async fn outbox_failed(
        &self,
        id: MessageId,
        retry_at: Option<Instant>,
        error: &str,
        alert: &[NewOutbox],
        now: Instant,
    ) -> Result<()>;
    /// Unacknowledged messages whose re-escalation instant has come.
    async fn reescalations_due(&self, now: Instant, limit: i64) -> Result<Vec<OutboxRecord>>;
    /// One outbox message.
    async fn outbox_message(&self, id: MessageId) -> Result<Option<OutboxRecord>>;
    /// Acknowledges a message and every message of its topic (stopping re-escalation), audited.
    async fn acknowledge(
        &self,
        id: MessageId,
        user_id: Option<UserId>,
        now: Instant,
        audit: &AuditEntry,
    ) -> Result<OutboxRecord>;
    /// An authority's messages, newest first, optionally of one status.
    async fn notifications(
        &self,
        authority_id: AuthorityId,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>>;
    /// The secret that signs acknowledgement links: `candidate` if none is stored yet. An
    /// empty candidate is refused, so no link is ever signed with an empty key.
    async fn notification_secret(&self, candidate: &str) -> Result<String>;
    /// Replaces an authority's routing document (validated by the caller), audited; every
    /// child is looked at again.
    async fn set_routing(
        &self,
        authority_id: AuthorityId,
        routing: &str,
        audit: &AuditEntry,
    ) -> Result<Authority>;
}

/// The audit log and its hash chain.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends audit rows in one transaction (for reads; writes carry theirs in their own).
    async fn audit(&self, entries: &[AuditEntry]) -> Result<()>;
    /// The whole audit log, in order, and the recorded chain head (last id, last hash).
    async fn audit_log(&self) -> Result<(Vec<AuditRecord>, (i64, String))>;
}

/// Returns, exports and imports.
#[async_trait]
pub trait Exchange: Send + Sync {
    /// Every authority, the children `children` names with their placements, and the episodes
    /// opened in `[opened_from, opened_to)`, each handed to `visit` with its events: what
    /// returns and exports read, in one pass.
    async fn exchange_snapshot(
        &self,
        opened_from: Instant,
        opened_to: Instant,
        children: SnapshotChildren,
        visit: EpisodeVisitor<'_>,
    ) -> Result<ExchangeSnapshot>;
    /// Appends imported events (opening episodes where asked) and writes each child's new
    /// plan, all in one transaction with one audit row per child written (covering the events
    /// of its episodes recorded at the audit instant by the audit user): any failure leaves the
    /// store as it was. Written in bulk, a few statements per table.
    async fn import_events(
        &self,
        children: &[ImportChild],
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<ImportOutcome>;
    /// What matching an imported list needs, and no more: the children with these IDs or
    /// these names (every date of birth), and their episodes opened at or after
    /// `opened_from` with those episodes' events.
    async fn import_candidates(
        &self,
        child_ids: &[ChildId],
        names: &[String],
        opened_from: Instant,
    ) -> Result<ImportCandidates>;
}

/// The pattern views' bulk read.
#[async_trait]
pub trait Patterns: Send + Sync {
    /// Every child an authority may see, as whole files with their latest profile documents,
    /// by child ID: one query per table.
    async fn pattern_files(&self, authority_id: AuthorityId) -> Result<Vec<PatternFile>>;
}

/// Running the store: health, backups, bulk loading.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> Backend;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
    /// Writes a consistent copy of the database to a file while it is in use.
    async fn backup_to(&self, path: &std::path::Path) -> Result<()>;
    /// Loads whole children in one transaction (synthetic demo and scale data), recorded by
    /// `user_id`, with their plans and one audit row for the batch.
    async fn bulk_load(
        &self,
        children: &[BulkChild],
        user_id: UserId,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<()>;
}

/// The whole case store: every capability.
pub trait Store:
    Accounts
    + Children
    + Episodes
    + Obligations
    + Lists
    + Notifications
    + AuditLog
    + Exchange
    + Patterns
    + Maintenance
{
}

impl<T> Store for T where
    T: Accounts
        + Children
        + Episodes
        + Obligations
        + Lists
        + Notifications
        + AuditLog
        + Exchange
        + Patterns
        + Maintenance
{
}

/// Opens (and migrates) the store a URL names: `sqlite:PATH` / a plain path, or `postgres://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Ok(Arc::new(
            SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    }
}
