//! Bulk imports (the police daily list): a narrow read of what matching rows to children and
//! episodes needs, and one all-or-nothing transaction that writes a whole list with a few
//! statements per table instead of a few per row.
//!
//! A statement costs a round trip to the database (a thread hop for SQLite, a network trip for
//! PostgreSQL), which dominated the per-row path, so every step here works on chunks of rows:
//! multi-row `INSERT`s, `IN (…)` lists, and one file load per chunk of children evaluated in
//! memory (on every core).

use rayon::prelude::*;

use crate::model::{ChildFile, Episode, EventRecord, NewObligation};
use crate::{Recompute, StoreError};

/// A child as matching sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildKey {
    /// Child ID.
    pub id: i64,
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

    /// Parameters `first, first+1, …` for `n` values: an `IN (…)` list.
    pub(crate) fn list(self, first: usize, n: usize) -> String {
        (first..first + n)
            .map(|i| self.param(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `(…), (…), …`: `rows` rows of `columns` parameters from `first`, for a multi-row
    /// `VALUES`.
    pub(crate) fn values(self, first: usize, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|r| format!("({})", self.list(first + r * columns, columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Parameters per statement: enough that a list of thousands takes a few round trips to the
/// database (each a thread hop for SQLite, a network trip for PostgreSQL), well within both
/// backends' limits (32,766 and 65,535).
const PARAMS: usize = 3000;

/// Rows per multi-row statement of `columns` parameters each.
pub(crate) const fn rows_per(columns: usize) -> usize {
    PARAMS / columns
}

/// Each file's obligations as `recompute` gives them, with the file's child, in the files'
/// order. Files are independent, so they are evaluated on every core (the caller's thread
/// waits: only the command-line import calls this, and the database is idle meanwhile).
pub(crate) fn evaluate(
    files: &[ChildFile],
    recompute: Recompute<'_>,
) -> Result<Vec<(i64, NewObligation)>, StoreError> {
    let per_file: Vec<Vec<NewObligation>> = files
        .par_iter()
        .map(|file| recompute(file).map_err(StoreError::Evaluation))
        .collect::<Result<_, _>>()?;
    Ok(files
        .iter()
        .zip(per_file)
        .flat_map(|(file, obligations)| obligations.into_iter().map(|o| (file.child.id, o)))
        .collect())
}

/// Expands to the inherent import methods of a store, next to [`crate::shared::impl_repository`]
/// (whose row readers and audit chain it reuses).
macro_rules! impl_import {
    ($store:ty, $conn:ty, $placeholders:expr) => {
        use crate::import::{ChildKey, ImportCandidates, Placeholders, rows_per};

        /// How this backend's statements name their parameters.
        const PH: Placeholders = $placeholders;

        /// Appends audit rows inside the caller's transaction: the chain head is locked and
        /// read once, the hashes are chained in memory, and the rows go in with multi-row
        /// inserts (the same chain [`append_audit`] extends one row at a time).
        async fn append_audits(conn: &mut $conn, entries: &[AuditEntry]) -> Result<()> {
            if entries.is_empty() {
                return Ok(());
            }
            sqlx::query("UPDATE audit_head SET last_id = last_id WHERE only_row = 1").execute(&mut *conn).await?;
            let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE only_row = 1").fetch_one(&mut *conn).await?;
            let (mut last_id, mut last_hash): (i64, String) = (head.try_get("last_id")?, head.try_get("last_hash")?);
            let mut rows = Vec::with_capacity(entries.len());
            for e in entries {
                let id = last_id + 1;
                let hash = row_hash(id, &last_hash, e);
                rows.push((id, e, std::mem::replace(&mut last_hash, hash.clone()), hash));
                last_id = id;
            }
            for chunk in rows.chunks(rows_per(10)) {
                let sql = format!(
                    "INSERT INTO audit_log (id, at, user_id, action, entity, entity_id, child_id, remote_addr, prev_hash, hash) VALUES {}",
                    PH.values(1, chunk.len(), 10)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, e, prev, hash) in chunk {
                    q = q.bind(*id).bind(e.at).bind(e.user_id).bind(&e.action).bind(&e.entity)
                        .bind(e.entity_id).bind(e.child_id).bind(&e.remote_addr).bind(prev).bind(hash);
                }
                q.execute(&mut *conn).await?;
            }
            sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE only_row = 1")
                .bind(last_id)
                .bind(&last_hash)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// The files of up to [`rows_per`]`(1)` children, as [`load_child_file`] reads one,
        /// with one query per table; `authorities` are every authority by ID. Every child must
        /// exist.
        async fn load_child_files(
            conn: &mut $conn,
            chunk: &[i64],
            authorities: &std::collections::HashMap<i64, Authority>,
        ) -> Result<Vec<ChildFile>> {
            let mut files = Vec::with_capacity(chunk.len());
            let list = PH.list(1, chunk.len());
            let bind_all = |sql: String| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(*id);
                }
                q
            };
            let mut children: std::collections::HashMap<i64, Child> = bind_all(format!("{CHILD} WHERE id IN ({list})"))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| child_row(r).map(|c| (c.id, c)))
                .collect::<Result<_>>()?;
            let placements = bind_all(format!("{PLACEMENT} WHERE child_id IN ({list}) ORDER BY child_id, id"))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(placement_row)
                .collect::<Result<Vec<_>>>()?;
            let episodes = bind_all(format!("{EPISODE} WHERE child_id IN ({list}) ORDER BY id"))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(episode_row)
                .collect::<Result<Vec<_>>>()?;
            let events = bind_all(format!(
                "{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE child_id IN ({list})) ORDER BY id"
            ))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(event_row)
            .collect::<Result<Vec<_>>>()?;
            let mut by_child: std::collections::HashMap<i64, ChildFile> = std::collections::HashMap::with_capacity(chunk.len());
            for id in chunk {
                let child = children.remove(id).ok_or(StoreError::NotFound)?;
                by_child.insert(*id, ChildFile { child, placement: None, episodes: Vec::new(), events: Vec::new(), authorities: Vec::new() });
            }
            // Authorities referred to by any placement or episode, as load_child_file reads them.
            let mut referred: std::collections::HashMap<i64, std::collections::BTreeSet<i64>> = std::collections::HashMap::new();
            for p in placements {
                referred.entry(p.child_id).or_default().extend([p.responsible_authority_id, p.host_authority_id]);
                if let Some(f) = by_child.get_mut(&p.child_id)
                    && p.ends_on.is_none()
                {
                    // Ordered by ID: the last open placement is the current one.
                    f.placement = Some(p);
                }
            }
            let mut child_of = std::collections::HashMap::with_capacity(episodes.len());
            for e in episodes {
                referred.entry(e.child_id).or_default().extend([Some(e.responsible_authority_id), Some(e.host_authority_id), e.finder_authority_id].into_iter().flatten());
                child_of.insert(e.id, e.child_id);
                if let Some(f) = by_child.get_mut(&e.child_id) {
                    f.episodes.push(e);
                }
            }
            for e in events {
                if let Some(f) = child_of.get(&e.episode_id).and_then(|c| by_child.get_mut(c)) {
                    f.events.push(e);
                }
            }
            for id in chunk {
                let mut file = by_child.remove(id).ok_or(StoreError::NotFound)?;
                file.authorities = referred
                    .get(id)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| authorities.get(a).cloned())
                    .collect();
                files.push(file);
            }
            Ok(files)
        }

        /// Replaces the obligations of many children with `recompute`'s answers for their
        /// files, and schedules each for the scheduler to look at again `now` (what
        /// [`replace_obligations`] does for one child).
        async fn replace_obligations_of(conn: &mut $conn, child_ids: &[i64], now: i64, recompute: Recompute<'_>) -> Result<()> {
            let authorities: std::collections::HashMap<i64, Authority> =
                sqlx::query(sqlx::AssertSqlSafe(format!("{AUTHORITY} ORDER BY id")))
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(|r| authority_row(r).map(|a| (a.id, a)))
                    .collect::<Result<_>>()?;
            // A chunk of children at a time, so only a chunk of files is ever held.
            for chunk in child_ids.chunks(rows_per(1)) {
                let files = load_child_files(conn, chunk, &authorities).await?;
                let computed = crate::import::evaluate(&files, recompute)?;
                replace_chunk(conn, chunk, &computed, now).await?;
            }
            Ok(())
        }

        /// Makes the stored obligations of a chunk of children exactly `computed`, all computed
        /// at `now`, and schedules the children for `now`. A stored obligation the engine still
        /// gives is kept and re-stamped rather than deleted and inserted again: on a table of
        /// millions of rows each insert and delete updates two indexes at random places, and
        /// most of a child's obligations (those of its earlier episodes) do not change when a
        /// report is added.
        async fn replace_chunk(conn: &mut $conn, chunk: &[i64], computed: &[(i64, NewObligation)], now: i64) -> Result<()> {
            let sql = format!("{OBLIGATION} WHERE child_id IN ({})", PH.list(1, chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            let stored = q.fetch_all(&mut *conn).await?.iter().map(obligation_row).collect::<Result<Vec<_>>>()?;
            let mut unmatched: std::collections::HashMap<_, Vec<i64>> = std::collections::HashMap::new();
            for o in &stored {
                let key = (o.child_id, o.episode_id, o.authority_id, o.rule.as_str(), o.share.as_deref(), o.owner_role.as_str(), o.action.as_str(), o.citation.as_str(), o.activation, o.due);
                unmatched.entry(key).or_default().push(o.id);
            }
            let mut new = Vec::new();
            for (child_id, o) in computed {
                let key = (*child_id, o.episode_id, o.authority_id, o.rule.as_str(), o.share.as_deref(), o.owner_role.as_str(), o.action.as_str(), o.citation.as_str(), o.activation, o.due);
                if unmatched.get_mut(&key).and_then(Vec::pop).is_none() {
                    new.push((*child_id, o));
                }
            }
            let stale: Vec<i64> = unmatched.into_values().flatten().collect();
            for ids in stale.chunks(rows_per(1)) {
                let sql = format!("DELETE FROM obligations WHERE id IN ({})", PH.list(1, ids.len()));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in ids {
                    q = q.bind(*id);
                }
                q.execute(&mut *conn).await?;
            }
            let sql = format!("UPDATE obligations SET computed_at = {} WHERE child_id IN ({})", PH.param(1), PH.list(2, chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await?;
            for chunk in chunk.chunks(rows_per(2)) {
                let sql = format!(
                    "INSERT INTO child_schedule (child_id, next_check) VALUES {} \
                     ON CONFLICT (child_id) DO UPDATE SET next_check = excluded.next_check",
                    PH.values(1, chunk.len(), 2)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(*id).bind(now);
                }
                q.execute(&mut *conn).await?;
            }
            for chunk in new.chunks(rows_per(11)) {
                let sql = format!(
                    "INSERT INTO obligations (episode_id, child_id, authority_id, rule, share, owner_role, action, citation, activation, due, computed_at) VALUES {}",
                    PH.values(1, chunk.len(), 11)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (child_id, o) in chunk {
                    q = q.bind(o.episode_id).bind(*child_id).bind(o.authority_id).bind(&o.rule).bind(&o.share)
                        .bind(&o.owner_role).bind(&o.action).bind(&o.citation).bind(o.activation).bind(o.due).bind(now);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(())
        }

        impl $store {
            async fn import_candidates_sql(&self, child_ids: &[i64], names: &[String], opened_from: i64) -> Result<ImportCandidates> {
                let mut conn = self.pool.acquire().await?;
                let mut children = std::collections::BTreeMap::new();
                let lookups = child_ids.chunks(rows_per(1)).map(|c| ("id", c.iter().map(|id| Key::Id(*id)).collect::<Vec<_>>()))
                    .chain(names.chunks(rows_per(1)).map(|c| ("name", c.iter().map(|n| Key::Name(n.as_str())).collect())));
                enum Key<'a> { Id(i64), Name(&'a str) }
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
                let ids: Vec<i64> = children.keys().copied().collect();
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
                recompute: Recompute<'_>,
                audit: &AuditEntry,
            ) -> Result<crate::ImportOutcome> {
                let mut tx = self.begin_write().await?;
                let mut outcome = crate::ImportOutcome::default();

                // Existing episodes: each is bumped one version per event, as appending one
                // event at a time would, and must belong to the child it is listed under.
                let mut bumps: std::collections::BTreeMap<i64, Vec<(i64, i64)>> = std::collections::BTreeMap::new();
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
                        let found: std::collections::HashMap<i64, i64> = q
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
                let opening: Vec<i64> = children.iter().filter(|c| c.episodes.iter().any(|e| e.episode_id.is_none())).map(|c| c.child_id).collect();
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
                        current.insert(r.try_get::<i64, _>("child_id")?, (r.try_get::<i64, _>("responsible_authority_id")?, r.try_get::<i64, _>("host_authority_id")?));
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
                let mut opened: std::collections::HashMap<(i64, i64, i64), Vec<i64>> = std::collections::HashMap::new();
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
                                    .bind(corrected)
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
                let mut by_now: std::collections::BTreeMap<i64, std::collections::BTreeSet<i64>> = std::collections::BTreeMap::new();
                for c in children {
                    by_now.entry(c.now).or_default().insert(c.child_id);
                }
                for (now, ids) in by_now {
                    let ids: Vec<i64> = ids.into_iter().collect();
                    replace_obligations_of(&mut tx, &ids, now, recompute).await?;
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
