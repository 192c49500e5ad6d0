//! What every capability's SQL shares, expanded once per backend by [`impl_rows!`]: the column
//! lists and row readers of each record, the audit chain's append, and loading child files
//! (one, or a chunk in a few statements).

use crate::import::Placeholders;

/// Most parameters bound in one statement (SQLite's limit is 32,766, PostgreSQL's 65,535).
const PARAMS: usize = 3000;

/// Rows of `columns` columns that fit in one statement.
pub(crate) const fn rows_per(columns: usize) -> usize {
    PARAMS / columns
}

/// The comma-separated IDs of the children a list showed (the audit row's `children`).
pub(crate) fn child_list(children: &[crate::ChildId]) -> String {
    children
        .iter()
        .map(|c| c.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A flag stored as 0 or 1 (or given as a JSON boolean), for records read from JSON.
pub(crate) fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Int(n) => n != 0,
    })
}

/// How a backend builds JSON in SQL: an object of `(key, expression)` pairs, and the array of
/// an expression over a query's rows in an order (an empty array for none).
#[derive(Clone, Copy)]
pub(crate) struct JsonSql {
    /// `json_object` or `json_build_object`.
    object: &'static str,
    /// Whether the aggregate of no rows is NULL (PostgreSQL's `json_agg`) rather than `[]`.
    agg_of_none_is_null: bool,
    /// `json_group_array` or `json_agg`.
    agg: &'static str,
    /// `json_array` or `json_build_array`.
    array: &'static str,
    /// Whether a JSON value must be cast to be read as text (PostgreSQL's `json` type).
    cast_to_text: bool,
}

impl JsonSql {
    /// SQLite's JSON functions.
    pub(crate) const SQLITE: JsonSql = JsonSql {
        object: "json_object",
        agg_of_none_is_null: false,
        agg: "json_group_array",
        array: "json_array",
        cast_to_text: false,
    };
    /// PostgreSQL's.
    pub(crate) const POSTGRES: JsonSql = JsonSql {
        object: "json_build_object",
        agg_of_none_is_null: true,
        agg: "json_agg",
        array: "json_build_array",
        cast_to_text: true,
    };

    /// A JSON object of these keys and SQL expressions.
    pub(crate) fn object(self, pairs: &[(&str, &str)]) -> String {
        let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
        format!("{}({})", self.object, inner.join(", "))
    }

    /// The JSON array of `value` over the rows of `FROM …` (`from_where`), in `order`.
    pub(crate) fn array(self, value: &str, from_where: &str, order: &str) -> String {
        let agg = format!("{}({value} ORDER BY {order})", self.agg);
        if self.agg_of_none_is_null {
            format!("(SELECT COALESCE({agg}, '[]'::json) FROM {from_where})")
        } else {
            format!("(SELECT {agg} FROM {from_where})")
        }
    }

    /// A JSON array of these SQL expressions.
    pub(crate) fn array_of(self, values: &[&str]) -> String {
        format!("{}({})", self.array, values.join(", "))
    }

    /// A JSON value as text.
    pub(crate) fn text(self, value: &str) -> String {
        if self.cast_to_text {
            format!("({value})::text")
        } else {
            value.to_owned()
        }
    }

    /// The columns of a table (aliased `alias`) as a JSON object of the same names.
    pub(crate) fn columns(self, alias: &str, columns: &[&str]) -> String {
        let pairs: Vec<(String, String)> = columns
            .iter()
            .map(|c| ((*c).to_owned(), format!("{alias}.{c}")))
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.object(&refs)
    }
}

/// Reads [`child_list`]'s text back.
pub(crate) fn parse_child_list(text: &str) -> crate::Result<Vec<crate::ChildId>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| crate::StoreError::Corrupt(format!("audit children `{text}`")))
        })
        .collect()
}

