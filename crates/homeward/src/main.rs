//! `homeward`: the command-line entry point.

mod admin;
mod demo;
mod evaluate;
mod exchange;
mod notify;
mod rules;
mod server;
mod setup;

use std::path::PathBuf;

/// mimalloc rather than the system allocator: returns and imports allocate and free millions of
/// rows, and glibc's allocator spent a third of an export handing pages back to the kernel and
/// faulting them in again (perf, BENCHMARKS.md). Built with `no_thp`: with transparent huge
/// pages each first touch of a region zeroed 2 MiB, and that zeroing was a fifth of a return's
/// time; without them its system time halved.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Homeward runs the multi-agency protocols followed when a child goes missing from home or care.
#[derive(Parser)]
#[command(name = "homeward", version)]
struct Cli {
    /// Read the rule packs from this folder (hips.toml, lancs.toml, newham.toml, sy.toml,
    /// merton.toml) instead of the packs built in.
    #[arg(long, global = true, value_name = "DIR")]
    packs: Option<PathBuf>,
    /// Read England & Wales bank holidays from this file (GOV.UK bank-holidays.json shape)
    /// instead of the list built in.
    #[arg(long, global = true, value_name = "FILE")]
    bank_holidays: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every obligation open at the timeline's evaluation instant (timeline v1).
    Evaluate {
        /// A timeline v1 JSON file.
        file: PathBuf,
        /// Evaluate at this instant instead of the file's `evaluate_at` (ISO-8601 with offset).
        #[arg(long, value_name = "INSTANT")]
        at: Option<String>,
    },
    /// Inspect the rule packs.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Start the web server (JSON API, OpenAPI, health check).
    Serve(server::ServeArgs),
    /// Load the synthetic demo partnership into an empty database.
    Demo(server::DemoArgs),
    /// Manage user accounts.
    Users {
        #[command(subcommand)]
        command: admin::UsersCommand,
    },
    /// Write a consistent copy of the database while it is in use.
    Backup(admin::BackupArgs),
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: admin::AuditCommand,
    },
    /// Run the notification scheduler and dispatcher alone (serve runs them too).
    Worker(notify::WorkerArgs),
    /// Show or replace an authority's notification routing.
    Routing {
        #[command(subcommand)]
        command: notify::RoutingCommand,
    },
    /// Write returns and lists (SSDA903, Annex A, quarterly, weekly, compliance).
    Export {
        #[command(subcommand)]
        command: exchange::ExportCommand,
    },
    /// Read lists into the store (the police daily missing list).
    Import {
        #[command(subcommand)]
        command: exchange::ImportCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Warnings, and one line per delivered notification; HOMEWARD_LOG overrides.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOMEWARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,worker=info")),
        )
        .init();
    let result =
        setup::Setup::load(cli.packs.as_deref(), cli.bank_holidays.as_deref()).and_then(|setup| {
            match cli.command {
                Command::Evaluate { file, at } => evaluate::run(&setup, &file, at.as_deref()),
                Command::Rules { command } => rules::run(&setup, command),
                Command::Serve(args) => setup::block_on(server::serve(setup, args)),
                Command::Demo(args) => setup::block_on(server::demo(setup, args)),
                Command::Users { command } => setup::block_on(admin::users(setup, command)),
                Command::Backup(args) => setup::block_on(admin::backup(args)),
                Command::Audit { command } => setup::block_on(admin::audit(command)),
                Command::Worker(args) => setup::block_on(notify::worker(setup, args)),
                Command::Routing { command } => setup::block_on(notify::routing(command)),
                Command::Export { command } => setup::block_on(exchange::export(setup, command)),
                Command::Import { command } => setup::block_on(exchange::import(setup, command)),
            }
        });
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("homeward: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
