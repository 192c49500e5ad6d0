//! `homeward export …` and `homeward import …`: returns and lists written from the store, and
//! the police daily list read into it (crate `exchange` does the work; this file is the CLI).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use exchange::period::Period;
use indicatif::{ProgressBar, ProgressStyle};
use store::{AuditEntry, Repository};

use crate::setup::{Failure, Setup, database_url};

/// What to export.
#[derive(Subcommand)]
pub enum ExportCommand {
    /// DfE SSDA903 Header, Episodes and Missing tables (CSV, dates dd/mm/YYYY) for a
    /// collection year, after Homeward's own checks.
    Ssda903(YearArgs),
}

/// Options of an export for a collection year.
#[derive(Args)]
pub struct YearArgs {
    /// Collection year, e.g. 2025-26 (1 April 2025 to 31 March 2026).
    #[arg(long, value_name = "YYYY-YY")]
    year: String,
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

fn spinner(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

async fn open(database: Option<&str>) -> Result<std::sync::Arc<dyn Repository>, Failure> {
    let url = database_url(database);
    store::open(&url)
        .await
        .map_err(|e| Failure::runtime(format!("database {url}: {e}")))
}

/// One audit row for an export: it reads many children's records at once.
fn export_audit(what: &str, now: jiff::Timestamp) -> AuditEntry {
    AuditEntry {
        at: web::micros(now),
        user_id: None,
        action: "read".into(),
        entity: format!("export:{what}"),
        entity_id: None,
        child_id: None,
        remote_addr: "command line".into(),
    }
}

fn input(e: exchange::ExchangeError) -> Failure {
    match e {
        exchange::ExchangeError::Input(m) => Failure::input(m),
        other => Failure::runtime(other),
    }
}

/// Runs an export.
pub async fn export(_setup: Setup, command: ExportCommand) -> Result<String, Failure> {
    match command {
        ExportCommand::Ssda903(args) => ssda903(args).await,
    }
}

async fn ssda903(args: YearArgs) -> Result<String, Failure> {
    let year = Period::collection_year(&args.year).map_err(input)?;
    let store = open(args.database.as_deref()).await?;
    let bar = spinner("reading the store");
    let snapshot = store
        .exchange_snapshot(year.start_micros(), year.end_micros())
        .await
        .map_err(Failure::runtime)?;
    bar.set_message("building the tables");
    let views = exchange::episodes::views(&snapshot);
    let (tables, problems) = exchange::ssda903::build(&snapshot, &views, &year);
    exchange::ssda903::write(&tables, &args.out).map_err(input)?;
    store
        .audit(&[export_audit("ssda903", jiff::Timestamp::now())])
        .await
        .map_err(Failure::runtime)?;
    bar.finish_and_clear();
    let summary = format!(
        "SSDA903 {}: {} children (header.csv), {} episodes (episodes.csv), {} missing or away episodes (missing.csv) in {}\n",
        year.label,
        tables.header.len(),
        tables.episodes.len(),
        tables.missing.len(),
        args.out.display()
    );
    problems_or(summary, &problems, &args.out)
}

/// The summary, or a failure listing each problem (the files are written so they can be
/// inspected, and `problems.csv` lists the same problems).
fn problems_or(
    summary: String,
    problems: &[exchange::ssda903::Problem],
    out: &Path,
) -> Result<String, Failure> {
    if problems.is_empty() {
        return Ok(summary);
    }
    let rows = problems.iter().map(|p| {
        [
            p.table.to_owned(),
            p.child.to_string(),
            p.column.to_owned(),
            p.message.clone(),
        ]
    });
    exchange::safe_csv::write(
        &out.join("problems.csv"),
        &["TABLE", "CHILD", "COLUMN", "PROBLEM"],
        rows,
    )
    .map_err(input)?;
    let mut text = format!(
        "{summary}{} problems must be put right before submitting (also in problems.csv):\n",
        problems.len()
    );
    for p in problems.iter().take(50) {
        text.push_str(&format!(
            "  {} child {} {}: {}\n",
            p.table, p.child, p.column, p.message
        ));
    }
    Err(Failure::input(text.trim_end()))
}
