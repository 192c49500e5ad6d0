//! `homeward export …` and `homeward import …`: returns and lists written from the store, and
//! the police daily list read into it (crate `exchange` does the work; this file is the CLI).

use std::path::{Path, PathBuf};

use casework::records::{ChildId, EpisodeId, Instant, SnapshotChildren};
use casework::{Casework, ExportReader};
use clap::{Args, Subcommand};
use exchange::period::Period;
use indicatif::{ProgressBar, ProgressStyle};

use crate::setup::{Failure, Setup, database_url, refused};

/// What to export.
#[derive(Subcommand)]
pub enum ExportCommand {
    /// DfE SSDA903 Header, Episodes and Missing tables (CSV, dates dd/mm/YYYY) for a
    /// collection year, after Homeward's own checks.
    Ssda903(YearArgs),
    /// The South Yorkshire quarterly data return (protocol section 8.2), one row per
    /// responsible authority (quarterly.csv).
    Quarterly(QuarterArgs),
    /// The weekly missing-meeting list: every child missing at any time in the seven days
    /// ending on a date, with risk, hours missing and status (weekly.csv).
    Weekly(DateArgs),
    /// Ofsted Annex A list 8's missing columns: each child in care in the twelve months to a
    /// date, with how often missing and absent and whether a return interview was offered and
    /// accepted after the last missing episode (annex-a-list-8-CODE.csv and .xlsx per
    /// responsible authority).
    AnnexA(DateArgs),
    /// Compliance per authority and period: timed obligations (return interviews offered within
    /// 24 hours and held within 72 hours, meetings, escalations…) that fell due, met on time or
    /// late, with due instants from the engine (compliance.csv).
    Compliance(RangeArgs),
}