impl Placeholders {
    /// An `IN (…)` list of `n` parameters from `first`.
    pub(crate) fn list(self, first: usize, n: usize) -> String {
        (first..first + n)
            .map(|i| self.param(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `rows` parenthesised tuples of `columns` parameters from `first`, for a multi-row insert.
    pub(crate) fn values(self, first: usize, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|r| format!("({})", self.list(first + r * columns, columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Expands the shared readers and helpers for a connection type and placeholder style.
macro_rules! impl_rows {
    ($conn:ty, $placeholders:expr) => {
        use sqlx::Row as _;

        #[allow(unused_imports)]
        use crate::audit::row_hash;
        #[allow(unused_imports)]
        use crate::import::Placeholders;
        use crate::model::*;
        #[allow(unused_imports)]
        use crate::rows::rows_per;
        use crate::{Result, StoreError};

        type Row = <<$conn as sqlx::Connection>::Database as sqlx::Database>::Row;

        /// How this backend writes parameters in generated multi-row statements.
        const PH: Placeholders = $placeholders;

        const CHILD: &str = "SELECT id, version, name, dob, facts, created_at, updated_at FROM children";
        const PLACEMENT: &str = "SELECT id, child_id, responsible_authority_id, host_authority_id, legal_status, placement_type, police_force, travel_minutes, starts_on, ends_on, change_reason FROM placements";
        const EPISODE: &str = "SELECT id, child_id, version, responsible_authority_id, host_authority_id, finder_authority_id, opened_at FROM episodes";
        const EVENT: &str = "SELECT id, episode_id, at, body, recorded_by, recorded_at, corrects_event_id, correction_reason FROM events";
        const OBLIGATION_COLUMNS: &str = "o.id, o.episode_id, o.child_id, o.authority_id, o.rule, o.share, o.owner_role, o.action, o.citation, o.activation, o.due, o.computed_at, o.met_at, o.ended, o.ended_at";
        const USER: &str = "SELECT id, username, display_name, role, authority_id, password_hash, active FROM users";
        const AUTHORITY: &str = "SELECT id, code, name, protocol, police_force, routing FROM authorities";
        const DOCUMENT_COLUMNS: &str = "id, child_id, kind, version, body, recorded_by, recorded_at";
        const INTERVIEW_COLUMNS: &str = "id, episode_id, event_id, version, outcome, at, interviewer, mode, push_factors, pull_factors, disclosures, signed_off_by, signed_off_at";
        const ACTION_COLUMNS: &str = "id, meeting_id, description, owner, due_at, done_at";

        fn vocabulary<T: std::str::FromStr<Err = protocol::vocabulary::UnknownValue>>(r: &Row, column: &str) -> Result<T> {
            crate::enums::vocabulary(r.try_get::<&str, _>(column)?)
        }

        fn optional_vocabulary<T: std::str::FromStr<Err = protocol::vocabulary::UnknownValue>>(r: &Row, column: &str) -> Result<Option<T>> {
            match r.try_get::<Option<&str>, _>(column)? {
                None | Some("") => Ok(None),
                Some(s) => crate::enums::vocabulary(s).map(Some),
            }
        }

        fn authority_row(r: &Row) -> Result<Authority> {
            Ok(Authority {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                protocol: optional_vocabulary(r, "protocol")?,
                police_force: r.try_get("police_force")?,
                routing: r.try_get("routing")?,
            })
        }

        fn document_row(r: &Row) -> Result<Document> {
            Ok(Document {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                kind: r.try_get("kind")?,
                version: r.try_get("version")?,
                body: r.try_get("body")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        }

        fn user_row(r: &Row) -> Result<User> {
            Ok(User {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                role: r.try_get("role")?,
                authority_id: r.try_get("authority_id")?,
                password_hash: r.try_get("password_hash")?,
                active: r.try_get::<i64, _>("active")? != 0,
            })
        }

        fn child_row(r: &Row) -> Result<Child> {
            Ok(Child {
                id: r.try_get("id")?,
                version: r.try_get("version")?,
                name: r.try_get("name")?,
                dob: r.try_get("dob")?,
                facts: r.try_get("facts")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        }

        fn placement_row(r: &Row) -> Result<Placement> {
            Ok(Placement {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                responsible_authority_id: r.try_get("responsible_authority_id")?,
                host_authority_id: r.try_get("host_authority_id")?,
                legal_status: vocabulary(r, "legal_status")?,
                placement_type: vocabulary(r, "placement_type")?,
                police_force: r.try_get("police_force")?,
                travel_minutes: r.try_get("travel_minutes")?,
                starts_on: r.try_get("starts_on")?,
                ends_on: r.try_get("ends_on")?,
                change_reason: r.try_get("change_reason")?,
            })
        }

        fn episode_row(r: &Row) -> Result<Episode> {
            Ok(Episode {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                version: r.try_get("version")?,
                responsible_authority_id: r.try_get("responsible_authority_id")?,
                host_authority_id: r.try_get("host_authority_id")?,
                finder_authority_id: r.try_get("finder_authority_id")?,
                opened_at: r.try_get("opened_at")?,
            })
        }

        fn event_row(r: &Row) -> Result<EventRecord> {
            Ok(EventRecord {
                id: r.try_get("id")?,
                episode_id: r.try_get("episode_id")?,
                at: r.try_get("at")?,
                body: r.try_get("body")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
                corrects_event_id: r.try_get("corrects_event_id")?,
                correction_reason: r.try_get("correction_reason")?,
            })
        }

        fn obligation_row(r: &Row) -> Result<ObligationRecord> {
            Ok(ObligationRecord {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                obligation: NewObligation {
                    episode_id: r.try_get("episode_id")?,
                    authority_id: r.try_get("authority_id")?,
                    rule: r.try_get("rule")?,
                    share: optional_vocabulary(r, "share")?,
                    owner_role: optional_vocabulary(r, "owner_role")?,
                    action: r.try_get("action")?,
                    citation: r.try_get("citation")?,
                    activation: r.try_get("activation")?,
                    due: r.try_get("due")?,
                    met_at: r.try_get("met_at")?,
                    ended: r.try_get("ended")?,
                    ended_at: r.try_get("ended_at")?,
                },
                computed_at: r.try_get("computed_at")?,
            })
        }

        fn interview_row(r: &Row) -> Result<Interview> {
            Ok(Interview {
                id: r.try_get("id")?,
                episode_id: r.try_get("episode_id")?,
                event_id: r.try_get("event_id")?,
                version: r.try_get("version")?,
                outcome: r.try_get("outcome")?,
                at: r.try_get("at")?,
                interviewer: r.try_get("interviewer")?,
                mode: optional_vocabulary(r, "mode")?,
                push_factors: r.try_get("push_factors")?,
                pull_factors: r.try_get("pull_factors")?,
                disclosures: r.try_get("disclosures")?,
                signed_off_by: r.try_get("signed_off_by")?,
                signed_off_at: r.try_get("signed_off_at")?,
            })
        }

        fn action_row(a: &Row) -> Result<MeetingAction> {
            Ok(MeetingAction {
                id: a.try_get("id")?,
                meeting_id: a.try_get("meeting_id")?,
                description: a.try_get("description")?,
                owner: a.try_get("owner")?,
                due_at: a.try_get("due_at")?,
                done_at: a.try_get("done_at")?,
            })
        }

        fn episode_status_row(r: &Row) -> Result<EpisodeStatus> {
            let next_due: Option<Instant> = r.try_get("next_due")?;
            let next_rule: Option<String> = r.try_get("next_rule")?;
            Ok(EpisodeStatus {
                episode_id: r.try_get("episode_id")?,
                child_id: r.try_get("child_id")?,
                missing: r.try_get::<i64, _>("missing")? != 0,
                since: r.try_get("since")?,
                found_at: r.try_get("found_at")?,
                risk: optional_vocabulary(r, "risk")?,
                rhi_at: r.try_get("rhi_at")?,
                next_due: next_due.zip(next_rule),
            })
        }

        /// Appends audit rows inside the caller's transaction, extending the hash chain: the
        /// head is read and moved once, the rows written in as few statements as fit.
        async fn append_audits(conn: &mut $conn, entries: &[AuditEntry]) -> Result<()> {
            if entries.is_empty() {
                return Ok(());
            }
            // Updating the head first locks it (PostgreSQL row lock; SQLite already holds the
            // write lock), so concurrent writers extend the chain one at a time.
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
            for chunk in rows.chunks(rows_per(11)) {
                let sql = format!(
                    "INSERT INTO audit_log (id, at, user_id, action, entity, entity_id, child_id, children, remote_addr, prev_hash, hash) VALUES {}",
                    PH.values(1, chunk.len(), 11)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, e, prev, hash) in chunk {
                    q = q
                        .bind(*id)
                        .bind(e.at)
                        .bind(e.user_id)
                        .bind(&e.action)
                        .bind(&e.entity)
                        .bind(e.entity_id)
                        .bind(e.child_id)
                        .bind(crate::rows::child_list(&e.children))
                        .bind(&e.remote_addr)
                        .bind(prev)
                        .bind(hash);
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

        /// Appends one audit row inside the caller's transaction.
        async fn append_audit(conn: &mut $conn, e: &AuditEntry) -> Result<()> {
            append_audits(conn, std::slice::from_ref(e)).await
        }

        /// Binds every ID of a chunk to a statement with an `IN (…)` list.
        fn bind_ids<'q, T: sqlx::Encode<'q, <$conn as sqlx::Connection>::Database> + sqlx::Type<<$conn as sqlx::Connection>::Database> + Copy + 'q>(
            sql: String,
            ids: &[T],
        ) -> sqlx::query::Query<'q, <$conn as sqlx::Connection>::Database, <<$conn as sqlx::Connection>::Database as sqlx::Database>::Arguments> {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in ids {
                q = q.bind(*id);
            }
            q
        }

        /// Loads the files of a chunk of children (at most [`rows_per`]`(1)`), in the chunk's
        /// order, in five statements. Each file names only the authorities its placements and
        /// episodes refer to, as a single child's file does.
        async fn load_child_files(
            conn: &mut $conn,
            chunk: &[ChildId],
            authorities: &std::collections::HashMap<AuthorityId, Authority>,
        ) -> Result<Vec<ChildFile>> {
            use std::collections::{BTreeSet, HashMap};
            let list = PH.list(1, chunk.len());
            let mut children: HashMap<ChildId, Child> = bind_ids(format!("{CHILD} WHERE id IN ({list})"), chunk)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| child_row(r).map(|c| (c.id, c)))
                .collect::<Result<_>>()?;
            let placements = bind_ids(format!("{PLACEMENT} WHERE child_id IN ({list}) ORDER BY child_id, id"), chunk)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(placement_row)
                .collect::<Result<Vec<_>>>()?;
            let episodes = bind_ids(format!("{EPISODE} WHERE child_id IN ({list}) ORDER BY id"), chunk)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(episode_row)
                .collect::<Result<Vec<_>>>()?;
            let events = bind_ids(
                format!("{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE child_id IN ({list})) ORDER BY id"),
                chunk,
            )
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(event_row)
            .collect::<Result<Vec<_>>>()?;
            let mut by_child: HashMap<ChildId, ChildFile> = HashMap::with_capacity(chunk.len());
            for id in chunk {
                let child = children.remove(id).ok_or(StoreError::NotFound)?;
                by_child.insert(*id, ChildFile { child, placement: None, episodes: Vec::new(), events: Vec::new(), authorities: Vec::new() });
            }
            let mut referred: HashMap<ChildId, BTreeSet<AuthorityId>> = HashMap::new();
            for p in placements {
                referred.entry(p.child_id).or_default().extend([p.responsible_authority_id, p.host_authority_id]);
                if let Some(f) = by_child.get_mut(&p.child_id)
                    && p.ends_on.is_none()
                {
                    // Ordered by ID: the last open placement is the current one.
                    f.placement = Some(p);
                }
            }
            let mut child_of = HashMap::with_capacity(episodes.len());
            for e in episodes {
                referred
                    .entry(e.child_id)
                    .or_default()
                    .extend([Some(e.responsible_authority_id), Some(e.host_authority_id), e.finder_authority_id].into_iter().flatten());
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
            let mut files = Vec::with_capacity(chunk.len());
            for id in chunk {
                let mut file = by_child.remove(id).ok_or(StoreError::NotFound)?;
                file.authorities = referred.get(id).into_iter().flatten().filter_map(|a| authorities.get(a).cloned()).collect();
                files.push(file);
            }
            Ok(files)
        }

        /// Every authority, by ID.
        async fn authorities_by_id(conn: &mut $conn) -> Result<std::collections::HashMap<AuthorityId, Authority>> {
            sqlx::query(sqlx::AssertSqlSafe(format!("{AUTHORITY} ORDER BY id")))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| authority_row(r).map(|a| (a.id, a)))
                .collect()
        }

        /// One child's file, or `None` if there is no such child.
        async fn load_child_file(conn: &mut $conn, child_id: ChildId) -> Result<Option<ChildFile>> {
            let exists = sqlx::query("SELECT 1 FROM children WHERE id = $1").bind(child_id).fetch_optional(&mut *conn).await?;
            if exists.is_none() {
                return Ok(None);
            }
            let authorities = authorities_by_id(conn).await?;
            Ok(load_child_files(conn, &[child_id], &authorities).await?.pop())
        }

        /// Why a versioned update matched no row: the record changed since it was read (a
        /// conflict with the version now stored) or it does not exist.
        async fn stale(conn: &mut $conn, table: &'static str, id: i64) -> StoreError {
            let current = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT version FROM {table} WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await;
            match current {
                Ok(Some(r)) => match r.try_get("version") {
                    Ok(current) => StoreError::Conflict { current },
                    Err(e) => e.into(),
                },
                Ok(None) => StoreError::NotFound,
                Err(e) => e.into(),
            }
        }
    };
}

pub(crate) use impl_rows;
