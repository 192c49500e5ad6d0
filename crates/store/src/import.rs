//! Bulk imports (the police daily list): a narrow read of what matching rows to children and
//! episodes needs, and one all-or-nothing transaction that writes a whole list with a few
//! statements per table instead of a few per row.
//!
//! A statement costs a round trip to the database (a thread hop for SQLite, a network trip for
//! PostgreSQL), which dominated the per-row path, so every step here works on chunks of rows:
//! multi-row `INSERT`s, `IN (…)` lists, and one file load per chunk of children evaluated in
//! memory (on every core).

use crate::model::{ChildId, Episode, EventRecord};

/// A child as matching sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildKey {
    /// Child ID.
    pub id: ChildId,
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub dob: String,
}

/// What matching an imported list needs: the children it may name and their episodes opened
/// since a given instant with those episodes' events.
#[derive(Clone, Debug, Default)]
pub struct ImportCandidates {
    /// Children asked for by ID or by name (each once, by ID).
    pub children: Vec<ChildKey>,
    /// Their episodes opened since the instant asked for, by ID.
    pub episodes: Vec<Episode>,
    /// Events of those episodes, by episode then ID (recording order).
    pub events: Vec<EventRecord>,
}

/// How a backend's SQL names bound parameters in the statements built here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …`, bound in the order they appear (SQLite). sqlx binds a numbered parameter by
    /// asking SQLite for its name, which SQLite finds by scanning the statement's list of
    /// names, so binding a statement of n numbered parameters cost n²: at a few thousand per
    /// statement that was most of an import. Anonymous ones have no names to scan.
    Anonymous,
}

impl Placeholders {
    /// The `i`-th parameter (from 1); statements built here bind in that order.
    pub(crate) fn param(self, i: usize) -> String {
        match self {
            Placeholders::Numbered => format!("${i}"),
            Placeholders::Anonymous => "?".into(),
        }
    }
}

