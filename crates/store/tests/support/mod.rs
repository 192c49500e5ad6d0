//! What the store's two-backend tests share: a scratch folder for the SQLite half, and for the
//! PostgreSQL half the server `scripts/test` starts (`HOMEWARD_TEST_POSTGRES`) with a fresh
//! database on it for each run.

use std::error::Error;
use std::path::PathBuf;

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

/// A new, empty database on the server, so runs never see each other's data.
pub async fn fresh_database(server: &str, name: &str) -> Result<String, Box<dyn Error>> {
    use sqlx::Connection;
    let db = format!(
        "{name}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    );
    let mut conn = sqlx::PgConnection::connect(server).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
        .execute(&mut conn)
        .await?;
    let (base, _) = server
        .rsplit_once('/')
        .ok_or("database URL without a path")?;
    Ok(format!("{base}/{db}"))
}
