//! What the lists read ([`crate::Lists`]): My work, Missing now, the weekly list, the children
//! list and the charts, from indexed tables that every change to a child keeps current
//! (`child_visibility`, `episode_status`, `child_status`, open obligations), paged and filtered
//! by the database — never by loading children's files.

use protocol::vocabulary::OwnerRole;

use crate::model::{
    AuthorityId, Child, ChildId, Ended, EpisodeId, EpisodeStatus, Instant, MeetingAction,
    ObligationRecord,
};

/// A child in the children list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildRow {
    /// The child's record.
    pub child: Child,
    /// How many episodes the child has had.
    pub episodes: i64,
    /// Whether the child is missing now.
    pub missing: bool,
}

/// Which deadlines a queue lists, and in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueWindow {
    /// Every open obligation, by due, then the undated ones.
    Any,
    /// Due before this instant, the most recently overdue first.
    Before(Instant),
    /// Due in `[from, to)`, earliest first.
    Between(Instant, Instant),
    /// Due at or after this instant, earliest first (undated ones are [`DueWindow::Undated`]).
    From(Instant),
    /// No deadline stated, in the order they were first stored.
    Undated,
}

/// Which open obligations a queue lists.
#[derive(Clone, Debug)]
pub struct QueueFilter {
    /// The authority whose protocol demands them.
    pub authority: AuthorityId,
    /// Only this owner role (`None`: any).
    pub owner_role: Option<OwnerRole>,
    /// Which deadlines.
    pub window: DueWindow,
    /// Only this child's.
    pub child: Option<ChildId>,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// An open obligation in a queue, with its child's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    /// The obligation.
    pub obligation: ObligationRecord,
    /// The child's name.
    pub child_name: String,
}

/// An episode in a list, with its child's name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct EpisodeRow {
    /// The episode's state.
    pub status: EpisodeStatus,
    /// The child's name.
    pub child_name: String,
}

/// A meeting action not done yet, with its episode and child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAction {
    /// The action.
    pub action: MeetingAction,
    /// Its meeting's episode.
    pub episode_id: EpisodeId,
    /// The child.
    pub child_id: ChildId,
    /// The child's name.
    pub child_name: String,
}

/// An obligation as the charts count it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartObligation {
    /// Rule ID.
    pub rule: String,
    /// The episode's responsible authority.
    pub responsible_authority_id: AuthorityId,
    /// Its deadline.
    pub due: Instant,
    /// When an event met it, if one did.
    pub met_at: Option<Instant>,
    /// Why it ended, if it did.
    pub ended: Option<Ended>,
}

impl DueWindow {
    /// The `WHERE` condition on `o.due` (parameters `$first`, `$first + 1`) and the order.
    pub(crate) fn sql(self, first: usize) -> (String, &'static str) {
        let (a, b) = (format!("${first}"), format!("${}", first + 1));
        match self {
            // Read as the dated ones, then the undated ones (`Lists::queue`).
            DueWindow::Any => (String::new(), "o.id"),
            DueWindow::Before(_) => (
                format!(" AND o.due IS NOT NULL AND o.due < {a}"),
                "o.due DESC, o.id DESC",
            ),
            DueWindow::Between(..) => (format!(" AND o.due >= {a} AND o.due < {b}"), "o.due, o.id"),
            DueWindow::From(_) => (format!(" AND o.due >= {a}"), "o.due, o.id"),
            DueWindow::Undated => (" AND o.due IS NULL".to_owned(), "o.id"),
        }
    }

    /// The instants the condition binds, in order.
    pub(crate) fn bounds(self) -> Vec<Instant> {
        match self {
            DueWindow::Any | DueWindow::Undated => Vec::new(),
            DueWindow::Before(t) | DueWindow::From(t) => vec![t],
            DueWindow::Between(a, b) => vec![a, b],
        }
    }
}

