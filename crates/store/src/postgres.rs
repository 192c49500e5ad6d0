//! The PostgreSQL store.

use std::path::Path;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool};

/// The PostgreSQL implementation of the repository.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    /// Wakes the scheduler after obligations change (issue 5).
    schedule_changed: std::sync::Arc<tokio::sync::Notify>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PostgresStore {
    /// Connects to and migrates the database.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| crate::StoreError::Database(e.into()))?;
        Ok(Self {
            pool,
            schedule_changed: Default::default(),
        })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Where a single-statement write runs.
    fn write_pool(&self) -> &PgPool {
        &self.pool
    }

    /// A consistent copy of a PostgreSQL database is `pg_dump`'s job (it reads one snapshot
    /// while the server keeps working); `homeward backup` runs it for PostgreSQL URLs.
    async fn backup(&self, _path: &Path) -> Result<()> {
        Err(crate::StoreError::Unsupported(
            "back up PostgreSQL with `homeward backup`, which runs pg_dump",
        ))
    }
}

crate::rows::impl_rows!(PgConnection, Placeholders::Numbered);
crate::write::impl_write!(PgConnection);
crate::accounts::impl_accounts!(PostgresStore);
crate::children::impl_children!(PostgresStore, PgConnection);
crate::episodes::impl_episodes!(PostgresStore, PgConnection);
crate::obligations::impl_obligations!(PostgresStore);
crate::lists::impl_lists!(PostgresStore, PgConnection);
crate::outbox::impl_outbox!(PostgresStore, PgConnection);
crate::audit::impl_audit_log!(PostgresStore);
crate::exchange::impl_exchange!(PostgresStore);
crate::import::impl_import!(PostgresStore);
crate::patterns::impl_patterns!(PostgresStore);
crate::records::impl_records!(PostgresStore, crate::rows::JsonSql::POSTGRES);
crate::maintenance::impl_maintenance!(PostgresStore, crate::Backend::Postgres);

impl PostgresStore {
    /// Reads a snapshot through sqlx, streaming the events of the window to the visitor one
    /// episode at a time.
    async fn exchange_snapshot_sql(
        &self,
        opened_from: Instant,
        opened_to: Instant,
        scope: crate::SnapshotChildren,
        visit: crate::EpisodeVisitor<'_>,
    ) -> Result<crate::ExchangeSnapshot> {
        use futures_util::TryStreamExt;
        let q = Self::snapshot_queries(scope);
        let scoped = q.scoped;
        let windowed = |sql: String| {
            let query = sqlx::query(sqlx::AssertSqlSafe(sql));
            if scoped {
                query.bind(opened_from).bind(opened_to)
            } else {
                query
            }
        };
        let mut conn = self.pool.acquire().await?;
        let authorities = sqlx::query(sqlx::AssertSqlSafe(q.authorities))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(authority_row)
            .collect::<Result<Vec<_>>>()?;
        let children = windowed(q.children)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(child_row)
            .collect::<Result<Vec<_>>>()?;
        let placements = windowed(q.placements)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(placement_row)
            .collect::<Result<Vec<_>>>()?;
        let episodes = sqlx::query(sqlx::AssertSqlSafe(q.episodes))
            .bind(opened_from)
            .bind(opened_to)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(episode_row)
            .collect::<Result<Vec<_>>>()?;
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(q.events))
            .bind(opened_from)
            .bind(opened_to)
            .fetch(&mut *conn);
        let mut by_episode = crate::exchange::ByEpisode::new(&episodes, visit);
        while let Some(row) = rows.try_next().await? {
            by_episode.push(event_row(&row)?);
        }
        by_episode.finish();
        drop(rows);
        Ok(crate::ExchangeSnapshot {
            authorities,
            children,
            placements,
            episodes,
        })
    }
}
