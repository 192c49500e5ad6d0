//! Accounts and sign-in: argon2id password hashes, cookie sessions with a CSRF token, API tokens
//! for machine clients, and throttling of failed sign-ins.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
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

/// The `Set-Cookie` value that ends a browser's session.
pub const SIGNED_OUT_COOKIE: &str =
    "homeward_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

/// Signs a user in (throttled): checks the password, stores a new session and returns the user,
/// the `Set-Cookie` value carrying the session and the session's CSRF token. Shared by the API
/// and the sign-in page.
pub async fn start_session(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(User, HeaderValue, String), ApiError> {
    let now = state.now();
    if state.throttle.blocked(username, now) {
        return Err(ApiError::throttled());
    }
    let user = state.store.user_by_username(username).await?;
    let Some(user) = user.filter(|u| u.active && verify_password(password, &u.password_hash))
    else {
        state.throttle.fail(username, now);
        return Err(ApiError::unauthenticated());
    };
    state.throttle.succeed(username);
    let session = random_secret()?;
    let csrf = random_secret()?;
    let expires = now + SignedDuration::from_hours(SESSION_HOURS);
    state
        .store
        .create_session(&secret_hash(&session), user.id, &csrf, micros(expires))
        .await?;
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    Ok((user, cookie, csrf))
}

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
        let Some((caller, csrf)) = cookie_session(state, &parts.headers, remote_addr).await? else {
            return Err(ApiError::unauthenticated());
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !csrf_matches(sent, &csrf) {
                return Err(ApiError::csrf());
            }
        }
        Ok(caller)
    }
}

/// The caller signed in with the session cookie of these headers, with the session's CSRF
/// token; `None` without a live session. Checking the token is the caller's business: the API
/// reads it from a header, the HTML forms from a form field.
pub async fn cookie_session(
    state: &AppState,
    headers: &HeaderMap,
    remote_addr: String,
) -> Result<Option<(Caller, String)>, ApiError> {
    let Some(session_id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = secret_hash(&session_id);
    let Some((user, csrf)) = state.store.session(&id_hash, micros(state.now())).await? else {
        return Ok(None);
    };
    match caller(user, remote_addr, Some(id_hash)) {
        Ok(c) => Ok(Some((c, csrf))),
        Err(e) if e.status() == axum::http::StatusCode::UNAUTHORIZED => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether a CSRF token sent with a change is the session's (compared as hashes, so the
/// comparison takes the same time wherever the strings differ).
pub fn csrf_matches(sent: &str, csrf: &str) -> bool {
    !sent.is_empty() && secret_hash(sent) == secret_hash(csrf)
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