/// A name as the children list sorts and searches it: in lower case, every letter (Unicode), so
/// `élodie` finds `Élodie` on both backends; the databases' own `LOWER` differ (SQLite's folds
/// only ASCII letters).
pub(crate) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// The `LIKE` pattern of a name search against [`name_key`]s, with `%`, `_` and `\` taken
/// literally.
pub(crate) fn name_pattern(search: &str) -> String {
    let mut p = String::from("%");
    for c in name_key(search).chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Implements [`crate::Lists`] for a store type with a `pool` field.
macro_rules! impl_lists {
    ($store:ty, $conn:ty) => {
        const EPISODE_STATUS_COLUMNS: &str = "s.episode_id, s.child_id, s.missing, s.since, s.found_at, s.risk, s.rhi_at, s.next_due, s.next_rule, c.name AS child_name";

        fn episode_list_row(r: &Row) -> Result<crate::EpisodeRow> {
            Ok(crate::EpisodeRow { status: episode_status_row(r)?, child_name: r.try_get("child_name")? })
        }

        /// The filter and its window as SQL, with its parameters bound after `$1` (authority),
        /// `$2` (limit) and `$3` (offset).
        fn queue_query<'q>(
            f: &'q crate::QueueFilter,
            select: &str,
            tail: &str,
        ) -> sqlx::query::Query<'q, <$conn as sqlx::Connection>::Database, <<$conn as sqlx::Connection>::Database as sqlx::Database>::Arguments> {
            let mut next = 4;
            let role = match f.owner_role {
                Some(_) => {
                    next += 1;
                    " AND o.owner_role = $4"
                }
                None => "",
            };
            let child = match f.child {
                Some(_) => {
                    next += 1;
                    format!(" AND o.child_id = ${}", next - 1)
                }
                None => String::new(),
            };
            let (window, order) = f.window.sql(next);
            let tail = tail.replace("{order}", order);
            let sql = format!("{select} WHERE o.ended IS NULL AND o.authority_id = $1{role}{child}{window}{tail}");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(f.authority).bind(f.limit).bind(f.offset);
            if let Some(r) = f.owner_role {
                q = q.bind(r.as_str());
            }
            if let Some(c) = f.child {
                q = q.bind(c);
            }
            for t in f.window.bounds() {
                q = q.bind(t);
            }
            q
        }

        /// One window of a queue, a page of it.
        async fn queue_rows(pool: &sqlx::Pool<<$conn as sqlx::Connection>::Database>, f: &crate::QueueFilter) -> Result<Vec<crate::QueueRow>> {
            let select = format!("SELECT {OBLIGATION_COLUMNS}, c.name AS child_name FROM obligations o JOIN children c ON c.id = o.child_id");
            queue_query(f, &select, " ORDER BY {order} LIMIT CAST($2 AS BIGINT) OFFSET $3")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok(crate::QueueRow { obligation: obligation_row(r)?, child_name: r.try_get("child_name")? }))
                .collect()
        }

        /// How many obligations one window of a queue holds (the limit and offset are bound
        /// and compared with themselves, so the parameters stay numbered as in a page).
        async fn queue_count(pool: &sqlx::Pool<<$conn as sqlx::Connection>::Database>, f: &crate::QueueFilter) -> Result<i64> {
            let r = queue_query(f, "SELECT COUNT(*) AS n FROM obligations o", " AND $2 = $2 AND $3 = $3")
                .fetch_one(pool)
                .await?;
            Ok(r.try_get("n")?)
        }

        #[async_trait::async_trait]
        impl crate::Lists for $store {
            async fn children_page(&self, authority: AuthorityId, search: Option<&str>, limit: i64, offset: i64) -> Result<Vec<crate::ChildRow>> {
                let filter = if search.is_some() { " AND v.name_key LIKE $4 ESCAPE '\\'" } else { "" };
                let sql = format!(
                    "SELECT c.id, c.version, c.name, c.dob, c.facts, c.created_at, c.updated_at, COALESCE(s.episodes, 0) AS episodes, COALESCE(s.missing, 0) AS missing \
                     FROM child_visibility v JOIN children c ON c.id = v.child_id LEFT JOIN child_status s ON s.child_id = v.child_id \
                     WHERE v.authority_id = $1{filter} ORDER BY v.name_key, v.child_id LIMIT CAST($2 AS BIGINT) OFFSET $3"
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(authority).bind(limit).bind(offset);
                if let Some(s) = search {
                    q = q.bind(crate::lists::name_pattern(s));
                }
                q.fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(crate::ChildRow {
                            child: child_row(r)?,
                            episodes: r.try_get("episodes")?,
                            missing: r.try_get::<i64, _>("missing")? != 0,
                        })
                    })
                    .collect()
            }

            async fn queue(&self, f: &crate::QueueFilter) -> Result<Vec<crate::QueueRow>> {
                if f.window != crate::DueWindow::Any {
                    return queue_rows(&self.pool, f).await;
                }
                // Every obligation: the dated ones by due, then the undated ones, each read in
                // index order (a sort over both would read every open obligation of the
                // authority for each page).
                let dated = crate::QueueFilter { window: crate::DueWindow::From(Instant::from_micros(i64::MIN)), ..f.clone() };
                let mut rows = queue_rows(&self.pool, &dated).await?;
                if rows.len() as i64 == f.limit {
                    return Ok(rows);
                }
                let before = if rows.is_empty() {
                    queue_count(&self.pool, &dated).await?
                } else {
                    f.offset + rows.len() as i64
                };
                let undated = crate::QueueFilter {
                    window: crate::DueWindow::Undated,
                    limit: f.limit - rows.len() as i64,
                    offset: (f.offset + rows.len() as i64 - before).max(0),
                    ..f.clone()
                };
                rows.extend(queue_rows(&self.pool, &undated).await?);
                Ok(rows)
            }

            async fn missing_now(&self, authority: AuthorityId, limit: i64, offset: i64) -> Result<Vec<crate::EpisodeRow>> {
                // One range of the authority's own board rows, in its key's order: a page reads
                // the rows it shows, however many children the partnership has (CROSS JOIN keeps
                // SQLite's join order; PostgreSQL plans it alike).
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {EPISODE_STATUS_COLUMNS} FROM missing_board b \
                     CROSS JOIN episode_status s CROSS JOIN children c \
                     WHERE b.authority_id = $1 AND s.episode_id = b.episode_id AND c.id = b.child_id \
                     ORDER BY b.risk_rank, b.since, b.episode_id LIMIT CAST($2 AS BIGINT) OFFSET $3"
                )))
                .bind(authority)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(episode_list_row)
                .collect()
            }

            async fn child_episodes(&self, child: ChildId) -> Result<Vec<crate::EpisodeRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {EPISODE_STATUS_COLUMNS} FROM episode_status s JOIN children c ON c.id = s.child_id \
                     WHERE s.child_id = $1 ORDER BY s.episode_id"
                )))
                .bind(child)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(episode_list_row)
                .collect()
            }

            async fn episode_status(&self, episode: EpisodeId) -> Result<Option<crate::EpisodeRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {EPISODE_STATUS_COLUMNS} FROM episode_status s JOIN children c ON c.id = s.child_id WHERE s.episode_id = $1"
                )))
                .bind(episode)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| episode_list_row(&r))
                .transpose()
            }

            async fn episodes_between(&self, authority: AuthorityId, from: Instant, to: Instant) -> Result<Vec<crate::EpisodeRow>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {EPISODE_STATUS_COLUMNS} FROM episode_status s \
                     JOIN child_visibility v ON v.child_id = s.child_id AND v.authority_id = $1 \
                     JOIN children c ON c.id = s.child_id \
                     WHERE s.since <= $3 AND (s.found_at IS NULL OR s.found_at >= $2) \
                     ORDER BY s.risk_rank, v.name_key, s.episode_id"
                )))
                .bind(authority)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(episode_list_row)
                .collect()
            }

            async fn open_actions(&self, authority: AuthorityId, limit: i64) -> Result<Vec<crate::OpenAction>> {
                sqlx::query(
                    // From the actions still to do (a few per child at most), each checked for the
                    // authority, rather than from the authority's children.
                    "SELECT a.id, a.meeting_id, a.description, a.owner, a.due_at, a.done_at, m.episode_id, e.child_id, c.name AS child_name \
                     FROM meeting_actions a CROSS JOIN meetings m CROSS JOIN episodes e CROSS JOIN child_visibility v CROSS JOIN children c \
                     WHERE a.done_at IS NULL AND m.id = a.meeting_id AND e.id = m.episode_id \
                     AND v.authority_id = $1 AND v.child_id = e.child_id AND c.id = e.child_id \
                     ORDER BY CASE WHEN a.due_at IS NULL THEN 1 ELSE 0 END, a.due_at, a.id LIMIT CAST($2 AS BIGINT)",
                )
                .bind(authority)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(crate::OpenAction {
                        action: action_row(r)?,
                        episode_id: r.try_get("episode_id")?,
                        child_id: r.try_get("child_id")?,
                        child_name: r.try_get("child_name")?,
                    })
                })
                .collect()
            }

            async fn episodes_opened(&self, authority: AuthorityId, since: Instant) -> Result<Vec<(AuthorityId, Instant)>> {
                sqlx::query(
                    "SELECT responsible_authority_id, opened_at FROM episodes \
                     WHERE opened_at >= $2 AND (responsible_authority_id = $1 OR host_authority_id = $1 OR finder_authority_id = $1) \
                     ORDER BY opened_at, id",
                )
                .bind(authority)
                .bind(since)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("responsible_authority_id")?, r.try_get("opened_at")?)))
                .collect()
            }

            async fn obligations_due(&self, authority: AuthorityId, rules: &[String], from: Instant, to: Instant) -> Result<Vec<crate::ChartObligation>> {
                if rules.is_empty() {
                    return Ok(Vec::new());
                }
                let list: Vec<String> = (0..rules.len()).map(|i| format!("${}", i + 4)).collect();
                let sql = format!(
                    "SELECT o.rule, e.responsible_authority_id, o.due, o.met_at, o.ended FROM obligations o JOIN episodes e ON e.id = o.episode_id \
                     WHERE o.authority_id = $1 AND o.due >= $2 AND o.due < $3 AND o.rule IN ({}) ORDER BY o.due, o.id",
                    list.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(authority).bind(from).bind(to);
                for r in rules {
                    q = q.bind(r);
                }
                q.fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(crate::ChartObligation {
                            rule: r.try_get("rule")?,
                            responsible_authority_id: r.try_get("responsible_authority_id")?,
                            due: r.try_get("due")?,
                            met_at: r.try_get("met_at")?,
                            ended: r.try_get("ended")?,
                        })
                    })
                    .collect()
            }

            async fn obligation_counts(&self, authority: AuthorityId, now: Instant, soon: Instant) -> Result<(u64, u64, u64)> {
                let r = sqlx::query(
                    "SELECT COUNT(CASE WHEN due < $2 THEN 1 END) AS overdue, \
                     COUNT(CASE WHEN due >= $2 AND due < $3 THEN 1 END) AS soon, \
                     COUNT(CASE WHEN due IS NULL OR due >= $3 THEN 1 END) AS later \
                     FROM obligations WHERE authority_id = $1 AND ended IS NULL",
                )
                .bind(authority)
                .bind(now)
                .bind(soon)
                .fetch_one(&self.pool)
                .await?;
                let count = |c: &str| -> Result<u64> { Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or_default()) };
                Ok((count("overdue")?, count("soon")?, count("later")?))
            }

            async fn child_ids(&self, after: ChildId, limit: i64) -> Result<Vec<ChildId>> {
                sqlx::query("SELECT id FROM children WHERE id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| Ok(r.try_get("id")?))
                    .collect()
            }

            async fn children_without_lists(&self, limit: i64) -> Result<Vec<ChildId>> {
                sqlx::query(
                    "SELECT c.id FROM children c WHERE NOT EXISTS (SELECT 1 FROM child_status s WHERE s.child_id = c.id) ORDER BY c.id LIMIT CAST($1 AS BIGINT)",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok(r.try_get("id")?))
                .collect()
            }
        }
    };
}

pub(crate) use impl_lists;

#[cfg(test)]
mod tests {
    use super::{name_key, name_pattern};

    #[test]
    fn a_name_search_takes_wildcards_literally_and_ignores_case() {
        assert_eq!(name_pattern("Ann"), "%ann%");
        assert_eq!(name_pattern("50%_X\\"), "%50\\%\\_x\\\\%");
    }

    #[test]
    fn names_are_folded_letter_by_letter_beyond_ascii() {
        assert_eq!(name_key("Élodie ØRSTED"), "élodie ørsted");
        assert_eq!(name_pattern("élodie"), "%élodie%");
    }
}
