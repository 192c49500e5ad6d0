//! Bulk reads and writes for returns, exports and imports (the `exchange` crate): one snapshot
//! read for a reporting window, and one all-or-nothing transaction for an imported list.

use crate::model::{Authority, Child, Episode, EventRecord, NewEvent, Placement};

/// What exports and returns read: every authority, child and placement, and the episodes opened
/// in a window with all their events.
#[derive(Clone, Debug, Default)]
pub struct ExchangeSnapshot {
    /// Every authority.
    pub authorities: Vec<Authority>,
    /// Every child, by ID.
    pub children: Vec<Child>,
    /// Every placement, by child then start.
    pub placements: Vec<Placement>,
    /// Episodes opened in the window, by ID.
    pub episodes: Vec<Episode>,
    /// Events of those episodes, by episode then ID (recording order): the index order, which
    /// spares SQLite sorting millions of rows.
    pub events: Vec<EventRecord>,
}

/// The events an import adds to one child's file.
#[derive(Clone, Debug)]
pub struct ImportChild {
    /// The child.
    pub child_id: i64,
    /// Episodes to add events to (or to open).
    pub episodes: Vec<ImportEpisode>,
    /// When the import runs (obligations are recomputed at this instant).
    pub now: i64,
}

/// Events for one episode of an import.
#[derive(Clone, Debug)]
pub struct ImportEpisode {
    /// The episode, or none to open a new one under the current placement.
    pub episode_id: Option<i64>,
    /// When a new episode opened (ignored for an existing one).
    pub opened_at: i64,
    /// Events to append, oldest first.
    pub events: Vec<NewEvent>,
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Episodes opened.
    pub episodes_opened: usize,
    /// Events appended.
    pub events_added: usize,
    /// Children whose obligations were recomputed.
    pub children: usize,
}

/// Expands to the inherent exchange methods of a store, next to [`crate::shared::impl_repository`]
/// (whose row readers and event helpers it reuses).
macro_rules! impl_exchange {
    ($store:ty, $conn:ty) => {
        impl $store {
            async fn exchange_snapshot_sql(&self, opened_from: i64, opened_to: i64) -> Result<crate::ExchangeSnapshot> {
                let mut conn = self.pool.acquire().await?;
                let authorities = sqlx::query(sqlx::AssertSqlSafe(format!("{AUTHORITY} ORDER BY id")))
                    .fetch_all(&mut *conn).await?.iter().map(authority_row).collect::<Result<Vec<_>>>()?;
                let children = sqlx::query(sqlx::AssertSqlSafe(format!("{CHILD} ORDER BY id")))
                    .fetch_all(&mut *conn).await?.iter().map(child_row).collect::<Result<Vec<_>>>()?;
                let placements = sqlx::query(sqlx::AssertSqlSafe(format!("{PLACEMENT} ORDER BY child_id, starts_on, id")))
                    .fetch_all(&mut *conn).await?.iter().map(placement_row).collect::<Result<Vec<_>>>()?;
                let episodes = sqlx::query(sqlx::AssertSqlSafe(format!("{EPISODE} WHERE opened_at >= $1 AND opened_at < $2 ORDER BY id")))
                    .bind(opened_from).bind(opened_to)
                    .fetch_all(&mut *conn).await?.iter().map(episode_row).collect::<Result<Vec<_>>>()?;
                let events = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE opened_at >= $1 AND opened_at < $2) ORDER BY episode_id, id"
                )))
                    .bind(opened_from).bind(opened_to)
                    .fetch_all(&mut *conn).await?.iter().map(event_row).collect::<Result<Vec<_>>>()?;
                Ok(crate::ExchangeSnapshot { authorities, children, placements, episodes, events })
            }
        }
    };
}

pub(crate) use impl_exchange;
