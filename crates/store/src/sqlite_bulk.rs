//! The one read on SQLite that does not go through sqlx: the snapshot returns and exports read
//! (on the national data, 300,000 children and placements, 600,000 episodes and 4.3 million
//! events for a collection year). sqlx hands each row from its connection thread to the caller
//! on its own, copying every value and waking the caller for each; that was most of an export's
//! time (BENCHMARKS.md). Here two read-only rusqlite connections on blocking threads read side
//! by side: one the authorities, children and placements, the other the episodes and then their
//! events, which it hands over in batches so that it and the caller (reading each episode as it
//! completes) wake each other once per batch. Each connection reads in one transaction; like
//! the separate statements before them, the two may see a write committed between their starts.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Row};
use tokio::sync::mpsc;

use crate::exchange::{ByEpisode, SnapshotQueries};
use crate::{
    Authority, Child, Episode, EpisodeVisitor, EventRecord, ExchangeSnapshot, Instant, Placement,
    Result, StoreError,
};

/// Events per hand-over.
const BATCH: usize = 4096;

/// The most of the file mapped into memory (SQLite's own ceiling is 2 GiB).
const MMAP_BYTES: i64 = 1 << 31;

/// What the episode reader hands over: the episodes first, then their events.
enum Part {
    Episodes(Vec<Episode>),
    Events(Vec<EventRecord>),
}

/// Reads the snapshot of the window `[opened_from, opened_to)`, each episode handed to the
/// visitor with its events.
pub(crate) async fn snapshot(
    path: &Path,
    queries: SnapshotQueries,
    opened_from: Instant,
    opened_to: Instant,
    visit: EpisodeVisitor<'_>,
) -> Result<ExchangeSnapshot> {
    let window = [opened_from.micros(), opened_to.micros()];
    let SnapshotQueries {
        scoped,
        authorities,
        children,
        placements,
        episodes,
        events,
    } = queries;
    let records = tokio::task::spawn_blocking({
        let path = path.to_path_buf();
        move || {
            let conn = open(&path)?;
            let read = conn.unchecked_transaction()?;
            let child_params = || rusqlite::params_from_iter(&window[..if scoped { 2 } else { 0 }]);
            Ok::<_, rusqlite::Error>((
                all(&read, &authorities, [], AUTHORITY)?,
                all(&read, &children, child_params(), CHILD)?,
                all(&read, &placements, child_params(), PLACEMENT)?,
            ))
        }
    });
    let (tx, mut rx) = mpsc::channel(4);
    let events = tokio::task::spawn_blocking({
        let path = path.to_path_buf();
        move || read_episodes(&path, &episodes, &events, window, &tx)
    });
    let mut episodes = Vec::new();
    if let Some(Part::Episodes(read)) = rx.recv().await {
        episodes = read;
        let mut by_episode = ByEpisode::new(&episodes, visit);
        while let Some(Part::Events(batch)) = rx.recv().await {
            for event in batch {
                by_episode.push(event);
            }
        }
        by_episode.finish();
    }
    joined(events.await)?;
    let (authorities, children, placements) = joined(records.await)?;
    Ok(ExchangeSnapshot {
        authorities,
        children,
        placements,
        episodes,
    })
}

/// A reading thread's result (a join error means it panicked).
fn joined<T>(
    result: std::result::Result<rusqlite::Result<T>, tokio::task::JoinError>,
) -> Result<T> {
    result
        .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?
        .map_err(StoreError::BulkRead)
}

/// A read-only connection.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Pages through a memory map rather than a system call each.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    Ok(conn)
}

/// Reads the episodes, then their events, on the blocking thread; stops early if the receiver
/// has gone (it has then failed already).
fn read_episodes(
    path: &Path,
    episodes: &str,
    events: &str,
    window: [i64; 2],
    tx: &mpsc::Sender<Part>,
) -> rusqlite::Result<()> {
    let conn = open(path)?;
    let read = conn.unchecked_transaction()?;
    if tx
        .blocking_send(Part::Episodes(all(&read, episodes, window, EPISODE)?))
        .is_err()
    {
        return Ok(());
    }
    let mut statement = prepare(&read, events, EVENT.0)?;
    let mut rows = statement.query(window)?;
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(r) = rows.next()? {
        batch.push((EVENT.1)(r)?);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.blocking_send(Part::Events(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Part::Events(batch));
    }
    Ok(())
}

/// Every row of a query, read by `map`.
fn all<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    (columns, map): Reader<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = prepare(conn, sql, columns)?;
    statement.query_map(params, map)?.collect()
}

