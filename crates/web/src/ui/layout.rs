//! What every page shares: the signed-in viewer (cookie session; no session means a redirect to
//! the sign-in page), the page chrome the layout template reads, the form CSRF check, error
//! pages that leak nothing, and how instants are shown (Europe/London).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;

use casework::accounts::csrf_matches;

use crate::AppState;
use crate::auth::{Caller, cookie_session};
use crate::error::ApiError;

/// The signed-in user of an HTML request, with the session's CSRF token for the forms.
pub struct Viewer {
    /// The caller, as the API knows it (role, authority, audit).
    pub caller: Caller,
    /// The session's CSRF token, carried by every form as `csrf_token`.
    pub csrf: String,
    /// The server's "now" when the request came (ISO-8601), so countdowns follow the server's
    /// clock (a test clock included) rather than the browser's.
    pub now: String,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let remote_addr = crate::auth::remote_addr(parts);
        match cookie_session(state, &parts.headers, &remote_addr).await? {
            Some((actor, csrf)) => Ok(Viewer {
                caller: Caller(actor),
                csrf,
                now: iso(state, state.now()),
            }),
            None => Err(PageError::SignIn),
        }
    }
}

impl Viewer {
    /// Fails unless a posted form carries the session's CSRF token.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), PageError> {
        if csrf_matches(sent.unwrap_or_default(), &self.csrf) {
            Ok(())
        } else {
            Err(PageError::Api(ApiError::csrf()))
        }
    }

    /// The chrome of a page titled `title` with `nav` the current navigation item.
    pub fn chrome(&self, title: impl Into<String>, nav: &'static str) -> Chrome {
        Chrome {
            title: title.into(),
            nav,
            user: Some(self.caller.user().display_name.clone()),
            role: role_label(self.caller.role().as_str()).to_owned(),
            csrf: self.csrf.clone(),
            now: self.now.clone(),
        }
    }
}

/// What the layout shows around a page.
pub struct Chrome {
    /// The page's title (also the `<title>`).
    pub title: String,
    /// The current navigation item (`my-work`, `missing-now`, …), empty for none.
    pub nav: &'static str,
    /// The signed-in user's name, if any.
    pub user: Option<String>,
    /// The user's role, as people say it.
    pub role: String,
    /// CSRF token for the sign-out form.
    pub csrf: String,
    /// The server's "now" (ISO-8601), empty on public pages.
    pub now: String,
}

impl Chrome {
    /// The chrome of a page seen without signing in.
    pub fn public(title: impl Into<String>) -> Self {
        Chrome {
            title: title.into(),
            nav: "",
            user: None,
            role: String::new(),
            csrf: String::new(),
            now: String::new(),
        }
    }

    /// `aria-current="page"` for the current navigation item.
    pub fn current(&self, item: &str) -> &'static str {
        if self.nav == item { "page" } else { "false" }
    }
}

/// The label a form's option list gives `key`, or `None` for a key not in the list.
pub fn option_label(options: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    options.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

/// A role (user role or owner role) as people say it.
pub fn role_label(role: &str) -> &str {
    match role {
        "social_worker" => "Social worker",
        "team_manager" => "Team manager",
        "senior_manager" => "Senior manager",
        "edt" => "Emergency duty team",
        "mash" => "MASH",
        "police" => "Police",
        "police_missing_coordinator" => "Police missing person coordinator",
        "rhi_provider" => "Return interview worker",
        "carer" => "Carer",
        "iro" => "Independent reviewing officer",
        "system" => "System",
        "admin" => "Administrator",
        "auditor" => "Auditor",
        other => other,
    }
}

/// A page that failed: sign in first, or an error shown as a GOV.UK error page.
pub enum PageError {
    /// No session: go to the sign-in page.
    SignIn,
    /// Any other failure, shown by status.
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl From<casework::CaseError> for PageError {
    fn from(e: casework::CaseError) -> Self {
        PageError::Api(e.into())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = match self {
            PageError::SignIn => return Redirect::to("/sign-in").into_response(),
            PageError::Api(e) => e,
        };
        let status = e.status();
        let (heading, message) = match status {
            StatusCode::UNAUTHORIZED => return Redirect::to("/sign-in").into_response(),
            StatusCode::NOT_FOUND => (
                "Page not found",
                "If you typed the web address, check it is correct. If you followed a link, the record may not exist or may not be shared with your authority.".to_owned(),
            ),
            StatusCode::FORBIDDEN if e.code() == "csrf_token_invalid" => (
                "Your form could not be sent",
                "The page you sent it from had expired. Go back, reload the page and try again.".to_owned(),
            ),
            StatusCode::FORBIDDEN => (
                "You cannot do this",
                "Your role does not allow this. Ask your team manager if you think it should.".to_owned(),
            ),
            StatusCode::CONFLICT => ("Someone else changed this record", e.message().to_owned()),
            StatusCode::TOO_MANY_REQUESTS => ("Too many attempts", e.message().to_owned()),
            s if s.is_client_error() => ("There is a problem", e.message().to_owned()),
            _ => (
                "Sorry, there is a problem with the service",
                "Try again later. What you entered has not been saved.".to_owned(),
            ),
        };
        let page = ErrorPage {
            chrome: Chrome::public(heading),
            heading,
            message,
        };
        (status, page).into_response()
    }
}

/// An instant as people read it, in Europe/London: `22 November 2026 at 14:05`.
pub fn when(state: &AppState, t: impl Into<Timestamp>) -> String {
    state
        .casework
        .calendar()
        .local(t.into())
        .strftime("%-d %B %Y at %H:%M")
        .to_string()
}

/// An instant in ISO-8601 with its Europe/London offset (for `<time datetime>`).
pub fn iso(state: &AppState, t: impl Into<Timestamp>) -> String {
    state.format(t)
}

/// How long until `due` (or how long past it) from `now`, in days, hours and minutes.
pub fn countdown(due: Timestamp, now: Timestamp) -> String {
    let secs = due.as_second() - now.as_second();
    let span = span_text(secs.unsigned_abs());
    if secs >= 0 {
        format!("due in {span}")
    } else {
        format!("overdue by {span}")
    }
}

/// Whole hours since `from` at `now`.
pub fn hours_since(from: Timestamp, now: Timestamp) -> i64 {
    (now.as_second() - from.as_second()) / 3600
}

fn span_text(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// The value of a `datetime-local` input for an instant (Europe/London wall clock).
pub fn local_input(state: &AppState, t: Timestamp) -> String {
    state
        .casework
        .calendar()
        .local(t)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Reads a `datetime-local` input as Europe/London wall-clock time.
pub fn parse_local(state: &AppState, s: &str) -> Option<Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().parse().ok()?;
    Some(state.casework.calendar().instant(dt))
}