/// Where an export reads and whom its audit row names.
#[derive(Args)]
pub struct ExportStore {
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Sign-in name of the user running the export, named in its audit row (without it the row
    /// names the operating-system account that ran the command).
    #[arg(long = "as", value_name = "USERNAME")]
    user: Option<String>,
}

/// Options of an export over a range of days.
#[derive(Args)]
pub struct RangeArgs {
    /// First day (YYYY-MM-DD, London).
    #[arg(long, value_name = "DATE")]
    from: String,
    /// Last day (YYYY-MM-DD, London).
    #[arg(long, value_name = "DATE")]
    to: String,
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    store: ExportStore,
}

/// Options of an export up to a date.
#[derive(Args)]
pub struct DateArgs {
    /// Last day covered (YYYY-MM-DD, London).
    #[arg(long, value_name = "DATE")]
    to: String,
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    store: ExportStore,
}

impl DateArgs {
    fn last_day(&self) -> Result<jiff::civil::Date, Failure> {
        self.to
            .parse()
            .map_err(|_| Failure::input(format!("--to {:?}: expected YYYY-MM-DD", self.to)))
    }
}

/// Options of an export for a quarter.
#[derive(Args)]
pub struct QuarterArgs {
    /// Calendar quarter, e.g. 2025-Q3 (July to September 2025).
    #[arg(long, value_name = "YYYY-QN")]
    quarter: String,
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    store: ExportStore,
}

/// What to import.
#[derive(Subcommand)]
pub enum ImportCommand {
    /// The police daily missing list (CSV). Columns, with a header row: force,
    /// police_reference, child_reference (Homeward child ID) or name and date_of_birth,
    /// reported_at (ISO-8601 with offset, or dd/mm/YYYY HH:MM London time), risk (high, medium,
    /// low, no_apparent_risk), status (missing, found, returned), found_at (when found or
    /// returned). Rows are matched to children and episodes and recorded as events; any bad row
    /// rejects the whole file (row and column named) and nothing is written.
    PoliceList(PoliceListArgs),
    /// England & Wales bank holidays in the GOV.UK bank-holidays.json shape: checked (a bad
    /// file is refused with the line and column), then written to --out for use with the
    /// global `--bank-holidays FILE` option.
    BankHolidays(BankHolidaysArgs),
}

/// Options of `import bank-holidays`.
#[derive(Args)]
pub struct BankHolidaysArgs {
    /// The GOV.UK bank-holidays.json file.
    file: PathBuf,
    /// Where to keep the checked copy.
    #[arg(long, value_name = "FILE", default_value = "bank-holidays.json")]
    out: PathBuf,
}

/// Options of `import police-list`.
#[derive(Args)]
pub struct PoliceListArgs {
    /// The CSV file.
    file: PathBuf,
    /// Sign-in name of the user the events are recorded by (e.g. the police missing
    /// coordinator).
    #[arg(long = "as", value_name = "USERNAME")]
    user: String,
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
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
    #[command(flatten)]
    store: ExportStore,
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

/// The application over an export's or import's database.
async fn open(setup: Setup, database: Option<&str>) -> Result<Casework, Failure> {
    crate::setup::casework(setup, &database_url(database), casework::Clock::System).await
}

/// Who an export's audit row names: the user `--as` gave, else the operating-system account
/// that ran the command.
async fn reader(casework: &Casework, user: Option<&str>) -> Result<ExportReader, Failure> {
    match user {
        Some(name) => Ok(ExportReader::User(
            casework
                .named_actor(name, "command line")
                .await
                .map_err(|_| {
                    Failure::input(format!(
                        "--as {name}: no such user (or the account is deactivated)"
                    ))
                })?,
        )),
        None => Ok(ExportReader::Account(
            std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "unknown".into()),
        )),
    }
}

fn input(e: exchange::ExchangeError) -> Failure {
    match e {
        exchange::ExchangeError::Input(m) => Failure::input(m),
        other => Failure::runtime(other),
    }
}

/// Runs an export.
pub async fn export(setup: Setup, command: ExportCommand) -> Result<String, Failure> {
    match command {
        ExportCommand::Ssda903(args) => ssda903(setup, args).await,
        ExportCommand::Quarterly(args) => quarterly(setup, args).await,
        ExportCommand::Weekly(args) => weekly(setup, args).await,
        ExportCommand::AnnexA(args) => annex_a(setup, args).await,
        ExportCommand::Compliance(args) => compliance(setup, args).await,
    }
}

/// Obligations falling due in a period can come from episodes that started this long before.
const COMPLIANCE_LOOKBACK: i64 = 30 * 86_400_000_000;

async fn compliance(setup: Setup, args: RangeArgs) -> Result<String, Failure> {
    let day = |text: &str, flag: &str| {
        text.parse::<jiff::civil::Date>()
            .map_err(|_| Failure::input(format!("--{flag} {text:?}: expected YYYY-MM-DD")))
    };
    let period = Period::between(day(&args.from, "from")?, day(&args.to, "to")?).map_err(input)?;
    let Reading {
        casework,
        bar,
        snapshot,
        views,
    } = read(
        open(setup, args.store.database.as_deref()).await?,
        &args.store,
        "compliance",
        period.start_micros() - COMPLIANCE_LOOKBACK,
        period.end_micros(),
        SnapshotChildren::WithEpisodes,
        std::convert::identity,
    )
    .await?;
    let mut ids: Vec<ChildId> = views.iter().map(|v| v.child_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let found_at: std::collections::HashMap<EpisodeId, Instant> = views
        .iter()
        .filter_map(|v| v.ended_at.map(|e| (v.id, e)))
        .collect();
    bar.set_message(format!("reading {} children's files", ids.len()));
    let files = casework
        .export_files(&ids)
        .await
        .map_err(Failure::runtime)?;
    bar.set_message(format!("asking the engine about {} children", files.len()));
    let (catalog, calendar) = (casework.catalog(), casework.calendar());
    let evaluate = |file: &casework::records::ChildFile, at: Instant| {
        let evaluated = casework::evaluation::evaluate(catalog, calendar, file, at.timestamp())
            .map_err(|e| e.to_string())?;
        Ok(evaluated
            .open
            .iter()
            .map(|(o, episode_id)| {
                let stored = casework::evaluation::open_obligation(catalog, file, o, *episode_id);
                let rule = catalog.rule(o.rule);
                exchange::compliance::Listed {
                    rule: stored.rule,
                    share: stored.share,
                    kind: rule.kind.as_str().to_owned(),
                    authority_id: stored.authority_id,
                    episode_id: *episode_id,
                    due: stored.due,
                    overdue: o.status == protocol::engine::Status::Overdue,
                    ends_when_found: rule.ends_when_found,
                }
            })
            .collect())
    };
    let now = Instant::from(casework.now());
    let tallies = exchange::compliance::build(&files, &found_at, &period, now, &evaluate)
        .map_err(Failure::runtime)?;
    let codes = snapshot
        .authorities
        .iter()
        .map(|a| (a.id, a.code.clone()))
        .collect();
    exchange::compliance::write(&tallies, &codes, &period, &args.out).map_err(input)?;
    bar.finish_and_clear();
    let due: u64 = tallies.values().map(|t| t.fell_due).sum();
    let late: u64 = tallies.values().map(|t| t.late).sum();
    Ok(format!(
        "compliance, {}: {due} timed obligations fell due, {late} late, in {}\n",
        period.label,
        args.out.join("compliance.csv").display()
    ))
}

/// The weekly list reads episodes opened up to this long before the week (a child missing for
/// longer than that is listed by the open-episode dashboards, not here).
const WEEKLY_LOOKBACK: i64 = 365 * 86_400_000_000;

async fn weekly(setup: Setup, args: DateArgs) -> Result<String, Failure> {
    let week = Period::week_ending(args.last_day()?);
    let Reading {
        casework,
        bar,
        snapshot,
        views,
    } = read(
        open(setup, args.store.database.as_deref()).await?,
        &args.store,
        "weekly",
        week.start_micros() - WEEKLY_LOOKBACK,
        week.end_micros(),
        SnapshotChildren::WithEpisodes,
        std::convert::identity,
    )
    .await?;
    let now = Instant::from(casework.now());
    let rows = exchange::weekly::build(&snapshot, &views, &week, now);
    exchange::weekly::write(&rows, &args.out).map_err(input)?;
    bar.finish_and_clear();
    Ok(format!(
        "weekly list, {}: {} episodes in {}\n",
        week.label,
        rows.len(),
        args.out.join("weekly.csv").display()
    ))
}

async fn annex_a(setup: Setup, args: DateArgs) -> Result<String, Failure> {
    let period = Period::twelve_months_to(args.last_day()?);
    let Reading {
        bar,
        snapshot,
        views,
        ..
    } = read(
        open(setup, args.store.database.as_deref()).await?,
        &args.store,
        "annex-a",
        period.start_micros() - ANNEX_A_LOOKBACK,
        period.end_micros(),
        // Every child: List 8 lists children in care who were never missing too.
        SnapshotChildren::All,
        std::convert::identity,
    )
    .await?;
    let lists = exchange::annex_a::build(&snapshot, &views, &period);
    exchange::annex_a::write(&lists, &args.out).map_err(input)?;
    bar.finish_and_clear();
    let mut summary = format!(
        "Annex A list 8, {}: children in care by responsible authority, in {} (CSV and xlsx)\n",
        period.label,
        args.out.display()
    );
    for (code, rows) in &lists {
        summary.push_str(&format!(
            "  {code}: {} children ({}.csv)\n",
            rows.len(),
            exchange::annex_a::file_stem(code)
        ));
    }
    Ok(summary)
}

/// What every snapshot export starts from, its episodes kept as `T`.
struct Reading<T> {
    /// The application, open.
    casework: Casework,
    /// The spinner shown while the export works.
    bar: ProgressBar,
    /// The records in the export's window.
    snapshot: casework::records::ExchangeSnapshot,
    /// The episodes read from them.
    views: Vec<T>,
}

/// Opens the store and reads the snapshot an export needs between `from` and `to`, with the
/// episodes read and kept as `keep` makes them, the read audited (the same first step for
/// every snapshot export).
async fn read<T: Send>(
    casework: Casework,
    target: &ExportStore,
    what: &str,
    from: i64,
    to: i64,
    children: SnapshotChildren,
    keep: fn(exchange::episodes::EpisodeView) -> T,
) -> Result<Reading<T>, Failure> {
    let reader = reader(&casework, target.user.as_deref()).await?;
    let bar = spinner("reading the store");
    let mut views = Vec::new();
    let snapshot = casework
        .export_snapshot(
            &reader,
            what,
            Instant::from_micros(from),
            Instant::from_micros(to),
            children,
            &mut |episode, events| views.push(keep(exchange::episodes::view(episode, events))),
        )
        .await
        .map_err(Failure::runtime)?;
    Ok(Reading {
        casework,
        bar,
        snapshot,
        views,
    })
}

/// Annex A reads episodes opened up to this long before the twelve months: an episode opened
/// just before them can start (first absence or report) inside them.
const ANNEX_A_LOOKBACK: i64 = 28 * 86_400_000_000;

async fn quarterly(setup: Setup, args: QuarterArgs) -> Result<String, Failure> {
    let quarter = Period::quarter(&args.quarter).map_err(input)?;
    // The strategy-meeting triggers, and so how far back the repeat window reaches, come from
    // the SY rule pack.
    let casework = open(setup, args.store.database.as_deref()).await?;
    let triggers =
        exchange::quarterly::Triggers::from_catalog(casework.catalog(), casework.calendar())
            .map_err(input)?;
    let Reading {
        casework,
        bar,
        snapshot,
        views,
    } = read(
        casework.clone(),
        &args.store,
        "quarterly",
        triggers.look_back(quarter.start_micros()),
        quarter.end_micros(),
        SnapshotChildren::WithEpisodes,
        std::convert::identity,
    )
    .await?;
    bar.set_message("counting");
    let now = Instant::from(casework.now());
    let figures = exchange::quarterly::build(&snapshot, &views, &quarter, &triggers, now);
    exchange::quarterly::write(&figures, &quarter, &args.out).map_err(input)?;
    bar.finish_and_clear();
    let episodes: u64 = figures.values().map(|f| f.counts[1]).sum();
    Ok(format!(
        "quarterly return {}: {} authorities, {episodes} episodes, in {}\n",
        quarter.label,
        figures.len(),
        args.out.join("quarterly.csv").display()
    ))
}

async fn ssda903(setup: Setup, args: YearArgs) -> Result<String, Failure> {
    let year = Period::collection_year(&args.year).map_err(input)?;
    let Reading {
        bar,
        snapshot,
        views,
        ..
    } = read(
        open(setup, args.store.database.as_deref()).await?,
        &args.store,
        "ssda903",
        year.start_micros(),
        year.end_micros(),
        // Every child: the Header lists looked-after children with no episode too.
        SnapshotChildren::All,
        exchange::ssda903::Spell::from,
    )
    .await?;
    bar.set_message("building the tables");
    let (tables, problems) = exchange::ssda903::build(&snapshot, &views, &year);
    exchange::ssda903::write(&tables, &args.out).map_err(input)?;
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

/// Runs an import.
pub async fn import(setup: Setup, command: ImportCommand) -> Result<String, Failure> {
    match command {
        ImportCommand::PoliceList(args) => police_list(setup, args).await,
        ImportCommand::BankHolidays(args) => bank_holidays(&args),
    }
}

fn bank_holidays(args: &BankHolidaysArgs) -> Result<String, Failure> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::input(format!("{}: {e}", args.file.display())))?;
    let calendar = protocol::Calendar::from_govuk_json(&text).map_err(|e| {
        Failure::input(format!("{}: {e}; nothing was written", args.file.display()))
    })?;
    let days: Vec<jiff::civil::Date> = calendar.bank_holidays().collect();
    // Write beside the target and rename, so a reader never sees half a file.
    let partial = args.out.with_extension("json.partial");
    std::fs::write(&partial, &text)
        .and_then(|()| std::fs::rename(&partial, &args.out))
        .map_err(|e| Failure::runtime(format!("{}: {e}", args.out.display())))?;
    Ok(format!(
        "{} England & Wales bank holidays from {} to {} written to {}; use it with --bank-holidays {}\n",
        days.len(),
        days.first().map(ToString::to_string).unwrap_or_default(),
        days.last().map(ToString::to_string).unwrap_or_default(),
        args.out.display(),
        args.out.display()
    ))
}

/// Episodes opened this long before the earliest report on the list may still match it.
const MATCH_WINDOW_DAYS: i64 = 30;

async fn police_list(setup: Setup, args: PoliceListArgs) -> Result<String, Failure> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::input(format!("{}: {e}", args.file.display())))?;
    let rejected = |errors: Vec<exchange::police_list::RowError>| {
        let mut out = format!(
            "{}: {} problems; nothing was imported:\n",
            args.file.display(),
            errors.len()
        );
        for e in errors.iter().take(100) {
            out.push_str(&format!("  {e}\n"));
        }
        if errors.len() > 100 {
            out.push_str(&format!("  … and {} more\n", errors.len() - 100));
        }
        Failure::input(out.trim_end())
    };
    let rows = exchange::police_list::read(&text).map_err(rejected)?;
    let casework = open(setup, args.database.as_deref()).await?;
    let actor = casework
        .named_actor(&args.user, "command line")
        .await
        .map_err(|_| {
            Failure::input(format!(
                "--as {}: no such user (or the account is deactivated)",
                args.user
            ))
        })?;
    let bar = spinner("reading the store");
    let earliest = rows
        .iter()
        .map(|r| r.reported_at)
        .min()
        .unwrap_or(Instant::EPOCH);
    let (ids, names) = exchange::police_list::lookups(&rows);
    let candidates = casework
        .import_candidates(
            &ids,
            &names,
            Instant::from_micros(earliest.micros() - MATCH_WINDOW_DAYS * 86_400_000_000),
        )
        .await
        .map_err(Failure::runtime)?;
    bar.set_message(format!("matching {} rows", rows.len()));
    let views = exchange::police_list::views(&candidates);
    let plan = exchange::police_list::plan(
        &rows,
        &candidates,
        &views,
        actor.id(),
        Instant::from(casework.now()),
    )
    .map_err(rejected)?;
    bar.set_message(format!("recording events for {} children", plan.len()));
    let outcome = casework
        .import_events(&actor, "import:police-list", &plan)
        .await
        .map_err(|e| {
            let Failure { message, code } = refused(e);
            Failure {
                message: format!("nothing was imported: {message}"),
                code,
            }
        })?;
    bar.finish_and_clear();
    Ok(format!(
        "{}: {} rows; {} children updated, {} episodes opened, {} events recorded\n",
        args.file.display(),
        rows.len(),
        outcome.children,
        outcome.episodes_opened,
        outcome.events_added
    ))
}
