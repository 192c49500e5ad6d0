//! Who is calling, as HTTP carries it: the session cookie (with the CSRF token changes must
//! send) or an API token (`Authorization: Bearer`). The casework layer checks the credentials
//! and makes the [`Actor`]; this module only reads them from the request and writes the cookie.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use casework::accounts::{SESSION_HOURS, csrf_matches};
use casework::{Actor, Credentials};

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "homeward_session";
/// Header carrying the session's CSRF token on changes made with a cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The `Set-Cookie` value that ends a browser's session.
pub const SIGNED_OUT_COOKIE: &str =
    "homeward_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller(pub Actor);

impl std::ops::Deref for Caller {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// The client's address, for the audit log.
pub fn remote_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The client's address as an extractor (`unknown` when the server does not know it).
pub struct RemoteAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RemoteAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RemoteAddr(remote_addr(parts)))
    }
}

/// The `Set-Cookie` value carrying a new session.
pub fn session_cookie(
    state: &AppState,
    credentials: &Credentials,
) -> Result<HeaderValue, ApiError> {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        credentials.session,
        SESSION_HOURS * 3600
    );
    HeaderValue::from_str(&cookie).map_err(ApiError::internal)
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
        let remote = remote_addr(parts);
        if let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            return Ok(Caller(state.casework.token_actor(token, &remote).await?));
        }
        let Some((actor, csrf)) = cookie_session(state, &parts.headers, &remote).await? else {
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
        Ok(Caller(actor))
    }
}

/// The actor signed in with the session cookie of these headers, with the session's CSRF
/// token; `None` without a live session. Checking the token is the caller's business: the API
/// reads it from a header, the HTML forms from a form field.
pub async fn cookie_session(
    state: &AppState,
    headers: &HeaderMap,
    remote_addr: &str,
) -> Result<Option<(Actor, String)>, ApiError> {
    let Some(session) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state.casework.session_actor(&session, remote_addr).await?)
}
