//! Shared by the worker's tests and the crash test of the binary: the loopback SMTP sink
//! (scripts/smtp-sink.py under the Python that scripts/test installs aiosmtpd into) and a
//! synthetic Newham partnership whose escalations fall due when the test wants, set up and read
//! through the casework layer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use casework::records::{
    Authority, BulkChild, BulkEpisode, ChildFields, Instant, NewAuthority, NewPlacement, NewUser,
    Role,
};
use casework::routing::Routing;
use casework::{Actor, Casework, Clock, MessageStatus, OutboxRecord};
use jiff::{SignedDuration, Timestamp};
use protocol::{Calendar, Catalog};
use serde_json::{Value, json};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The Python with aiosmtpd, or `None` to skip (an error when HOMEWARD_REQUIRE_SMTP=1).
pub fn python() -> Result<Option<PathBuf>, String> {
    match std::env::var_os("HOMEWARD_TEST_SMTP_PYTHON") {
        Some(p) => Ok(Some(PathBuf::from(p))),
        None if std::env::var("HOMEWARD_REQUIRE_SMTP").as_deref() == Ok("1") => Err(
            "HOMEWARD_REQUIRE_SMTP=1 but HOMEWARD_TEST_SMTP_PYTHON is not set (scripts/test sets it)"
                .into(),
        ),
        None => {
            eprintln!("skipped: set HOMEWARD_TEST_SMTP_PYTHON to a Python with aiosmtpd (scripts/test does)");
            Ok(None)
        }
    }
}

/// A free loopback port.
pub fn free_port() -> Result<u16, std::io::Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The SMTP sink process.
pub struct Sink {
    child: Option<Child>,
    python: PathBuf,
    /// Its port.
    pub port: u16,
    /// The JSON-lines file it appends to.
    pub path: PathBuf,
}

impl Sink {
    /// Starts a sink on `port` appending to `path`, returning once it accepts connections.
    pub fn start(python: &Path, port: u16, path: &Path) -> Result<Self, String> {
        let mut sink = Self {
            child: None,
            python: python.to_owned(),
            port,
            path: path.to_owned(),
        };
        sink.restart()?;
        Ok(sink)
    }

