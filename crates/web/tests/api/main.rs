//! In-process API tests: a test-app builder over a real store (SQLite, and PostgreSQL when the
//! test server is available), requests sent straight to the router.

mod acknowledgement;
mod authorization;
mod charts;
mod concurrency;
mod journey;
mod not_found;
mod openapi;
mod patterns;
mod ui;
mod validation;

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use casework::{Casework, Clock};
use http_body_util::BodyExt;
use jiff::Timestamp;
use protocol::vocabulary::Protocol;
use serde_json::{Value, json};
use store::{AuthorityId, ChildId, EpisodeId, NewAuthority, NewUser, Role, Store};
use tower::ServiceExt;
use web::{AppState, Settings};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A running application over a fresh store, with users of every role at Newham and a social
/// worker at Sheffield (a foreign authority), each with an API token named after them.
pub(crate) struct TestApp {
    pub(crate) state: AppState,
    /// The store under the application, for set-up no use case offers and for reading what
    /// the database holds.
    pub(crate) store: Arc<dyn Store>,
    pub(crate) router: axum::Router,
}

/// A cheap argon2id hash so tests do not spend seconds hashing (verification reads the
/// parameters from the hash, so sign-in works as in production).
fn cheap_hash(password: &str) -> String {
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(64, 1, 1, None).unwrap_or_default(),
    );
    let salt =
        SaltString::encode_b64(b"homeward-test-salt").unwrap_or_else(|e| unreachable!("{e}"));
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

pub(crate) fn token(username: &str) -> String {
    format!("token-{username}")
}

impl TestApp {
    pub(crate) async fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("homeward-api-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("{e}"));
        Self::with_store(
            casework::open_store(dir.join("api.db").to_str().unwrap_or_default())
                .await
                .unwrap_or_else(|e| unreachable!("{e}")),
        )
        .await
    }

    /// The PostgreSQL app, or `None` outside scripts/test (which requires it).
    pub(crate) async fn postgres() -> Option<Self> {
        let Ok(server) = std::env::var("HOMEWARD_TEST_POSTGRES") else {
            assert!(
                std::env::var("HOMEWARD_REQUIRE_POSTGRES").is_err(),
                "HOMEWARD_TEST_POSTGRES is not set"
            );
            return None;
        };
        use sqlx::Connection;
        let db = format!("api_{}_{}", std::process::id(), unique());
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        Some(
            Self::with_store(
                casework::open_store(&format!("{base}/{db}"))
                    .await
                    .unwrap_or_else(|e| unreachable!("{e}")),
            )
            .await,
        )
    }

    async fn with_store(store: Arc<dyn Store>) -> Self {
        let start = "2024-09-06T20:00:00Z"
            .parse::<Timestamp>()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let casework = Casework::new(
            store.clone(),
            protocol::Catalog::bundled().unwrap_or_else(|e| unreachable!("{e}")),
            protocol::Calendar::bundled().unwrap_or_else(|e| unreachable!("{e}")),
            Clock::fixed(start),
        );
        let hash = cheap_hash(PASSWORD);
        for (code, name, protocol, force) in [
            (
                "NEWHAM",
                "London Borough of Newham",
                Some(Protocol::Newham),
                "Metropolitan Police",
            ),
            (
                "MERTON",
                "London Borough of Merton",
                Some(Protocol::Merton),
                "Metropolitan Police",
            ),
            (
                "SHEFFIELD",
                "Sheffield City Council",
                Some(Protocol::Sy),
                "South Yorkshire Police",
            ),
            ("KENT", "Kent County Council", None, "Kent Police"),
        ] {
            let a = casework
                .add_authority(&NewAuthority {
                    code: code.into(),
                    name: name.into(),
                    protocol,
                    police_force: force.into(),
                })
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            let roles: Vec<Role> = match code {
                "NEWHAM" => Role::ALL.to_vec(),
                "MERTON" | "SHEFFIELD" => vec![Role::SocialWorker],
                _ => vec![],
            };
            for role in roles {
                let username = format!("{}.{}", role.as_str(), code.to_ascii_lowercase());
                let user = casework
                    .add_user_hashed(&NewUser {
                        username: username.clone(),
                        display_name: username.clone(),
                        role,
                        authority_id: a.id,
                        password_hash: hash.clone(),
                    })
                    .await
                    .unwrap_or_else(|e| unreachable!("{e}"));
                casework
                    .add_token(&user, &token(&username), "test")
                    .await
                    .unwrap_or_else(|e| unreachable!("{e}"));
            }
        }
        let state = AppState::new(casework, Settings::default());
        let router = web::app(state.clone());
        Self {
            state,
            store,
            router,
        }
    }

    /// Moves the test clock forwards to `t` and replans every child at the new instant (as
    /// `POST /test/clock` does), so stored obligations are the engine's answer then.
    pub(crate) async fn set_now(&self, t: &str) {
        let to: Timestamp = t.parse().unwrap_or_else(|e| unreachable!("{t}: {e}"));
        self.state
            .casework
            .move_test_clock(to)
            .await
            .unwrap_or_else(|e| unreachable!("moving the clock to {t}: {e}"));
    }

    /// The ID of the authority with `code`.
    pub(crate) async fn authority(&self, code: &str) -> AuthorityId {
        self.store
            .authorities()
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.code == code)
            .map(|a| a.id)
            .unwrap_or_else(|| unreachable!("no authority {code}"))
    }

    /// The whole audit log, in order.
    pub(crate) async fn audit_log(&self) -> Vec<store::AuditRecord> {
        self.store
            .audit_log()
            .await
            .map(|(rows, _)| rows)
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Sends a request as `user` (by API token; `None` for anonymous).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(u) = user {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", token(u)));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap_or_else(|e| unreachable!("{e}"));
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
            text,
        }
    }

    pub(crate) async fn get(&self, path: &str, user: &str) -> Reply {
        self.call(Method::GET, path, Some(user), None, &[]).await
    }

    pub(crate) async fn post(&self, path: &str, user: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(user), Some(body), &[])
            .await
    }

    /// A Newham child in care placed in Merton, and an open episode: returns (child, episode).
    pub(crate) async fn seed_child(&self) -> (ChildId, EpisodeId) {
        let r = self
            .post(
                "/api/v1/children",
                "social_worker.newham",
                json!({"name": "Lee Example", "dob": "2009-04-04", "facts": {"flags": ["open_to_csc", "allocated_sw", "trigger_plan_exists"]},
                       "placement": {"responsible_authority": "NEWHAM", "host_authority": "MERTON", "legal_status": "s20",
                                     "placement_type": "residential", "starts_on": "2024-01-01"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let child = ChildId(r.json["id"].as_i64().unwrap_or_default());
        let r = self
            .post(
                &format!("/api/v1/children/{child}/episodes"),
                "social_worker.newham",
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (child, EpisodeId(r.json["id"].as_i64().unwrap_or_default()))
    }

    /// Number of audit rows.
    pub(crate) async fn audit_rows(&self) -> usize {
        self.audit_log().await.len()
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "a unique name for a scratch database"
)]
fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A response.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) json: Value,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn etag(&self) -> String {
        self.headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// Runs an async test body on SQLite and, under scripts/test, on PostgreSQL.
pub(crate) fn on_both<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| unreachable!("{e}"));
    rt.block_on(async {
        test(TestApp::sqlite().await).await;
        if let Some(app) = TestApp::postgres().await {
            test(app).await;
        }
    });
}
