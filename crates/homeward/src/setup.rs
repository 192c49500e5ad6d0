//! Loading what every command needs: the rule packs and the calendar, from the built-in copies
//! or from files the user names.

use std::path::Path;

use protocol::{Calendar, Catalog};

/// A failed command: the message for standard error and the exit status.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad input from the user (a malformed file or argument): exit status 2.
    pub fn input(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            code: 2,
        }
    }
}

/// The loaded packs and calendar.
pub struct Setup {
    pub catalog: Catalog,
    pub calendar: Calendar,
}

impl Setup {
    pub fn load(packs: Option<&Path>, bank_holidays: Option<&Path>) -> Result<Self, Failure> {
        let catalog = match packs {
            None => Catalog::bundled(),
            Some(dir) => {
                let mut texts = Vec::new();
                for (name, _) in protocol::catalog::BUNDLED_PACKS {
                    let path = dir.join(name);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
                    texts.push((name, text));
                }
                let sources: Vec<(&str, &str)> =
                    texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
                Catalog::from_sources(&sources)
            }
        }
        .map_err(|e| Failure::input(format!("rule pack rejected: {e}")))?;
        let calendar = match bank_holidays {
            None => Calendar::bundled(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
                Calendar::from_govuk_json(&text)
            }
        }
        .map_err(|e| {
            Failure::input(format!(
                "{}: {e}",
                bank_holidays.map_or("built-in list".into(), |p| p.display().to_string())
            ))
        })?;
        Ok(Self { catalog, calendar })
    }
}

impl Failure {
    /// A failure of the environment (database, network): exit status 1.
    pub fn runtime(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            code: 1,
        }
    }
}

/// Runs an async command on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future<Output = Result<String, Failure>>>(
    f: F,
) -> Result<String, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::runtime)?
        .block_on(f)
}

/// The database URL of `--database`, defaulting to `./homeward.db`.
pub fn database_url(arg: Option<&str>) -> String {
    arg.map_or_else(|| "sqlite:homeward.db".to_owned(), str::to_owned)
}

/// The application over the database a URL names, with these packs and this clock.
pub async fn casework(
    setup: Setup,
    url: &str,
    clock: casework::Clock,
) -> Result<casework::Casework, Failure> {
    let store = casework::open_store(url)
        .await
        .map_err(|e| Failure::runtime(format!("database {url}: {e}")))?;
    Ok(casework::Casework::new(
        store,
        setup.catalog,
        setup.calendar,
        clock,
    ))
}

/// The application over the database of `--database`, with the built-in packs and the system
/// clock (commands that neither evaluate nor take `--packs`).
pub async fn casework_at(database: Option<&str>) -> Result<casework::Casework, Failure> {
    let setup = Setup::load(None, None)?;
    casework(setup, &database_url(database), casework::Clock::System).await
}

/// A refusal of the casework layer as a command's failure: bad input exits 2, the rest 1.
pub fn refused(e: casework::CaseError) -> Failure {
    match e.code() {
        casework::Code::ValidationFailed
        | casework::Code::BadRequest
        | casework::Code::NotFound
        | casework::Code::ConstraintViolated
        | casework::Code::VersionConflict => Failure::input(e),
        _ => Failure::runtime(e),
    }
}