    /// Starts the sink again on the same port and file.
    pub fn restart(&mut self) -> Result<(), String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
        let mut child = Command::new(&self.python)
            .arg(&script)
            .arg(self.port.to_string())
            .arg(&self.path)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", self.python.display()))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out)
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
        }
        if line.trim() != "ready" {
            let _ = child.kill();
            return Err(format!("the SMTP sink did not start (said {line:?})"));
        }
        self.child = Some(child);
        Ok(())
    }

    /// Stops the sink (the port refuses connections until [`Sink::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Result<Vec<Value>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e.to_string()),
        };
        text.lines()
            .map(|l| serde_json::from_str(l).map_err(|e| format!("sink line: {e}")))
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The idempotency key header of a received message.
pub fn key_of(m: &Value) -> String {
    m["headers"]["X-Homeward-Idempotency-Key"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The casework layer over a new SQLite store at `path`, with the bundled packs and calendar.
pub async fn casework(path: &Path, clock: Clock) -> Result<Casework, Box<dyn std::error::Error>> {
    let store = casework::open_store(&format!("sqlite:{}", path.display())).await?;
    Ok(Casework::new(
        store,
        Catalog::bundled()?,
        Calendar::bundled()?,
        clock,
    ))
}

/// Routing of the test authority: the social worker's duty box, its manager, an admin.
pub fn routing() -> Value {
    json!({
        "recipients": {
            "social_worker": ["duty.newham@example.invalid"],
            "team_manager": ["team-manager.newham@example.invalid"],
        },
        "managers": {"social_worker": "team_manager"},
        "reescalate_after_minutes": 60,
        "admin": ["admin.newham@example.invalid"],
    })
}

/// Routing of the crash test and benchmark: only senior managers receive anything, so each
/// child gives one message, its 72-hour escalation (NEWHAM-ESC-LAC-72H).
pub fn senior_only() -> Value {
    json!({
        "recipients": {"senior_manager": ["senior-manager.newham@example.invalid"]},
        "admin": ["admin.newham@example.invalid"],
    })
}

/// The sign-in name of the test user of an authority (see [`authority`]).
fn test_user(authority: &Authority) -> String {
    format!("test.{}", authority.code.to_lowercase())
}

/// An authority `(code, name, protocol, police force)` with a routing document, and a social
/// worker of it who loads the tests' children and reads the authority's outbox ([`actor`]).
pub async fn authority(
    casework: &Casework,
    (code, name, protocol, force): (&str, &str, &str, &str),
    routing: &Value,
) -> Result<Authority, Box<dyn std::error::Error>> {
    let a = casework
        .add_authority(&NewAuthority {
            code: code.into(),
            name: name.into(),
            protocol: Some(protocol.parse()?),
            police_force: force.into(),
        })
        .await?;
    casework
        .add_user_hashed(&NewUser {
            username: test_user(&a),
            display_name: format!("Test user of {name}"),
            role: Role::SocialWorker,
            authority_id: a.id,
            password_hash: "-".into(),
        })
        .await?;
    let routing = Routing::parse(&routing.to_string())?;
    Ok(casework
        .set_routing_from_cli(code, &routing, "test")
        .await?)
}

/// The test user of an authority, as an actor.
pub async fn actor(
    casework: &Casework,
    authority: &Authority,
) -> Result<Actor, Box<dyn std::error::Error>> {
    Ok(casework.named_actor(&test_user(authority), "test").await?)
}

/// An authority's messages, newest first (read as its test user), optionally of one status.
pub async fn outbox(
    casework: &Casework,
    authority: &Authority,
    status: Option<MessageStatus>,
    limit: i64,
) -> Result<Vec<OutboxRecord>, Box<dyn std::error::Error>> {
    let actor = actor(casework, authority).await?;
    Ok(casework.notifications(&actor, status, limit).await?)
}

/// A timeline event as stored: `(at, JSON)`.
pub fn event(at: Timestamp, kind: &str, data: Value) -> (Instant, String) {
    (
        at.into(),
        json!({"at": at.to_string(), "type": kind, "data": data}).to_string(),
    )
}

/// A looked-after child of `responsible`, placed in `host`, with one episode of `events`
/// (the first opens it).
pub fn child(
    name: &str,
    responsible: &Authority,
    host: &Authority,
    events: Vec<(Instant, String)>,
) -> Result<BulkChild, Box<dyn std::error::Error>> {
    let opened = events.first().map_or(Instant::EPOCH, |e| e.0);
    Ok(BulkChild {
        fields: ChildFields {
            name: name.into(),
            dob: "2012-03-04".into(),
            facts: json!({"flags": ["open_to_csc", "allocated_sw"], "concerns": []}).to_string(),
        },
        placement: NewPlacement {
            responsible_authority_id: responsible.id,
            host_authority_id: host.id,
            legal_status: "s31_care_order".parse()?,
            placement_type: "foster".parse()?,
            police_force: host.police_force.clone(),
            travel_minutes: 10,
            starts_on: "2024-01-01".into(),
            change_reason: None,
        },
        earlier_placements: Vec::new(),
        created_at: Instant::from_micros(opened.micros() - 3_600_000_000),
        episodes: vec![BulkEpisode {
            opened_at: opened,
            events,
        }],
        documents: Vec::new(),
    })
}

/// Loads children recorded by the test user of `authority`, each with its plan.
pub async fn load(
    casework: &Casework,
    authority: &Authority,
    children: &[BulkChild],
) -> TestResult {
    let loader = actor(casework, authority).await?;
    for chunk in children.chunks(200) {
        casework.bulk_load(chunk, loader.id()).await?;
    }
    Ok(())
}

/// Newham's code, name, protocol and police force.
pub const NEWHAM: (&str, &str, &str, &str) = (
    "NEWHAM",
    "London Borough of Newham",
    "NEWHAM",
    "Metropolitan Police",
);

/// Newham (with `routing`) and `n` looked-after children reported missing `threshold` before
/// `first_due + i × spacing` (child `i`), so that their escalation at that threshold (24 hours:
/// NEWHAM-ESC-LAC-24H, 72 hours: NEWHAM-ESC-LAC-72H) falls due then. Returns the authority.
pub async fn seed_with(
    casework: &Casework,
    n: usize,
    first_due: Timestamp,
    spacing: SignedDuration,
    threshold: SignedDuration,
    routing: &Value,
) -> Result<Authority, Box<dyn std::error::Error>> {
    let newham = authority(casework, NEWHAM, routing).await?;
    let children = (0..n)
        .map(|i| {
            let reported = first_due + spacing * i as i32 - threshold;
            child(
                &format!("Test Child {i}"),
                &newham,
                &newham,
                vec![
                    event(
                        reported,
                        "reported_missing",
                        json!({"to": "Metropolitan Police", "police_ref": format!("T-{i}")}),
                    ),
                    event(
                        reported + SignedDuration::from_mins(10),
                        "risk_graded",
                        json!({"level": "medium"}),
                    ),
                ],
            )
        })
        .collect::<Result<Vec<BulkChild>, _>>()?;
    load(casework, &newham, &children).await?;
    Ok(newham)
}

/// [`seed_with`] the 24-hour escalation and [`routing`].
pub async fn seed(
    casework: &Casework,
    n: usize,
    first_due: Timestamp,
    spacing: SignedDuration,
) -> Result<Authority, Box<dyn std::error::Error>> {
    seed_with(
        casework,
        n,
        first_due,
        spacing,
        SignedDuration::from_hours(24),
        &routing(),
    )
    .await
}
