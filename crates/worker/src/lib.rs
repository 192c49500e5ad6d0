//! Homeward's worker: the scheduler that turns obligations falling due into notifications in
//! the outbox (in the same transaction as the obligation state), and the dispatcher that
//! delivers the outbox at least once. Side effects leave Homeward only through the outbox.
//! The worker decides what is said to whom and how it is delivered; everything it reads or
//! writes, and the time it reads, goes through the casework layer ([`casework::Casework`]).

pub mod dispatcher;
pub mod messages;
pub mod scheduler;
pub mod templates;
pub mod transport;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use casework::{CaseError, Casework};
use jiff::SignedDuration;
use tokio::sync::Notify;

pub use templates::Templates;
pub use transport::{SmtpTls, Transport};
pub use webhook::Webhook;

/// How the worker delivers.
#[derive(Clone)]
pub struct Config {
    /// Where e-mail goes.
    pub transport: Transport,
    /// How webhooks are posted and signed; without it (no secret configured) webhook messages
    /// are dead letters that alert the admins.
    pub webhook: Option<Webhook>,
    /// Message templates.
    pub templates: Templates,
    /// Base URL of the web server, for acknowledgement links.
    pub public_url: String,
    /// Attempts before a message is dead.
    pub max_attempts: i64,
    /// First retry delay (doubling each attempt, with jitter).
    pub backoff_base: Duration,
    /// How long a leased message is reserved for the dispatcher that took it.
    pub lease: SignedDuration,
    /// The longest sleep: a safety net for changes made by another process, which cannot
    /// signal this one.
    pub max_sleep: SignedDuration,
}

impl Config {
    /// Defaults around a transport.
    pub fn new(transport: Transport, templates: Templates, public_url: String) -> Self {
        Self {
            transport,
            webhook: None,
            templates,
            public_url: public_url.trim_end_matches('/').to_owned(),
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            lease: SignedDuration::from_secs(60),
            max_sleep: SignedDuration::from_secs(60),
        }
    }
}

/// What the scheduler and dispatcher share.
pub struct Shared {
    /// The application: the store, the rule packs, the calendar and the clock.
    pub casework: Casework,
    /// Settings.
    pub config: Config,
    /// The secret that signs acknowledgement links.
    pub secret: String,
    /// Signalled when the scheduler writes messages.
    pub outbox_ready: Notify,
}

impl Shared {
    /// What the scheduler and dispatcher share, with the installation's notification secret
    /// (made and stored now if there is none yet).
    pub async fn new(casework: Casework, config: Config) -> Result<Self, CaseError> {
        let secret = casework.notification_secret().await?;
        Ok(Self {
            casework,
            config,
            secret,
            outbox_ready: Notify::new(),
        })
    }
}

/// Starts the scheduler and the dispatcher on the current Tokio runtime, after writing the
/// plans of any children whose lists were never written (a store from before they were kept).
pub async fn start(
    casework: Casework,
    config: Config,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    casework
        .rebuild_lists()
        .await
        .map_err(|e| format!("rebuilding the lists: {e}"))?;
    let shared = Arc::new(
        Shared::new(casework, config)
            .await
            .map_err(|e| format!("notification secret: {e}"))?,
    );
    Ok(vec![
        tokio::spawn(scheduler::run(shared.clone())),
        tokio::spawn(dispatcher::run(shared)),
    ])
}
