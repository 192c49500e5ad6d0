//! A partnership to work in: Newham (with a user of every role), Merton and Sheffield, over a
//! fresh store on each backend, on a test clock.

use std::sync::Arc;

use casework::records::{ChildId, Episode, EpisodeId, NewAuthority, NewUser, Protocol, Role, User};
use casework::{Actor, Casework, ChildChange, Clock, Facts, NewChild, Permission, PlacementChange};
use jiff::Timestamp;
use serde_json::{Value, json};

/// An application over a fresh store, and the raw store for what only a test does (looking
/// at tables, damaging a record).
pub struct App {
    pub casework: Casework,
    pub store: Arc<dyn store::Store>,
    pub url: String,
}

pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| unreachable!("{s}: {e}"))
}

fn unique() -> u128 {
    #[expect(
        clippy::disallowed_methods,
        reason = "a unique name for a scratch database"
    )]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

impl App {
    async fn over(url: String) -> Self {
        let store = store::open(&url)
            .await
            .unwrap_or_else(|e| unreachable!("{url}: {e}"));
        let casework = Casework::new(
            store.clone(),
            protocol::Catalog::bundled().unwrap_or_else(|e| unreachable!("{e}")),
            protocol::Calendar::bundled().unwrap_or_else(|e| unreachable!("{e}")),
            Clock::fixed(at("2024-09-06T20:00:00Z")),
        );
        for (code, name, protocol, force) in [
            (
                "NEWHAM",
                "London Borough of Newham",
                Protocol::Newham,
                "Metropolitan Police",
            ),
            (
                "MERTON",
                "London Borough of Merton",
                Protocol::Merton,
                "Metropolitan Police",
            ),
            (
                "SHEFFIELD",
                "Sheffield City Council",
                Protocol::Sy,
                "South Yorkshire Police",
            ),
        ] {
            let a = casework
                .add_authority(&NewAuthority {
                    code: code.into(),
                    name: name.into(),
                    protocol: Some(protocol),
                    police_force: force.into(),
                })
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            let roles: &[Role] = if code == "NEWHAM" {
                Role::ALL
            } else {
                &[Role::SocialWorker]
            };
            for role in roles {
                casework
                    .add_user_hashed(&NewUser {
                        username: format!("{role}.{}", code.to_ascii_lowercase()),
                        display_name: format!("{role} of {name}"),
                        role: *role,
                        authority_id: a.id,
                        password_hash: "not a hash: nobody signs in here".into(),
                    })
                    .await
                    .unwrap_or_else(|e| unreachable!("{e}"));
            }
        }
        App {
            casework,
            store,
            url,
        }
    }

    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("homeward-casework-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("{e}"));
        Self::over(dir.join("casework.db").display().to_string()).await
    }

    /// The PostgreSQL app, or `None` outside scripts/test (which requires it).
    pub async fn postgres() -> Option<Self> {
        let Ok(server) = std::env::var("HOMEWARD_TEST_POSTGRES") else {
            assert!(
                std::env::var("HOMEWARD_REQUIRE_POSTGRES").is_err(),
                "HOMEWARD_TEST_POSTGRES is not set"
            );
            return None;
        };
        use sqlx::Connection;
        let db = format!("casework_{}_{}", std::process::id(), unique());
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        Some(Self::over(format!("{base}/{db}")).await)
    }

    /// The actor a user name names.
    pub async fn actor(&self, username: &str) -> Actor {
        self.casework
            .named_actor(username, "test")
            .await
            .unwrap_or_else(|e| unreachable!("{username}: {e}"))
    }

    pub async fn user(&self, username: &str) -> User {
        self.casework
            .user_by_username(username)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Moves the test clock (and replans every child, as `serve --test-clock` does).
    pub async fn set_now(&self, t: &str) {
        self.casework
            .move_test_clock(at(t))
            .await
            .unwrap_or_else(|e| unreachable!("{t}: {e}"));
    }

    /// A Newham child in care placed in Merton, with an episode open: (child, episode).
    pub async fn seed_child(&self) -> (ChildId, Episode) {
        self.seed_child_of("social_worker.newham", "NEWHAM", "MERTON")
            .await
    }

    /// A child in care of `responsible` placed in `host`, recorded by `username`, with an
    /// episode open.
    pub async fn seed_child_of(
        &self,
        username: &str,
        responsible: &str,
        host: &str,
    ) -> (ChildId, Episode) {
        let sw = self.actor(username).await;
        let (child, _) = self
            .casework
            .create_child(
                &sw,
                &NewChild {
                    record: ChildChange {
                        name: "Lee Example".into(),
                        dob: "2009-04-04".into(),
                        facts: Facts {
                            flags: vec!["open_to_csc".into(), "allocated_sw".into()],
                            concerns: Vec::new(),
                        },
                    },
                    placement: placement(responsible, host, "2024-01-01"),
                },
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let scope = self
            .casework
            .change_child(&sw, child.id, Permission::OpenEpisode)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let episode = self
            .casework
            .open_episode(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        (child.id, episode)
    }

    /// Records an event on an episode as `username`.
    pub async fn record(
        &self,
        username: &str,
        episode: EpisodeId,
        event: Value,
    ) -> casework::Result<casework::Recorded> {
        let actor = self.actor(username).await;
        let (scope, episode) = self
            .casework
            .change_episode(&actor, episode, Permission::RecordEvent)
            .await?;
        self.casework
            .record_event(&scope, &episode, &event, None, None)
            .await
    }

    /// The number of rows of a table.
    pub async fn rows(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        if self.url.starts_with("postgres") {
            use sqlx::{Connection, Row};
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .and_then(|r| r.try_get("n"))
                .unwrap_or_else(|e| unreachable!("{e}"))
        } else {
            use sqlx::{Connection, Row};
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", self.url))
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .and_then(|r| r.try_get("n"))
                .unwrap_or_else(|e| unreachable!("{e}"))
        }
    }

    /// Runs one statement straight on the database (damaging a record as an old release or a
    /// hand edit might have left it).
    pub async fn execute(&self, sql: &str) {
        if self.url.starts_with("postgres") {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
        } else {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", self.url))
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
        }
    }
}

pub fn placement(responsible: &str, host: &str, starts_on: &str) -> PlacementChange {
    PlacementChange {
        responsible_authority: responsible.into(),
        host_authority: host.into(),
        legal_status: "s20".into(),
        placement_type: "residential".into(),
        police_force: None,
        travel_minutes: 20,
        starts_on: starts_on.into(),
        change_reason: None,
    }
}

pub fn event(at: &str, kind: &str, data: Value) -> Value {
    json!({"at": at, "type": kind, "data": data})
}

/// Runs an async test on SQLite and, under scripts/test, on PostgreSQL.
pub fn on_both<F, Fut>(test: F)
where
    F: Fn(App) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| unreachable!("{e}"));
    rt.block_on(async {
        test(App::sqlite().await).await;
        if let Some(app) = App::postgres().await {
            test(app).await;
        }
    });
}
