//! Bulk reads and writes for returns, exports and imports (the `exchange` crate): one snapshot
//! read for a reporting window, and one all-or-nothing transaction for an imported list.

use crate::model::{
    Authority, Child, ChildId, Episode, EpisodeId, EventRecord, Instant, NewEvent, Placement,
};

/// What exports and returns read: every authority, child and placement, and the episodes opened
/// in a window. Their events are not kept here: a collection year holds millions, so each
/// episode's events are handed to an [`EpisodeVisitor`] as they are read and then dropped.
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
}

/// The reads of a snapshot, with the column lists the row readers expect (`episodes` and
/// `events` take the window as `$1, $2`, and so do `children` and `placements` when `scoped`).
/// Each backend runs them its own way: PostgreSQL through sqlx, SQLite through its bulk reader.
pub(crate) struct SnapshotQueries {
    pub(crate) scoped: bool,
    pub(crate) authorities: String,
    pub(crate) children: String,
    pub(crate) placements: String,
    pub(crate) episodes: String,
    /// In the index's order (episode, then ID): that spares the database a sort of millions of
    /// rows and lets each episode go to the visitor as soon as its last event has been read.
    pub(crate) events: String,
}

/// Which children, with their placements, a snapshot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotChildren {
    /// Every child (the SSDA903 return counts looked-after children with no episode too).
    All,
    /// Only children with an episode opened in the window (returns about episodes: a quarter
    /// holds a fifth of the national children).
    WithEpisodes,
}

/// Called once for each episode of a snapshot, in ID order, with its events in recording order
/// (none for an episode without events).
pub type EpisodeVisitor<'a> = &'a mut (dyn FnMut(&Episode, &[EventRecord]) + Send);

/// Gathers a stream of events (in [`SnapshotQueries::events`] order) into episodes for the visitor: each
/// episode of the snapshot is visited once, in ID order, with its own events. Events of an
/// episode the snapshot does not hold (opened after its episodes were read) are skipped.
pub(crate) struct ByEpisode<'e, 'v> {
    episodes: &'e [Episode],
    /// The first episode not yet visited.
    next: usize,
    /// Events of the episode being read.
    batch: Vec<EventRecord>,
    visit: EpisodeVisitor<'v>,
}

impl<'e, 'v> ByEpisode<'e, 'v> {
    pub(crate) fn new(episodes: &'e [Episode], visit: EpisodeVisitor<'v>) -> Self {
        Self {
            episodes,
            next: 0,
            batch: Vec::new(),
            visit,
        }
    }

    /// Takes the next event.
    pub(crate) fn push(&mut self, event: EventRecord) {
        if self
            .batch
            .last()
            .is_some_and(|b| b.episode_id != event.episode_id)
        {
            self.flush();
        }
        self.batch.push(event);
    }

    /// Visits the episode being read, and every episode before it that had no events.
    fn flush(&mut self) {
        let until = self
            .batch
            .first()
            .map_or(EpisodeId(i64::MAX), |e| e.episode_id);
        while let Some(episode) = self.episodes.get(self.next).filter(|e| e.id <= until) {
            self.next += 1;
            if episode.id == until {
                (self.visit)(episode, &self.batch);
            } else {
                (self.visit)(episode, &[]);
            }
        }
        self.batch.clear();
    }

    /// Visits what is left once the stream has ended: the episode being read, then every
    /// episode after it (which had no events).
    pub(crate) fn finish(mut self) {
        self.flush();
        self.flush();
    }
}

/// The events an import adds to one child's file.
#[derive(Clone, Debug)]
pub struct ImportChild {
    /// The child.
    pub child_id: ChildId,
    /// Episodes to add events to (or to open).
    pub episodes: Vec<ImportEpisode>,
    /// When the import runs (obligations are recomputed at this instant).
    pub now: Instant,
}

