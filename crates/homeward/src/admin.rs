//! `homeward users`, `homeward backup` and `homeward audit`.

use std::io::Read;
use std::path::PathBuf;

use casework::records::Role;
use clap::{Args, Subcommand};

use crate::setup::{Failure, Setup, casework_at, database_url, refused};

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from standard input.
    Add {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Name shown to others.
        #[arg(long)]
        display_name: String,
        /// Role: social_worker, team_manager, senior_manager, edt, police_missing_coordinator,
        /// rhi_provider, admin, auditor.
        #[arg(long)]
        role: String,
        /// Code of the user's authority (e.g. NEWHAM).
        #[arg(long)]
        authority: String,
        /// Database: a SQLite file path (default ./homeward.db) or postgres://…
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
    /// Issue an API token for a machine client (printed once; only its hash is stored).
    Token {
        /// The user the token acts as.
        #[arg(long)]
        username: String,
        /// What the token is for.
        #[arg(long)]
        label: String,
        /// Database URL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

#[derive(Args)]
pub struct BackupArgs {
    /// Where to write the copy (a SQLite file, or a pg_dump file for PostgreSQL).
    out: PathBuf,
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; fails if any row was altered or removed.
    Verify {
        /// Database URL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

pub async fn users(_setup: Setup, command: UsersCommand) -> Result<String, Failure> {
    match command {
        UsersCommand::Add {
            username,
            display_name,
            role,
            authority,
            database,
        } => {
            let role: Role = role.parse().map_err(Failure::input)?;
            let casework = casework_at(database.as_deref()).await?;
            let a = casework
                .authority_by_code(&authority, "--authority")
                .await
                .map_err(refused)?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(Failure::runtime)?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.chars().count() < 12 {
                return Err(Failure::input(
                    "the password (on standard input) must be at least 12 characters",
                ));
            }
            let user = casework
                .add_user(&username, &display_name, role, &authority, password)
                .await
                .map_err(refused)?;
            Ok(format!(
                "user {} added ({} at {})\n",
                user.username, role, a.name
            ))
        }
        UsersCommand::Token {
            username,
            label,
            database,
        } => {
            let casework = casework_at(database.as_deref()).await?;
            let token = casework
                .issue_token(&username, &label)
                .await
                .map_err(refused)?;
            Ok(format!("{token}\n"))
        }
    }
}

pub async fn backup(args: BackupArgs) -> Result<String, Failure> {
    let url = database_url(args.database.as_deref());
    if args.out.exists() {
        return Err(Failure::input(format!(
            "{} exists; choose a new file",
            args.out.display()
        )));
    }
    if url.starts_with("postgres") {
        let status = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(&args.out)
            .arg(&url)
            .status()
            .map_err(|e| Failure::runtime(format!("pg_dump: {e}")))?;
        if !status.success() {
            return Err(Failure::runtime("pg_dump failed"));
        }
    } else {
        let casework = casework_at(Some(&url)).await?;
        casework
            .backup_to(&args.out)
            .await
            .map_err(Failure::runtime)?;
    }
    Ok(format!("backup written to {}\n", args.out.display()))
}

pub async fn audit(command: AuditCommand) -> Result<String, Failure> {
    let AuditCommand::Verify { database } = command;
    let casework = casework_at(database.as_deref()).await?;
    match casework.verify_audit().await.map_err(Failure::runtime)? {
        Ok(n) => Ok(format!("audit log intact: {n} rows, chain verified\n")),
        Err(e) => Err(Failure {
            message: format!("audit log broken: {e}"),
            code: 1,
        }),
    }
}
