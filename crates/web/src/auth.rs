//! Accounts and sign-in: argon2id password hashes, cookie sessions with a CSRF token, API tokens
//! for machine clients, and throttling of failed sign-ins.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use store::{AuditEntry, User};

use crate::access::{Permission, Role};
use crate::error::ApiError;
use crate::{AppState, micros};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "homeward_session";
/// Header carrying the session's CSRF token on changes made with a cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(ApiError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Whether a password matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh random secret (session ID, CSRF or API token), hex.
pub fn random_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(hex::encode(bytes))
}

/// The stored form of a secret: secrets themselves are never stored or logged.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Failed sign-ins per user name within a sliding window.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Timestamp>>>,
}

impl Throttle {
    const WINDOW: SignedDuration = SignedDuration::from_mins(15);
    const LIMIT: usize = 5;

    /// Whether this user name is blocked now.
    pub fn blocked(&self, username: &str, now: Timestamp) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(username.to_owned()).or_default();
        list.retain(|t| now.duration_since(*t) < Self::WINDOW);
        list.len() >= Self::LIMIT
    }

    /// Records a failure.
    pub fn fail(&self, username: &str, now: Timestamp) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(username.to_owned())
            .or_default()
            .push(now);
    }

    /// Clears failures after a successful sign-in.
    pub fn succeed(&self, username: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(username);
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// The user's role.
    pub role: Role,
    /// The client's address, for the audit log.
    pub remote_addr: String,
    /// The session ID hash when signed in with a cookie (for sign-out).
    pub session: Option<String>,
}

impl Caller {
    /// Fails with 403 unless the role grants the permission.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// An audit entry for something this caller did.
    pub fn audit(
        &self,
        action: &str,
        entity: &str,
        entity_id: Option<i64>,
        child_id: Option<i64>,
        now: Timestamp,
    ) -> AuditEntry {
        AuditEntry {
            at: micros(now),
            user_id: Some(self.user.id),
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id,
            child_id,
            remote_addr: self.remote_addr.clone(),
        }
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let remote_addr = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        let now = state.now();
        if let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            let user = state
                .store
                .user_by_token(&secret_hash(token.trim()))
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            return caller(user, remote_addr, None);
        }
        let Some(session_id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthenticated());
        };
        let id_hash = secret_hash(&session_id);
        let (user, csrf) = state
            .store
            .session(&id_hash, micros(now))
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if sent.is_empty() || secret_hash(sent) != secret_hash(&csrf) {
                return Err(ApiError::csrf());
            }
        }
        caller(user, remote_addr, Some(id_hash))
    }
}

fn caller(user: User, remote_addr: String, session: Option<String>) -> Result<Caller, ApiError> {
    if !user.active {
        return Err(ApiError::unauthenticated());
    }
    let role = user.role.parse().map_err(ApiError::internal)?;
    Ok(Caller {
        user,
        role,
        remote_addr,
        session,
    })
}
