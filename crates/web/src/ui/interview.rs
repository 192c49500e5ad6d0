//! Return home interviews: record an outcome (offered, completed with push and pull factors and
//! disclosures, declined, no engagement), see it, and a manager's sign-off. Stored by the same
//! function as the API, with the event the engine reads.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use casework::records::{EpisodeId, InterviewId};
use casework::{ChildScope, InterviewInput, Permission};

use super::episode::episode_for;
use super::event_forms::satisfies;
use super::forms::{Fields, FormErrors};
use super::layout::{Chrome, PageError, Viewer, iso, local_input, option_label, parse_local, when};
use crate::AppState;
use crate::error::ApiError;

/// Outcomes, as stored and as people say them.
const OUTCOMES: &[(&str, &str)] = &[
    ("offered", "Offered (or scheduled)"),
    ("completed", "Completed"),
    ("declined", "Declined by the child"),
    ("no_engagement", "No engagement"),
];

/// Ways an interview is held.
const MODES: &[(&str, &str)] = &[
    ("in_person", "In person"),
    ("telephone", "By telephone"),
    ("video", "By video"),
];

#[derive(Template, WebTemplate)]
#[template(path = "interview_new.html")]
struct NewInterview {
    chrome: Chrome,
    episode_id: i64,
    child_name: String,
    errors: FormErrors,
    values: HashMap<String, String>,
    outcomes: &'static [(&'static str, &'static str)],
    modes: &'static [(&'static str, &'static str)],
}

impl NewInterview {
    fn val(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

/// The name of the child of a scope, for page captions.
pub async fn child_name(state: &AppState, scope: &ChildScope<'_>) -> Result<String, ApiError> {
    Ok(state.casework.child_record(scope).await?.0.name)
}

/// `GET /episodes/{id}/interviews/new`.
pub async fn new(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
) -> Result<Response, PageError> {
    viewer.caller.require(Permission::RecordInterview)?;
    let (scope, _) = state
        .casework
        .read_episode(&viewer.caller, id, "episode")
        .await?;
    let mut values = HashMap::new();
    values.insert("at".to_owned(), local_input(&state, state.now()));
    Ok(NewInterview {
        chrome: viewer.chrome("Record a return interview", ""),
        episode_id: id.get(),
        child_name: child_name(&state, &scope).await?,
        errors: FormErrors::default(),
        values,
        outcomes: OUTCOMES,
        modes: MODES,
    }
    .into_response())
}

/// `POST /episodes/{id}/interviews`.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let (scope, episode) =
        episode_for(&state, &viewer.caller, id, Permission::RecordInterview).await?;
    let mut errors = FormErrors::default();
    let outcome = form.text("outcome");
    if !OUTCOMES.iter().any(|(o, _)| *o == outcome) {
        errors.add("outcome", "Choose the outcome");
    }
    let at = parse_local(&state, form.get("at").unwrap_or_default());
    if at.is_none() {
        errors.add("at", "Enter when as a date and time (UK time)");
    }
    if form.get("interviewer").is_none() {
        errors.add("interviewer", "Enter who offered or held the interview");
    }
    if let (true, Some(at)) = (errors.is_empty(), at) {
        let body = InterviewInput {
            outcome,
            at: iso(&state, at),
            interviewer: form.text("interviewer"),
            mode: form.get("mode").map(str::to_owned),
            push_factors: form.text("push_factors"),
            pull_factors: form.text("pull_factors"),
            disclosures: form.text("disclosures"),
            satisfies: satisfies(&form),
        };
        match state
            .casework
            .record_interview(&scope, &episode, &body)
            .await
        {
            Ok(i) => return Ok(Redirect::to(&format!("/interviews/{}", i.id)).into_response()),
            Err(e) => errors = FormErrors::from_api(e.into(), "")?,
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        NewInterview {
            chrome: viewer.chrome("Record a return interview", ""),
            episode_id: id.get(),
            child_name: child_name(&state, &scope).await?,
            errors,
            values: form.values(),
            outcomes: OUTCOMES,
            modes: MODES,
        },
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "interview.html")]
struct InterviewPage {
    chrome: Chrome,
    id: i64,
    episode_id: i64,
    child_name: String,
    version: i64,
    outcome: String,
    at: String,
    interviewer: String,
    mode: String,
    push_factors: String,
    pull_factors: String,
    disclosures: Option<String>,
    signed_off: Option<String>,
    can_sign_off: bool,
}

/// `GET /interviews/{id}`: the record; disclosures only for roles that may see them.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<InterviewId>,
) -> Result<Response, PageError> {
    let (scope, episode, interview) = state.casework.read_interview(&viewer.caller, id).await?;
    let signer = match interview.signed_off_by {
        Some(u) => state.casework.user_name(u).await?,
        None => None,
    };
    let caller = &viewer.caller;
    let outcome = interview.outcome.as_str();
    Ok(InterviewPage {
        chrome: viewer.chrome("Return interview", ""),
        id: id.get(),
        episode_id: episode.id.get(),
        child_name: child_name(&state, &scope).await?,
        version: interview.version,
        outcome: option_label(OUTCOMES, outcome).map_or(outcome.to_owned(), str::to_owned),
        at: when(&state, interview.at),
        interviewer: interview.interviewer.clone(),
        mode: interview
            .mode
            .and_then(|m| option_label(MODES, m.as_str()))
            .map_or(String::new(), str::to_owned),
        push_factors: interview.push_factors.clone(),
        pull_factors: interview.pull_factors.clone(),
        disclosures: caller
            .may(Permission::ReadDisclosures)
            .then(|| interview.disclosures.clone()),
        signed_off: interview.signed_off_at.map(|t| {
            format!(
                "Signed off by {} on {}",
                signer.unwrap_or_default(),
                when(&state, t)
            )
        }),
        can_sign_off: caller.may(Permission::SignOff) && interview.signed_off_at.is_none(),
    }
    .into_response())
}

/// `POST /interviews/{id}/sign-off` (field `version`, the version read, so two managers do not
/// sign off over each other).
pub async fn sign_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<InterviewId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::validation("version", "reload the page and try again"))?;
    state
        .casework
        .sign_off_interview(&viewer.caller, id, version)
        .await?;
    Ok(Redirect::to(&format!("/interviews/{id}")).into_response())
}
