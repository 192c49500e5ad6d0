//! Signing in and out, and who am I.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Body;
use crate::AppState;
use crate::auth::{Caller, RemoteAddr, SIGNED_OUT_COOKIE, session_cookie};
use crate::error::{ApiError, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(me))
}

/// Sign-in details.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// User ID.
    pub id: i64,
    /// User name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: String,
    /// The user's authority (code).
    pub authority_id: i64,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct SessionStarted {
    /// Who signed in.
    pub user: Me,
    /// Send this in `X-CSRF-Token` with every change made with the session cookie.
    pub csrf_token: String,
}

fn me_of(user: &casework::records::User) -> Me {
    Me {
        id: user.id.get(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role.as_str().to_owned(),
        authority_id: user.authority_id.get(),
    }
}

/// Sign in with a user name and password; sets an HttpOnly, SameSite=Strict session cookie.
#[utoipa::path(post, path = "/api/v1/session", request_body = SignIn, tag = "session",
    responses((status = 200, body = SessionStarted), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    RemoteAddr(remote): RemoteAddr,
    Body(body): Body<SignIn>,
) -> Result<impl IntoResponse, ApiError> {
    let credentials = state
        .casework
        .sign_in(&body.username, &body.password, &remote)
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, &credentials)?);
    Ok((
        headers,
        Json(SessionStarted {
            user: me_of(&credentials.user),
            csrf_token: credentials.csrf,
        }),
    ))
}

/// Sign out: ends the session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    state.casework.sign_out(&caller).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static(SIGNED_OUT_COOKIE),
    );
    Ok((StatusCode::NO_CONTENT, headers))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(me_of(caller.user()))
}
