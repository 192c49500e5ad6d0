//! The one read on SQLite that does not go through sqlx: the snapshot returns and exports read
//! (on the national data, 300,000 children and placements, 600,000 episodes and 4.3 million
//! events for a collection year). sqlx hands each row from its connection thread to the caller
//! on its own, copying every value and waking the caller for each; that was most of an export's
//! time (BENCHMARKS.md). Here a read-only rusqlite connection on a blocking thread reads the rows
//! in one transaction (one consistent view of the file) and hands the events over in batches,
//! so the two threads wake each other once per batch and work side by side.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Row};
use tokio::sync::mpsc;

use crate::exchange::{ByEpisode, SnapshotQueries, WINDOW_EVENTS};
use crate::{
    Authority, Child, Episode, EpisodeVisitor, EventRecord, ExchangeSnapshot, Placement, Result,
    StoreError,
};

/// Events per hand-over.
const BATCH: usize = 4096;

/// The most of the file mapped into memory (SQLite's own ceiling is 2 GiB).
const MMAP_BYTES: i64 = 1 << 31;

/// What the reading thread hands over: the records first, then the events.
enum Part {
    Records(ExchangeSnapshot),
    Events(Vec<EventRecord>),
}

/// Reads the snapshot of the window `[opened_from, opened_to)`, each episode handed to the
/// visitor with its events.
pub(crate) async fn snapshot(
    path: &Path,
    queries: SnapshotQueries,
    opened_from: i64,
    opened_to: i64,
    visit: EpisodeVisitor<'_>,
) -> Result<ExchangeSnapshot> {
    let (tx, mut rx) = mpsc::channel(4);
    let path = path.to_path_buf();
    let reader =
        tokio::task::spawn_blocking(move || read(&path, &queries, opened_from, opened_to, &tx));
    let mut records = None;
    if let Some(Part::Records(r)) = rx.recv().await {
        let mut by_episode = ByEpisode::new(&r.episodes, visit);
        while let Some(Part::Events(batch)) = rx.recv().await {
            for event in batch {
                by_episode.push(event);
            }
        }
        by_episode.finish();
        records = Some(r);
    }
    // A join error means the reading thread panicked.
    reader
        .await
        .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?
        .map_err(StoreError::BulkRead)?;
    records.ok_or(StoreError::Database(sqlx::Error::WorkerCrashed))
}

/// Reads the rows on the blocking thread; stops early if the receiver has gone (it has then
/// failed already).
fn read(
    path: &Path,
    q: &SnapshotQueries,
    opened_from: i64,
    opened_to: i64,
    tx: &mpsc::Sender<Part>,
) -> rusqlite::Result<()> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Pages through a memory map rather than a system call each.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    let read = conn.transaction()?;
    let window = [opened_from, opened_to];
    let records = ExchangeSnapshot {
        authorities: all(&read, &q.authorities, [], authority)?,
        children: all(&read, &q.children, [], child)?,
        placements: all(&read, &q.placements, [], placement)?,
        episodes: all(&read, &q.episodes, window, episode)?,
    };
    if tx.blocking_send(Part::Records(records)).is_err() {
        return Ok(());
    }
    let mut statement = read.prepare(WINDOW_EVENTS)?;
    let mut rows = statement.query(window)?;
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(r) = rows.next()? {
        batch.push(event(r)?);
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
    map: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare(sql)?.query_map(params, map)?.collect()
}

// The row readers below read the columns the sqlx row readers in `shared.rs` read, by the same
// names, from the same queries.

fn authority(r: &Row<'_>) -> rusqlite::Result<Authority> {
    Ok(Authority {
        id: r.get("id")?,
        code: r.get("code")?,
        name: r.get("name")?,
        protocol: r.get("protocol")?,
        police_force: r.get("police_force")?,
        routing: r.get("routing")?,
    })
}

fn child(r: &Row<'_>) -> rusqlite::Result<Child> {
    Ok(Child {
        id: r.get("id")?,
        version: r.get("version")?,
        name: r.get("name")?,
        dob: r.get("dob")?,
        facts: r.get("facts")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

fn placement(r: &Row<'_>) -> rusqlite::Result<Placement> {
    Ok(Placement {
        id: r.get("id")?,
        child_id: r.get("child_id")?,
        responsible_authority_id: r.get("responsible_authority_id")?,
        host_authority_id: r.get("host_authority_id")?,
        legal_status: r.get("legal_status")?,
        placement_type: r.get("placement_type")?,
        police_force: r.get("police_force")?,
        travel_minutes: r.get("travel_minutes")?,
        starts_on: r.get("starts_on")?,
        ends_on: r.get("ends_on")?,
        change_reason: r.get("change_reason")?,
    })
}

fn episode(r: &Row<'_>) -> rusqlite::Result<Episode> {
    Ok(Episode {
        id: r.get("id")?,
        child_id: r.get("child_id")?,
        version: r.get("version")?,
        responsible_authority_id: r.get("responsible_authority_id")?,
        host_authority_id: r.get("host_authority_id")?,
        finder_authority_id: r.get("finder_authority_id")?,
        opened_at: r.get("opened_at")?,
        closed_at: r.get("closed_at")?,
    })
}

fn event(r: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        id: r.get("id")?,
        episode_id: r.get("episode_id")?,
        at: r.get("at")?,
        body: r.get("body")?,
        recorded_by: r.get("recorded_by")?,
        recorded_at: r.get("recorded_at")?,
        corrects_event_id: r.get("corrects_event_id")?,
        correction_reason: r.get("correction_reason")?,
    })
}
