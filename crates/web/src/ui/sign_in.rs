//! Signing in and out of the HTML pages, with the same sessions (and throttle) as the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use casework::Code;

use super::forms::{Fields, FormErrors};
use super::layout::{Chrome, PageError, Viewer};
use crate::AppState;
use crate::auth::{RemoteAddr, SIGNED_OUT_COOKIE, session_cookie};

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    errors: FormErrors,
    username: String,
}

/// `GET /sign-in`.
pub async fn page() -> impl IntoResponse {
    SignInPage {
        chrome: Chrome::public("Sign in"),
        errors: FormErrors::default(),
        username: String::new(),
    }
}

/// `POST /sign-in`: starts a session and goes to My work; the same answer for an unknown user
/// and a wrong password, so user names do not leak.
pub async fn sign_in(
    State(state): State<AppState>,
    RemoteAddr(remote): RemoteAddr,
    Form(form): Form<Fields>,
) -> Response {
    let username = form.text("username");
    let password = form.get("password").unwrap_or_default().to_owned();
    let mut errors = FormErrors::default();
    if username.is_empty() {
        errors.add("username", "Enter your user name");
    }
    if password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if errors.is_empty() {
        match state.casework.sign_in(&username, &password, &remote).await {
            Ok(credentials) => {
                return match session_cookie(&state, &credentials) {
                    Ok(cookie) => {
                        ([(header::SET_COOKIE, cookie)], Redirect::to("/my-work")).into_response()
                    }
                    Err(e) => PageError::from(e).into_response(),
                };
            }
            Err(e) if e.code() == Code::Unauthenticated => {
                errors.add("username", "The user name or password is not right");
            }
            Err(e) if e.code() == Code::Throttled => {
                errors.add(
                    "username",
                    "Too many failed sign-ins: wait 15 minutes and try again",
                );
            }
            Err(e) => return PageError::from(e).into_response(),
        }
    }
    let status = if errors
        .of("username")
        .is_some_and(|m| m.starts_with("Too many"))
    {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        SignInPage {
            chrome: Chrome::public("Sign in"),
            errors,
            username,
        },
    )
        .into_response()
}

/// `POST /sign-out`: ends the session (CSRF-checked, so another site cannot sign people out).
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    state.casework.sign_out(&viewer.caller).await?;
    Ok((
        [(header::SET_COOKIE, SIGNED_OUT_COOKIE)],
        Redirect::to("/sign-in"),
    )
        .into_response())
}
