//! The embedded SQLite store: one file, WAL journal, and `BEGIN IMMEDIATE` for every write
//! transaction so that writers queue for the lock up front instead of failing mid-transaction.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

/// The SQLite implementation of the repository.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Readers.
    pool: SqlitePool,
    /// The one writer connection: writers queue for it here, in turn, where on connections of
    /// their own they would meet SQLite's write lock and sleep and poll in its busy handler
    /// (tens of milliseconds at a time, with every page waiting for its audit row to commit).
    writer: SqlitePool,
    /// The database file (the bulk reader opens its own connection to it).
    path: std::path::PathBuf,
    /// Wakes the scheduler after obligations change (issue 5).
    schedule_changed: std::sync::Arc<tokio::sync::Notify>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database file.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // A local file's connection does not go stale: no ping before each use.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| crate::StoreError::Database(e.into()))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            writer,
            path: path.to_path_buf(),
            schedule_changed: Default::default(),
        })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Where a single-statement write runs.
    fn write_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// `VACUUM INTO` writes a consistent, compacted copy while readers and writers carry on.
    async fn backup(&self, path: &Path) -> Result<()> {
        let target = path.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

crate::rows::impl_rows!(SqliteConnection, Placeholders::Anonymous);
crate::write::impl_write!(SqliteConnection);
crate::accounts::impl_accounts!(SqliteStore);
crate::children::impl_children!(SqliteStore, SqliteConnection);
crate::episodes::impl_episodes!(SqliteStore, SqliteConnection);
crate::obligations::impl_obligations!(SqliteStore);
crate::lists::impl_lists!(SqliteStore, SqliteConnection);
crate::outbox::impl_outbox!(SqliteStore, SqliteConnection);
crate::audit::impl_audit_log!(SqliteStore);
crate::exchange::impl_exchange!(SqliteStore);
crate::import::impl_import!(SqliteStore);
crate::patterns::impl_patterns!(SqliteStore);
crate::records::impl_records!(SqliteStore, crate::rows::JsonSql::SQLITE);
crate::maintenance::impl_maintenance!(SqliteStore, crate::Backend::Sqlite);

impl SqliteStore {
    /// Reads a snapshot through the bulk reader (see `sqlite_bulk`).
    async fn exchange_snapshot_sql(
        &self,
        opened_from: Instant,
        opened_to: Instant,
        scope: crate::SnapshotChildren,
        visit: crate::EpisodeVisitor<'_>,
    ) -> Result<crate::ExchangeSnapshot> {
        crate::sqlite_bulk::snapshot(
            &self.path,
            Self::snapshot_queries(scope),
            opened_from,
            opened_to,
            visit,
        )
        .await
    }
}
