//! `homeward users`, `homeward backup` and `homeward audit`.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use store::NewUser;
use web::access::Role;

use crate::setup::{Failure, Setup, database_url};

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

async fn open(database: Option<&str>) -> Result<std::sync::Arc<dyn store::Repository>, Failure> {
    let url = database_url(database);
    store::open(&url)
        .await
        .map_err(|e| Failure::runtime(format!("database {url}: {e}")))
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
            let store = open(database.as_deref()).await?;
            let authorities = store.authorities().await.map_err(Failure::runtime)?;
            let a = authorities
                .iter()
                .find(|a| a.code == authority)
                .ok_or_else(|| Failure::input(format!("no authority with code `{authority}`")))?;
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
            let hash = web::auth::hash_password(password)
                .map_err(|_| Failure::runtime("cannot hash the password"))?;
            let user = store
                .create_user(&NewUser {
                    username,
                    display_name,
                    role: role.as_str().into(),
                    authority_id: a.id,
                    password_hash: hash,
                })
                .await
                .map_err(|e| Failure::input(e.to_string()))?;
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
            let store = open(database.as_deref()).await?;
            let user = store
                .user_by_username(&username)
                .await
                .map_err(Failure::runtime)?
                .ok_or_else(|| Failure::input(format!("no user `{username}`")))?;
            let token =
                web::auth::random_secret().map_err(|_| Failure::runtime("no randomness"))?;
            store
                .create_token(
                    user.id,
                    &web::auth::secret_hash(&token),
                    &label,
                    web::micros(jiff::Timestamp::now()),
                )
                .await
                .map_err(Failure::runtime)?;
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
        let store = open(Some(&url)).await?;
        store.backup_to(&args.out).await.map_err(Failure::runtime)?;
    }
    Ok(format!("backup written to {}\n", args.out.display()))
}

pub async fn audit(command: AuditCommand) -> Result<String, Failure> {
    let AuditCommand::Verify { database } = command;
    let store = open(database.as_deref()).await?;
    let (rows, head) = store.audit_log().await.map_err(Failure::runtime)?;
    match store::audit::verify(&rows, (head.0, &head.1)) {
        Ok(n) => Ok(format!("audit log intact: {n} rows, chain verified\n")),
        Err(e) => Err(Failure {
            message: format!("audit log broken: {e}"),
            code: 1,
        }),
    }
}
