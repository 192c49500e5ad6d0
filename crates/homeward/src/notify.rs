//! `homeward worker`, the delivery options `serve` shares with it, and `homeward routing`.

use std::path::PathBuf;
use std::time::Duration;

use casework::Casework;
use casework::routing::Routing;
use clap::{Args, Subcommand};
use jiff::SignedDuration;
use worker::{Config, SmtpTls, Templates, Transport, Webhook};

use crate::setup::{Failure, Setup, database_url, refused};

/// How notifications are delivered.
#[derive(Args, Clone)]
pub struct DeliveryArgs {
    /// SMTP relay, `smtp://[user:password@]host[:port]`. Without it, messages are written as
    /// files to --mailbox.
    #[arg(long, value_name = "URL")]
    smtp_url: Option<String>,
    /// SMTP security: `starttls`, `tls`, or `none` (loopback relays only).
    #[arg(long, default_value = "starttls", value_parser = ["none", "starttls", "tls"])]
    smtp_tls: String,
    /// Folder that receives one .eml file per message when no SMTP relay is given.
    #[arg(long, default_value = "mailbox", value_name = "DIR")]
    mailbox: PathBuf,
    /// Folder of message templates (`{authority}/{kind}.txt`, `default/{kind}.txt`), read at
    /// send time; the built-in templates otherwise.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Sender address of notifications.
    #[arg(long, default_value = "Homeward <homeward@example.invalid>")]
    mail_from: String,
    /// Base URL of the web server in acknowledgement links.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Delay before the first retry, in milliseconds (doubles each attempt, with jitter).
    #[arg(long, default_value_t = 2000, hide = true)]
    retry_base_ms: u64,
    /// Seconds a dispatcher reserves the messages it is sending.
    #[arg(long, default_value_t = 60, hide = true)]
    lease_seconds: i64,
    /// Seconds a webhook receiver has to answer before the attempt is retried.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    webhook_timeout: u64,
}

/// The environment variable holding the secret that signs webhook bodies. Read from the
/// environment only, never a flag, so it does not show in process listings or shell history.
const WEBHOOK_SECRET_ENV: &str = "HOMEWARD_WEBHOOK_SECRET";

impl DeliveryArgs {
    fn config(&self, default_url: &str) -> Result<Config, Failure> {
        let transport = match &self.smtp_url {
            Some(url) => {
                let tls: SmtpTls = self.smtp_tls.parse().map_err(Failure::input)?;
                Transport::smtp(url, tls, &self.mail_from).map_err(Failure::input)?
            }
            None => {
                Transport::mailbox(self.mailbox.clone(), &self.mail_from).map_err(Failure::input)?
            }
        };
        let mut config = Config::new(
            transport,
            Templates {
                dir: self.templates.clone(),
            },
            self.public_url
                .clone()
                .unwrap_or_else(|| default_url.to_owned()),
        );
        config.webhook = match std::env::var(WEBHOOK_SECRET_ENV) {
            Ok(secret) => Some(
                Webhook::new(secret, Duration::from_secs(self.webhook_timeout.max(1)))
                    .map_err(|e| Failure::input(format!("{WEBHOOK_SECRET_ENV}: {e}")))?,
            ),
            Err(_) => None,
        };
        config.backoff_base = Duration::from_millis(self.retry_base_ms.max(1));
        config.lease = SignedDuration::from_secs(self.lease_seconds.max(1));
        Ok(config)
    }

    /// Where messages go, for the start-up line.
    pub fn describe(&self) -> String {
        let webhooks = if std::env::var_os(WEBHOOK_SECRET_ENV).is_some() {
            "webhooks signed with HOMEWARD_WEBHOOK_SECRET"
        } else {
            "webhooks off (no HOMEWARD_WEBHOOK_SECRET)"
        };
        let email = match &self.smtp_url {
            Some(url) => format!(
                "notifications by SMTP via {}",
                url.rsplit('@').next().unwrap_or(url)
            ),
            None => format!("notifications written to {}/", self.mailbox.display()),
        };
        format!("{email}; {webhooks}")
    }

    /// Starts the scheduler and dispatcher in this process.
    pub async fn start(
        &self,
        casework: Casework,
        default_url: &str,
    ) -> Result<Vec<tokio::task::JoinHandle<()>>, Failure> {
        let config = self.config(default_url)?;
        worker::start(casework, config)
            .await
            .map_err(Failure::runtime)
    }
}

/// Options of `homeward worker`.
#[derive(Args)]
pub struct WorkerArgs {
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    #[command(flatten)]
    delivery: DeliveryArgs,
}

/// Runs the scheduler and dispatcher alone until interrupted.
pub async fn worker(setup: Setup, args: WorkerArgs) -> Result<String, Failure> {
    let url = database_url(args.database.as_deref());
    let casework = crate::setup::casework(setup, &url, casework::Clock::System).await?;
    let tasks = args
        .delivery
        .start(casework, "http://127.0.0.1:8080")
        .await?;
    println!(
        "Homeward worker running with {url}: {}",
        args.delivery.describe()
    );
    let _ = tokio::signal::ctrl_c().await;
    for t in tasks {
        t.abort();
    }
    Ok(String::new())
}

/// `homeward routing`.
#[derive(Subcommand)]
pub enum RoutingCommand {
    /// Print an authority's notification routing (JSON).
    Show {
        /// Authority code, e.g. NEWHAM.
        code: String,
        /// Database: a SQLite file path (default ./homeward.db) or postgres://…
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
    /// Replace an authority's notification routing with a checked JSON file.
    Set {
        /// Authority code, e.g. NEWHAM.
        code: String,
        /// The routing document (JSON).
        file: PathBuf,
        /// Database: a SQLite file path (default ./homeward.db) or postgres://…
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

/// Runs `homeward routing show|set`.
pub async fn routing(command: RoutingCommand) -> Result<String, Failure> {
    match command {
        RoutingCommand::Show { code, database } => {
            let casework = crate::setup::casework_at(database.as_deref()).await?;
            let a = casework
                .authority_by_code(&code.to_ascii_uppercase(), "CODE")
                .await
                .map_err(refused)?;
            let routing = Routing::parse(&a.routing).map_err(Failure::input)?;
            let text = serde_json::to_string_pretty(&routing).map_err(Failure::runtime)?;
            Ok(format!("{text}\n"))
        }
        RoutingCommand::Set {
            code,
            file,
            database,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
            let routing = Routing::parse(&text)
                .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
            let casework = crate::setup::casework_at(database.as_deref()).await?;
            let a = casework
                .set_routing_from_cli(&code.to_ascii_uppercase(), &routing, "cli")
                .await
                .map_err(refused)?;
            Ok(format!("routing of {} replaced\n", a.code))
        }
    }
}

/// Gives every authority without routing the demo partnership's synthetic routing.
pub async fn demo_routing(casework: &Casework) -> Result<(), Failure> {
    for a in casework.authorities().await.map_err(Failure::runtime)? {
        if Routing::parse(&a.routing).map_or(true, |r| r.recipients.is_empty()) {
            casework
                .set_routing_from_cli(&a.code, &Routing::demo(&a.code), "demo")
                .await
                .map_err(Failure::runtime)?;
        }
    }
    Ok(())
}
