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

    /// A consistent copy of a PostgreSQL database is `pg_dump`'s job (it reads one snapshot
    /// while the server keeps working); `homeward backup` runs it for PostgreSQL URLs.
    async fn backup(&self, _path: &Path) -> Result<()> {
        Err(crate::StoreError::Unsupported(
            "back up PostgreSQL with `homeward backup`, which runs pg_dump",
        ))
    }
}

crate::outbox::impl_outbox!(PostgresStore, PgConnection);
crate::shared::impl_repository!(PostgresStore, PgConnection, Backend::Postgres);
crate::patterns::impl_pattern_reads!(PostgresStore);
crate::exchange::impl_exchange!(PostgresStore, PgConnection);
crate::import::impl_import!(PostgresStore, PgConnection);
