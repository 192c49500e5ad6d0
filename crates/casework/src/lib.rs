//! Homeward's application layer: every use case — record an event, correct it, open an episode,
//! change a child or a placement, documents, photos, meetings and their actions, interviews and
//! sign-off, discharge an obligation, acknowledge a notification, routing, the lists, the
//! pattern views, the returns' reads and the imports — as a command or a query on
//! [`Casework`]. No HTTP is known here: the pages, the JSON API, the worker and the command line
//! stand on this crate alike.
//!
//! The invariants it keeps (ARCHITECTURE.md):
//! * Only this layer writes to the store, and a command's change, the child's recomputed plan
//!   (obligations, lists, who may see the child, the scheduler's row) and its audit rows commit
//!   in one transaction; a refused command commits nothing.
//! * Only the access check makes a [`ChildScope`]; every use case about a child takes one.
//! * Only the engine decides a deadline: [`plan`] turns the engine's answer into stored
//!   obligations, keeping each one's identity while the engine gives it.
//! * Only [`Clock`] reads the real time.

pub mod access;
pub mod accounts;
pub mod ack;
mod audit_writer;
pub mod charts;
pub mod children;
pub mod clock;
mod episodes;
pub mod error;
pub mod evaluation;
mod exchange;
mod interviews;
pub mod lists;
mod maintenance;
mod meetings;
mod notifications;
mod obligations;
mod patterns;
pub mod plan;
pub mod routing;
mod scheduling;
pub mod time;

use std::sync::Arc;

use jiff::Timestamp;
use protocol::{Calendar, Catalog};
use store::{AuditEntry, Instant};

pub use access::{Actor, ChildScope, Permission};
pub use accounts::Credentials;
pub use charts::{ByStatus, Charts, Monthly, Share, Weekly};
pub use children::{ChildChange, DOCUMENT_KINDS, Facts, NewChild, PlacementChange};
pub use clock::Clock;
pub use episodes::{EventIn, Recorded};
pub use error::{CaseError, Code, Result};
pub use exchange::ExportReader;
pub use interviews::InterviewInput;
pub use lists::{MyWork, QueueSection};
pub use meetings::{ActionInput, Attendee, MeetingInput};
pub use patterns::Patterns;
pub use scheduling::Messages;
/// The records use cases return, as the store keeps them, and the vocabularies they hold.
pub mod records {
    pub use protocol::vocabulary::{
        LegalStatus, MeetingType, OwnerRole, PlacementType, Protocol, RhiMode, RiskLevel, Share,
    };
    pub use store::audit::ChainBreak;
    pub use store::model::*;
    pub use store::{
        CHANGE_REASONS, ChartObligation, ChildKey, ChildRecords, ChildRow, DueWindow,
        EpisodeRecords, EpisodeRow, ExchangeSnapshot, ImportCandidates, ImportChild, ImportEpisode,
        ImportOutcome, OpenAction, QueueRow, SnapshotChildren,
    };
}
pub use store::{Backend, DueWindow, EpisodeRow, MessageStatus, NewOutbox, OutboxRecord};
/// The store, for the binary to open and hand to [`Casework::new`].
pub use store::{Store, open as open_store};

/// The application: the store, the rule packs, the calendar and the clock, and the writer that
/// group-commits the audit rows of reads.
#[derive(Clone)]
pub struct Casework {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    calendar: Arc<Calendar>,
    clock: Clock,
    audit: audit_writer::AuditWriter,
    throttle: accounts::Throttle,
    ack_secret: std::sync::OnceLock<String>,
}

impl Casework {
    /// The application over a store. Starts the audit writer, so it must be called inside a
    /// Tokio runtime.
    pub fn new(store: Arc<dyn Store>, catalog: Catalog, calendar: Calendar, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                audit: audit_writer::AuditWriter::start(store.clone()),
                store,
                catalog: Arc::new(catalog),
                calendar: Arc::new(calendar),
                clock,
                throttle: accounts::Throttle::default(),
                ack_secret: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The store. Only this crate writes to it.
    pub(crate) fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The rule packs.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The calendar (Europe/London, bank holidays).
    pub fn calendar(&self) -> &Calendar {
        &self.inner.calendar
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The current instant as the store keeps it.
    pub(crate) fn now_instant(&self) -> Instant {
        self.now().into()
    }

    /// Which database the store is.
    pub fn backend(&self) -> Backend {
        self.store().backend()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store().ping().await?)
    }

    fn inner_ack_secret(&self) -> Option<String> {
        self.inner.ack_secret.get().cloned()
    }

    fn remember_ack_secret(&self, secret: String) -> String {
        self.inner.ack_secret.get_or_init(|| secret).clone()
    }

    /// Records reads in the audit log (group-committed with other reads), returning once they
    /// are committed: nothing is shown unaudited.
    pub(crate) async fn record_reads(&self, entries: Vec<AuditEntry>) -> Result<()> {
        self.inner.audit.record(entries).await
    }
}