/// Events for one episode of an import.
#[derive(Clone, Debug)]
pub struct ImportEpisode {
    /// The episode, or none to open a new one under the current placement.
    pub episode_id: Option<EpisodeId>,
    /// When a new episode opened (ignored for an existing one).
    pub opened_at: Instant,
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

/// Implements [`crate::Exchange`] for a store type whose backend provides
/// `exchange_snapshot_sql` (see `sqlite.rs`, `postgres.rs`) and the import's SQL (`import.rs`).
macro_rules! impl_exchange {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::Exchange for $store {
            async fn exchange_snapshot(&self, opened_from: Instant, opened_to: Instant, children: crate::SnapshotChildren, visit: crate::EpisodeVisitor<'_>) -> Result<crate::ExchangeSnapshot> {
                self.exchange_snapshot_sql(opened_from, opened_to, children, visit).await
            }

            async fn import_events(&self, children: &[crate::ImportChild], recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<crate::ImportOutcome> {
                self.import_events_sql(children, recompute, audit).await
            }

            async fn import_candidates(&self, child_ids: &[ChildId], names: &[String], opened_from: Instant) -> Result<crate::ImportCandidates> {
                self.import_candidates_sql(child_ids, names, opened_from).await
            }
        }

        impl $store {
            /// The snapshot's reads, with the column lists the row readers expect.
            fn snapshot_queries(scope: crate::SnapshotChildren) -> crate::exchange::SnapshotQueries {
                let (children, placements) = match scope {
                    crate::SnapshotChildren::All => ("", ""),
                    crate::SnapshotChildren::WithEpisodes => (
                        " WHERE id IN (SELECT child_id FROM episodes WHERE opened_at >= $1 AND opened_at < $2)",
                        " WHERE child_id IN (SELECT child_id FROM episodes WHERE opened_at >= $1 AND opened_at < $2)",
                    ),
                };
                crate::exchange::SnapshotQueries {
                    scoped: scope == crate::SnapshotChildren::WithEpisodes,
                    authorities: format!("{AUTHORITY} ORDER BY id"),
                    children: format!("{CHILD}{children} ORDER BY id"),
                    placements: format!("{PLACEMENT}{placements} ORDER BY child_id, starts_on, id"),
                    episodes: format!("{EPISODE} WHERE opened_at >= $1 AND opened_at < $2 ORDER BY id"),
                    events: format!("{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE opened_at >= $1 AND opened_at < $2) ORDER BY episode_id, id"),
                }
            }
        }
    };
}

pub(crate) use impl_exchange;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::{AuthorityId, EventId, UserId};

    fn episode(id: i64) -> Episode {
        Episode {
            id: EpisodeId(id),
            child_id: ChildId(1),
            version: 1,
            responsible_authority_id: AuthorityId(1),
            host_authority_id: AuthorityId(1),
            finder_authority_id: None,
            opened_at: Instant::EPOCH,
        }
    }

    fn event(id: i64, episode_id: i64) -> EventRecord {
        EventRecord {
            id: EventId(id),
            episode_id: EpisodeId(episode_id),
            at: Instant::EPOCH,
            body: "{}".into(),
            recorded_by: UserId(1),
            recorded_at: Instant::EPOCH,
            corrects_event_id: None,
            correction_reason: None,
        }
    }

    #[test]
    fn every_episode_visited_once_in_order_with_its_own_events() {
        let episodes = [episode(2), episode(3), episode(5), episode(8)];
        let mut seen: Vec<(i64, Vec<i64>)> = Vec::new();
        let mut visit = |e: &Episode, events: &[EventRecord]| {
            seen.push((e.id.0, events.iter().map(|v| v.id.0).collect()));
        };
        let mut by_episode = ByEpisode::new(&episodes, &mut visit);
        // Episode 2 has none, 3 has two, 4 is not in the snapshot (opened after it was read),
        // 5 has one, 8 has none.
        for (id, episode) in [(10, 3), (11, 3), (12, 4), (13, 5)] {
            by_episode.push(event(id, episode));
        }
        by_episode.finish();
        assert_eq!(
            seen,
            vec![(2, vec![]), (3, vec![10, 11]), (5, vec![13]), (8, vec![])]
        );
    }
}