/// Prepares a query whose columns a reader reads by position, checking first that they are
/// the ones it expects (in order), so that a changed query fails here rather than misreads.
fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    columns: &[&str],
) -> rusqlite::Result<rusqlite::Statement<'c>> {
    let statement = conn.prepare(sql)?;
    if statement.column_names() != columns {
        return Err(rusqlite::Error::InvalidColumnName(format!(
            "{sql}: expected the columns {}",
            columns.join(", ")
        )));
    }
    Ok(statement)
}

/// A row reader: the columns it reads, by position, and the reading.
type Reader<T> = (&'static [&'static str], fn(&Row<'_>) -> rusqlite::Result<T>);

// The row readers below read the columns the sqlx row readers in `rows.rs` read, from the
// same queries, by position (looking each column up by name cost a sixth of an export).

/// A column holding one of the protocol's vocabularies.
fn vocabulary<T: std::str::FromStr<Err = protocol::vocabulary::UnknownValue>>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    text.parse()
        .map_err(|e: protocol::vocabulary::UnknownValue| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// A nullable column holding one of the protocol's vocabularies.
fn optional_vocabulary<T: std::str::FromStr<Err = protocol::vocabulary::UnknownValue>>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    match r.get::<_, Option<String>>(i)? {
        None => Ok(None),
        Some(_) => vocabulary(r, i).map(Some),
    }
}

const AUTHORITY: Reader<Authority> = (
    &["id", "code", "name", "protocol", "police_force", "routing"],
    |r| {
        Ok(Authority {
            id: r.get(0)?,
            code: r.get(1)?,
            name: r.get(2)?,
            protocol: optional_vocabulary(r, 3)?,
            police_force: r.get(4)?,
            routing: r.get(5)?,
        })
    },
);

const CHILD: Reader<Child> = (
    &[
        "id",
        "version",
        "name",
        "dob",
        "facts",
        "created_at",
        "updated_at",
    ],
    |r| {
        Ok(Child {
            id: r.get(0)?,
            version: r.get(1)?,
            name: r.get(2)?,
            dob: r.get(3)?,
            facts: r.get(4)?,
            created_at: r.get(5)?,
            updated_at: r.get(6)?,
        })
    },
);

const PLACEMENT: Reader<Placement> = (
    &[
        "id",
        "child_id",
        "responsible_authority_id",
        "host_authority_id",
        "legal_status",
        "placement_type",
        "police_force",
        "travel_minutes",
        "starts_on",
        "ends_on",
        "change_reason",
    ],
    |r| {
        Ok(Placement {
            id: r.get(0)?,
            child_id: r.get(1)?,
            responsible_authority_id: r.get(2)?,
            host_authority_id: r.get(3)?,
            legal_status: vocabulary(r, 4)?,
            placement_type: vocabulary(r, 5)?,
            police_force: r.get(6)?,
            travel_minutes: r.get(7)?,
            starts_on: r.get(8)?,
            ends_on: r.get(9)?,
            change_reason: r.get(10)?,
        })
    },
);

const EPISODE: Reader<Episode> = (
    &[
        "id",
        "child_id",
        "version",
        "responsible_authority_id",
        "host_authority_id",
        "finder_authority_id",
        "opened_at",
    ],
    |r| {
        Ok(Episode {
            id: r.get(0)?,
            child_id: r.get(1)?,
            version: r.get(2)?,
            responsible_authority_id: r.get(3)?,
            host_authority_id: r.get(4)?,
            finder_authority_id: r.get(5)?,
            opened_at: r.get(6)?,
        })
    },
);

const EVENT: Reader<EventRecord> = (
    &[
        "id",
        "episode_id",
        "at",
        "body",
        "recorded_by",
        "recorded_at",
        "corrects_event_id",
        "correction_reason",
    ],
    |r| {
        Ok(EventRecord {
            id: r.get(0)?,
            episode_id: r.get(1)?,
            at: r.get(2)?,
            body: r.get(3)?,
            recorded_by: r.get(4)?,
            recorded_at: r.get(5)?,
            corrects_event_id: r.get(6)?,
            correction_reason: r.get(7)?,
        })
    },
);