/// Expands to the inherent import methods of a store (after [`crate::rows::impl_rows!`] and
/// [`crate::write::impl_write!`], whose readers, audit chain and plan writer it reuses).
macro_rules! impl_import {
    ($store:ty) => {
        use crate::import::{ChildKey, ImportCandidates};

        impl $store {
            async fn import_candidates_sql(&self, child_ids: &[ChildId], names: &[String], opened_from: Instant) -> Result<ImportCandidates> {
                let mut conn = self.pool.acquire().await?;
                let mut children = std::collections::BTreeMap::new();
                let lookups = child_ids.chunks(rows_per(1)).map(|c| ("id", c.iter().map(|id| Key::Id(*id)).collect::<Vec<_>>()))
                    .chain(names.chunks(rows_per(1)).map(|c| ("name", c.iter().map(|n| Key::Name(n.as_str())).collect())));
                enum Key<'a> { Id(ChildId), Name(&'a str) }
                for (column, keys) in lookups {
                    let sql = format!("SELECT id, name, dob FROM children WHERE {column} IN ({})", PH.list(1, keys.len()));
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for k in keys {
                        q = match k {
                            Key::Id(id) => q.bind(id),
                            Key::Name(n) => q.bind(n),
                        };
                    }
                    for r in q.fetch_all(&mut *conn).await? {
                        let c = ChildKey { id: r.try_get("id")?, name: r.try_get("name")?, dob: r.try_get("dob")? };
                        children.insert(c.id, c);
                    }
                }
                let ids: Vec<ChildId> = children.keys().copied().collect();
                let (mut episodes, mut events) = (Vec::new(), Vec::new());
                for chunk in ids.chunks(rows_per(1) - 1) {
                    let (from, list) = (PH.param(1), PH.list(2, chunk.len()));
                    let bind_all = |sql: String| {
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(opened_from);
                        for id in chunk {
                            q = q.bind(*id);
                        }
                        q
                    };
                    for r in bind_all(format!("{EPISODE} WHERE opened_at >= {from} AND child_id IN ({list})")).fetch_all(&mut *conn).await? {
                        episodes.push(episode_row(&r)?);
                    }
                    for r in bind_all(format!(
                        "{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE opened_at >= {from} AND child_id IN ({list}))"
                    ))
                    .fetch_all(&mut *conn)
                    .await?
                    {
                        events.push(event_row(&r)?);
                    }
                }
                episodes.sort_by_key(|e: &Episode| e.id);
                events.sort_by_key(|e: &EventRecord| (e.episode_id, e.id));
                Ok(ImportCandidates { children: children.into_values().collect(), episodes, events })
            }

            async fn import_events_sql(
                &self,
                children: &[crate::ImportChild],
                recompute: crate::Recompute<'_>,
                audit: &AuditEntry,
            ) -> Result<crate::ImportOutcome> {
                let mut tx = self.begin_write().await?;
                let mut outcome = crate::ImportOutcome::default();

                // Existing episodes: each is bumped one version per event, as appending one
                // event at a time would, and must belong to the child it is listed under.
                let mut bumps: std::collections::BTreeMap<i64, Vec<(EpisodeId, ChildId)>> = std::collections::BTreeMap::new();
                for c in children {
                    for e in &c.episodes {
                        if let Some(id) = e.episode_id {
                            bumps.entry(e.events.len() as i64).or_default().push((id, c.child_id));
                        }
                    }
                }
                for (n, episodes) in &bumps {
                    for chunk in episodes.chunks(rows_per(1) - 1) {
                        let sql = format!("UPDATE episodes SET version = version + {} WHERE id IN ({}) RETURNING id, child_id", PH.param(1), PH.list(2, chunk.len()));
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(*n);
                        for (id, _) in chunk {
                            q = q.bind(*id);
                        }
                        let found: std::collections::HashMap<EpisodeId, ChildId> = q
                            .fetch_all(&mut *tx)
                            .await?
                            .iter()
                            .map(|r| Ok((r.try_get("id")?, r.try_get("child_id")?)))
                            .collect::<Result<_>>()?;
                        for (id, child_id) in chunk {
                            match found.get(id) {
                                None => return Err(StoreError::NotFound),
                                Some(owner) if owner != child_id => {
                                    return Err(StoreError::Constraint(format!("episode {id} is not an episode of child {child_id}")));
                                }
                                Some(_) => {}
                            }
                        }
                    }
                }

                // New episodes open under each child's current placement.
                let opening: Vec<ChildId> = children.iter().filter(|c| c.episodes.iter().any(|e| e.episode_id.is_none())).map(|c| c.child_id).collect();
                let mut current = std::collections::HashMap::with_capacity(opening.len());
                for chunk in opening.chunks(rows_per(1)) {
                    let sql = format!(
                        "SELECT child_id, responsible_authority_id, host_authority_id FROM placements WHERE child_id IN ({}) AND ends_on IS NULL ORDER BY child_id, id",
                        PH.list(1, chunk.len())
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for r in q.fetch_all(&mut *tx).await? {
                        // Ordered by ID: the last open placement wins.
                        current.insert(r.try_get::<ChildId, _>("child_id")?, (r.try_get::<AuthorityId, _>("responsible_authority_id")?, r.try_get::<AuthorityId, _>("host_authority_id")?));
                    }
                }
                let mut new_episodes = Vec::new();
                for c in children {
                    for e in c.episodes.iter().filter(|e| e.episode_id.is_none()) {
                        let (responsible, host) = *current.get(&c.child_id).ok_or(StoreError::NotFound)?;
                        new_episodes.push((c.child_id, e, responsible, host));
                    }
                }
                // Rows that differ only by ID are interchangeable, so new IDs are handed back
                // by (child, opened, version) whatever order RETURNING gives them in.
                let mut opened: std::collections::HashMap<(ChildId, Instant, i64), Vec<EpisodeId>> = std::collections::HashMap::new();
                for chunk in new_episodes.chunks(rows_per(5)) {
                    let sql = format!(
                        "INSERT INTO episodes (child_id, version, responsible_authority_id, host_authority_id, opened_at) VALUES {} RETURNING id, child_id, opened_at, version",
                        PH.values(1, chunk.len(), 5)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (child_id, e, responsible, host) in chunk {
                        q = q.bind(*child_id).bind(1 + e.events.len() as i64).bind(*responsible).bind(*host).bind(e.opened_at);
                    }
                    for r in q.fetch_all(&mut *tx).await? {
                        opened.entry((r.try_get("child_id")?, r.try_get("opened_at")?, r.try_get("version")?)).or_default().push(r.try_get("id")?);
                    }
                    outcome.episodes_opened += chunk.len();
                }

                // Events, in the order given (so IDs follow recording order).
                let mut events = Vec::new();
                for c in children {
                    for e in &c.episodes {
                        let episode_id = match e.episode_id {
                            Some(id) => id,
                            None => opened
                                .get_mut(&(c.child_id, e.opened_at, 1 + e.events.len() as i64))
                                .and_then(Vec::pop)
                                .ok_or(StoreError::NotFound)?,
                        };
                        for event in &e.events {
                            if let Some((corrected, _)) = &event.correction {
                                let found = sqlx::query("SELECT id FROM events WHERE id = $1 AND episode_id = $2")
                                    .bind(*corrected)
                                    .bind(episode_id)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                if found.is_none() {
                                    return Err(StoreError::Constraint(format!("event {corrected} is not an event of episode {episode_id}")));
                                }
                            }
                            events.push((episode_id, event));
                        }
                    }
                }
                for chunk in events.chunks(rows_per(7)) {
                    let sql = format!(
                        "INSERT INTO events (episode_id, at, body, recorded_by, recorded_at, corrects_event_id, correction_reason) VALUES {}",
                        PH.values(1, chunk.len(), 7)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (episode_id, e) in chunk {
                        q = q.bind(*episode_id).bind(e.at).bind(&e.body).bind(e.recorded_by).bind(e.recorded_at)
                            .bind(e.correction.as_ref().map(|c| c.0)).bind(e.correction.as_ref().map(|c| c.1.clone()));
                    }
                    q.execute(&mut *tx).await?;
                }
                outcome.events_added = events.len();

                // One audit row per child written: the events it covers are those of the
                // child's episodes recorded at the row's instant by its user.
                let entries: Vec<AuditEntry> = children
                    .iter()
                    .filter(|c| c.episodes.iter().any(|e| e.episode_id.is_none() || !e.events.is_empty()))
                    .map(|c| AuditEntry { child_id: Some(c.child_id), ..audit.clone() })
                    .collect();
                append_audits(&mut tx, &entries).await?;

                // Obligations, grouped by the instant they are computed at.
                let mut by_now: std::collections::BTreeMap<Instant, std::collections::BTreeSet<ChildId>> = std::collections::BTreeMap::new();
                for c in children {
                    by_now.entry(c.now).or_default().insert(c.child_id);
                }
                for (now, ids) in by_now {
                    let ids: Vec<ChildId> = ids.into_iter().collect();
                    recompute_children(&mut tx, &ids, now, recompute).await?;
                    outcome.children += ids.len();
                }
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(outcome)
            }
        }
    };
}

pub(crate) use impl_import;
