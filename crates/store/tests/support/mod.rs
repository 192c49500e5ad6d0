//! What the store's story tests share. Each story runs against both backends: SQLite always (a
//! scratch file), PostgreSQL when `HOMEWARD_TEST_POSTGRES` names a server (`scripts/test` starts
//! one and sets `HOMEWARD_REQUIRE_POSTGRES=1`, so a missing server fails the run instead of
//! skipping), on a fresh database each time.
//!
//! - [`fixtures`]: a partnership of three authorities and two users, placements, events, audit
//!   entries, instants;
//! - [`planner`]: a small deterministic stand-in for the casework layer's `Recompute`, and spies
//!   that record what the store hands it;
//! - [`snapshot`]: everything the store holds about a child, to compare before and after a
//!   change that must leave nothing behind.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of the support"
)]

pub mod fixtures;
pub mod planner;
pub mod snapshot;

use std::error::Error;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use store::{Backend, Store};

/// What a story returns: any failure, with its message.
pub type TestResult = Result<(), Box<dyn Error>>;

/// A store under test, and where its database is (to reach it directly, as an older release of
/// Homeward would have left it).
pub struct Backing {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The SQLite file's path or the PostgreSQL URL.
    pub url: String,
    /// The SQLite half's scratch folder (none for PostgreSQL).
    pub dir: Option<PathBuf>,
}

impl Backing {
    /// Runs one statement on the database directly, bypassing the store; returns the rows
    /// affected.
    pub async fn execute(&self, sql: &str) -> Result<u64, Box<dyn Error>> {
        use sqlx::{ConnectOptions, Connection};
        if self.store.backend() == Backend::Postgres {
            let mut conn = sqlx::PgConnection::connect(&self.url).await?;
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await?
                .rows_affected())
        } else {
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&self.url)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(10))
                .connect()
                .await?;
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await?
                .rows_affected())
        }
    }
}

/// The runtime each test drives the store on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// An empty scratch folder for `name` in this process.
pub fn scratch(name: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("homeward-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs a story on a new SQLite file (removed afterwards when the story succeeds).
pub fn on_sqlite<F, Fut>(name: &str, story: F) -> TestResult
where
    F: FnOnce(Backing) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let dir = scratch(name)?;
    let url = dir
        .join("store.db")
        .to_str()
        .ok_or("scratch path is not UTF-8")?
        .to_owned();
    runtime()?.block_on(async {
        let store = store::open(&url).await?;
        assert_eq!(store.backend(), Backend::Sqlite);
        story(Backing {
            store,
            url: url.clone(),
            dir: Some(dir.clone()),
        })
        .await
    })?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Runs a story on a fresh PostgreSQL database, when there is a server to test against.
pub fn on_postgres<F, Fut>(name: &str, story: F) -> TestResult
where
    F: FnOnce(Backing) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let Some(server) = postgres(name)? else {
        return Ok(());
    };
    runtime()?.block_on(async {
        let url = fresh_database(&server, name).await?;
        let store = store::open(&url).await?;
        assert_eq!(store.backend(), Backend::Postgres);
        story(Backing {
            store,
            url,
            dir: None,
        })
        .await
    })
}

/// The PostgreSQL server to test against; none (saying so) when there is none, unless
/// `HOMEWARD_REQUIRE_POSTGRES` says there must be one.
pub fn postgres(test: &str) -> Result<Option<String>, Box<dyn Error>> {
    match std::env::var("HOMEWARD_TEST_POSTGRES") {
        Ok(server) => Ok(Some(server)),
        Err(_) if std::env::var("HOMEWARD_REQUIRE_POSTGRES").is_ok() => {
            Err("HOMEWARD_REQUIRE_POSTGRES is set but HOMEWARD_TEST_POSTGRES is not".into())
        }
        Err(_) => {
            eprintln!(
                "{test}: HOMEWARD_TEST_POSTGRES not set; run scripts/test for the PostgreSQL half"
            );
            Ok(None)
        }
    }
}

/// A new, empty database on the server, so runs never see each other's data: named after the
/// story, this process and a count, so no live process shares it (one left by a process that
/// had the same ID is dropped first).
pub async fn fresh_database(server: &str, name: &str) -> Result<String, Box<dyn Error>> {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let db = format!(
        "{name}_{}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(server).await?;
    for sql in [
        format!("DROP DATABASE IF EXISTS \"{db}\""),
        format!("CREATE DATABASE \"{db}\""),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    let (base, _) = server
        .rsplit_once('/')
        .ok_or("database URL without a path")?;
    Ok(format!("{base}/{db}"))
}
