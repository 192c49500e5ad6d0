//! Homeward's case store: one repository trait ([`Repository`]) and two implementations, SQLite
//! (embedded default, WAL, write transactions with `BEGIN IMMEDIATE`) and PostgreSQL, each with
//! its own migrations. Only this crate contains SQL.
//!
//! Every write of a child's data and its audit row happen in one transaction; an event and the
//! obligations recomputed from it land together or not at all.

pub mod audit;
mod exchange;
mod import;
pub mod model;
pub mod outbox;
mod patterns;
pub mod placement_change;
mod postgres;
mod shared;
mod sqlite;
mod sqlite_bulk;

use std::sync::Arc;

use async_trait::async_trait;

pub use exchange::{
    EpisodeVisitor, ExchangeSnapshot, ImportChild, ImportEpisode, ImportOutcome, SnapshotChildren,
};
pub use import::{ChildKey, ImportCandidates};
pub use model::*;
pub use outbox::{NewOutbox, OpenEpisode, OutboxRecord, Schedule, ScheduleOutcome};
pub use placement_change::{CHANGE_REASONS, is_change_reason};
pub use postgres::PostgresStore;
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
    /// The engine could not evaluate the child after the change; nothing was written.
    #[error("evaluation failed: {0}")]
    Evaluation(String),
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

/// Computes the obligations of a child from its file, inside the transaction that changed it.
pub type Recompute<'a> =
    &'a (dyn Fn(&ChildFile) -> std::result::Result<Vec<NewObligation>, String> + Sync);

/// Which database a store uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The case store. Instants are microseconds since the Unix epoch; `now` is always passed in.
#[async_trait]
pub trait Repository: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> Backend;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    /// Adds an authority.
    async fn create_authority(&self, a: &NewAuthority) -> Result<Authority>;
    /// Every authority, by name.
    async fn authorities(&self) -> Result<Vec<Authority>>;

    /// Adds a user.
    async fn create_user(&self, u: &NewUser) -> Result<User>;
    /// A user by sign-in name.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    /// A user by ID.
    async fn user(&self, id: i64) -> Result<Option<User>>;
    /// Records an API token (its hash) for a user.
    async fn create_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        now: i64,
    ) -> Result<()>;
    /// The active user an API token (hash) belongs to.
    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>>;
    /// Records a session (its ID hash) with its CSRF token.
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()>;
    /// The active user and CSRF token of an unexpired session.
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<(User, String)>>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    /// Adds a child with a first placement.
    async fn create_child(
        &self,
        f: &ChildFields,
        p: &NewPlacement,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<(Child, Placement)>;
    /// A child.
    async fn child(&self, id: i64) -> Result<Option<Child>>;
    /// Changes a child if it is still at `expected_version`.
    async fn update_child(
        &self,
        id: i64,
        expected_version: i64,
        f: &ChildFields,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<Child>;
    /// Children an authority may see (responsible, host or finder), by name.
    async fn children_for(&self, authority_id: i64, limit: i64, offset: i64) -> Result<Vec<Child>>;
    /// Authorities with a reason to see a child: current responsible and host authorities, and
    /// the responsible, host and finder authorities of its episodes.
    async fn child_authorities(&self, child_id: i64) -> Result<Vec<i64>>;
    /// A child's placements, oldest first.
    async fn placements(&self, child_id: i64) -> Result<Vec<Placement>>;
    /// Starts a new placement, ending the current one the day it starts.
    async fn add_placement(
        &self,
        child_id: i64,
        p: &NewPlacement,
        audit: &AuditEntry,
    ) -> Result<Placement>;
    /// Adds the next version of a profile document.
    async fn add_document(
        &self,
        child_id: i64,
        kind: &str,
        body: &str,
        user_id: i64,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<Document>;
    /// Every version of a child's documents, oldest first.
    async fn documents(&self, child_id: i64) -> Result<Vec<Document>>;

    /// Opens an episode under the child's current placement.
    async fn open_episode(&self, child_id: i64, now: i64, audit: &AuditEntry) -> Result<Episode>;
    /// An episode.
    async fn episode(&self, id: i64) -> Result<Option<Episode>>;
    /// Records where an episode ended (finder authority) if still at `expected_version`.
    async fn set_finder(
        &self,
        episode_id: i64,
        expected_version: i64,
        finder: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<Episode>;
    /// Everything needed to evaluate a child.
    async fn child_file(&self, child_id: i64) -> Result<Option<ChildFile>>;
    /// Appends an event (if the episode is still at `expected_version`, when given), then
    /// replaces the child's obligations with `recompute`'s answer, in one transaction.
    async fn append_event(
        &self,
        episode_id: i64,
        expected_version: Option<i64>,
        event: &NewEvent,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<(Episode, EventRecord, Vec<ObligationRecord>)>;
    /// Records a meeting, its action items and its `meeting_held` event, recomputing the
    /// child's obligations, in one transaction.
    async fn record_meeting(
        &self,
        episode_id: i64,
        meeting: &NewMeeting,
        event: &NewEvent,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<(Meeting, Vec<ObligationRecord>)>;
    /// An episode's meetings with their action items, oldest first.
    async fn meetings(&self, episode_id: i64) -> Result<Vec<Meeting>>;
    /// Records a return interview outcome and its event, recomputing the child's obligations.
    async fn record_interview(
        &self,
        episode_id: i64,
        interview: &NewInterview,
        event: &NewEvent,
        recompute: Recompute<'_>,
        audit: &AuditEntry,
    ) -> Result<(Interview, Vec<ObligationRecord>)>;
    /// An episode's interview records, oldest first.
    async fn interviews(&self, episode_id: i64) -> Result<Vec<Interview>>;
    /// One interview record.
    async fn interview(&self, id: i64) -> Result<Option<Interview>>;
    /// A manager signs an interview off, if it is still at `expected_version`.
    async fn sign_off_interview(
        &self,
        id: i64,
        expected_version: i64,
        user_id: i64,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<Interview>;
    /// Replaces a child's obligations with `recompute`'s answer (after a change of rules or facts).
    async fn recompute(
        &self,
        child_id: i64,
        now: i64,
        recompute: Recompute<'_>,
    ) -> Result<Vec<ObligationRecord>>;
    /// Stored obligations matching a filter, by due (none last).
    async fn obligations(&self, filter: &ObligationFilter) -> Result<Vec<ObligationRecord>>;
    /// A child's stored obligations.
    async fn child_obligations(&self, child_id: i64) -> Result<Vec<ObligationRecord>>;
    /// One stored obligation.
    async fn obligation(&self, id: i64) -> Result<Option<ObligationRecord>>;

    /// Loads whole children in one transaction (synthetic demo and scale data), recorded by
    /// `user_id`, with one audit row for the batch.
    async fn bulk_load(
        &self,
        children: &[BulkChild],
        user_id: i64,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Appends audit rows in one transaction (for reads; writes carry theirs in their own).
    async fn audit(&self, entries: &[AuditEntry]) -> Result<()>;
    /// The whole audit log, in order, and the recorded chain head (last id, last hash).
    async fn audit_log(&self) -> Result<(Vec<AuditRecord>, (i64, String))>;
    /// Writes a consistent copy of the database to a file while it is in use.
    async fn backup_to(&self, path: &std::path::Path) -> Result<()>;

    // --- Patterns (issue 6 point 4) ---
    /// Every child an authority may see (the rule of [`Repository::children_for`]: responsible,
    /// host or finder), as whole files with their latest profile documents, by child ID. One
    /// query per table, for the pattern views across a partnership's children.
    async fn pattern_files(&self, authority_id: i64) -> Result<Vec<PatternFile>>;
    // --- charts (web::charts) ---
    /// Episodes opened at or after `since` in which an authority is involved (responsible,
    /// host or finder), oldest first, each with its events in order.
    async fn episodes_involving(
        &self,
        authority_id: i64,
        since: i64,
    ) -> Result<Vec<(Episode, Vec<EventRecord>)>>;

    // --- caseworker pages (web::ui) ---
    /// One meeting with its action items.
    async fn meeting(&self, id: i64) -> Result<Option<Meeting>>;
    /// Marks a meeting's action item done at `at` (once; `NotFound` for an unknown ID).
    async fn complete_action(&self, id: i64, at: i64, audit: &AuditEntry) -> Result<MeetingAction>;
    /// One meeting action item.
    async fn meeting_action(&self, id: i64) -> Result<Option<MeetingAction>>;
    /// Stores a new photo of a child.
    async fn add_photo(&self, child_id: i64, photo: &NewPhoto, audit: &AuditEntry)
    -> Result<Photo>;
    /// The latest photo of a child, if any.
    async fn latest_photo(&self, child_id: i64) -> Result<Option<Photo>>;
    // ---- Notifications (issue 5): schedule, outbox, acknowledgements, routing (outbox.rs) ----
    /// Signalled after every commit that changes a child's obligations, so a scheduler in the
    /// same process looks again at once instead of polling.
    fn schedule_changed(&self) -> Arc<tokio::sync::Notify>;
    /// Schedules every child the scheduler has never looked at for `now`; returns how many.
    async fn seed_schedule(&self, now: i64) -> Result<u64>;
    /// Children whose next check is at or before `now`, earliest first.
    async fn due_children(&self, now: i64, limit: i64) -> Result<Vec<i64>>;
    /// In one transaction: if the child is still due at `now`, stores `schedule`'s obligations,
    /// next check and messages (those whose idempotency key is new); returns how many were new.
    async fn schedule_child(&self, child_id: i64, now: i64, schedule: Schedule<'_>) -> Result<u64>;
    /// Writes messages (skipping known idempotency keys) and, when `settle_topic` is given,
    /// stops that topic's pending re-escalation, in one transaction; returns how many were new.
    async fn enqueue(
        &self,
        messages: &[NewOutbox],
        settle_topic: Option<&str>,
        now: i64,
    ) -> Result<u64>;
    /// The earliest next check of any child or re-escalation of an unacknowledged message.
    async fn next_wake(&self) -> Result<Option<i64>>;
    /// The earliest instant a pending message may be (re)tried.
    async fn next_attempt(&self) -> Result<Option<i64>>;
    /// Leases up to `limit` pending messages due at `now` until `lease_until` (a crashed
    /// dispatcher's lease runs out and its messages are tried again).
    async fn claim_outbox(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>>;
    /// Marks a message delivered.
    async fn outbox_delivered(&self, id: i64, now: i64) -> Result<()>;
    /// Records a failed attempt: retried at `retry_at`, or dead when `None`, writing `alert`
    /// (the dead-letter alert) in the same transaction.
    async fn outbox_failed(
        &self,
        id: i64,
        retry_at: Option<i64>,
        error: &str,
        alert: &[NewOutbox],
        now: i64,
    ) -> Result<()>;
    /// Unacknowledged messages whose re-escalation instant has come.
    async fn reescalations_due(&self, now: i64, limit: i64) -> Result<Vec<OutboxRecord>>;
    /// One outbox message.
    async fn outbox_message(&self, id: i64) -> Result<Option<OutboxRecord>>;
    /// Acknowledges a message and every message of its topic (stopping re-escalation), audited.
    async fn acknowledge(
        &self,
        id: i64,
        user_id: Option<i64>,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<OutboxRecord>;
    /// An authority's messages, newest first, optionally of one status.
    async fn notifications(
        &self,
        authority_id: i64,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>>;
    /// The secret that signs acknowledgement links: `candidate` if none is stored yet.
    async fn notification_secret(&self, candidate: &str) -> Result<String>;
    /// Replaces an authority's routing document (validated by the caller), audited.
    async fn set_routing(
        &self,
        authority_id: i64,
        routing: &str,
        audit: &AuditEntry,
    ) -> Result<Authority>;
    /// Children of an authority (responsible or host) missing now, with their last risk level.
    async fn open_episodes(&self, authority_id: i64) -> Result<Vec<OpenEpisode>>;
    // --- exchange (returns, exports, imports) ---
    /// Every authority, the children `children` names with their placements, and the episodes
    /// opened in `[opened_from, opened_to)`, each handed to `visit` with its events: what
    /// returns and exports read, in one pass.
    async fn exchange_snapshot(
        &self,
        opened_from: i64,
        opened_to: i64,
        children: SnapshotChildren,
        visit: EpisodeVisitor<'_>,
    ) -> Result<ExchangeSnapshot>;
    /// Appends imported events (opening episodes where asked) and recomputes each child's
    /// obligations and schedule, all in one transaction with one audit row per child written
    /// (covering the events of its episodes recorded at the audit instant by the audit user):
    /// any failure leaves the store as it was. Written in bulk, a few statements per table.
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
        child_ids: &[i64],
        names: &[String],
        opened_from: i64,
    ) -> Result<ImportCandidates>;
}

/// Opens (and migrates) the store a URL names: `sqlite:PATH` / a plain path, or `postgres://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Repository>> {
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
