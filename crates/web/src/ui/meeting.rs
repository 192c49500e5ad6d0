//! Meetings: type, chair, attendees, decisions and action items with owners and due dates. The
//! action items are tracked like obligations (on the episode and in My work, marked as from the
//! meeting) and can be marked done.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use casework::records::{ActionId, EpisodeId, MeetingId};
use casework::{ActionInput, Attendee, MeetingInput, Permission};

use super::episode::{ActionRow, action_row, episode_for};
use super::event_forms::satisfies;
use super::forms::{Fields, FormErrors};
use super::interview::child_name;
use super::layout::{Chrome, PageError, Viewer, iso, local_input, option_label, parse_local, when};
use crate::AppState;

/// Meeting types (timeline v1 vocabulary) and how people say them.
const TYPES: &[(&str, &str)] = &[
    ("strategy", "Strategy meeting"),
    ("core_group", "Core group"),
    ("complex_strategy", "Complex strategy meeting"),
    ("safeguarding", "Safeguarding meeting"),
    ("etac", "E-TAC"),
    ("intervention", "Intervention meeting"),
    (
        "second_stage_intervention",
        "Second stage intervention meeting",
    ),
    ("weekly_missing", "Weekly missing meeting"),
    ("other", "Other"),
];

/// Action item rows on the form (enough for a meeting; more can be added by recording again).
const ACTION_ROWS: [usize; 3] = [1, 2, 3];

#[derive(Template, WebTemplate)]
#[template(path = "meeting_new.html")]
struct NewMeeting {
    chrome: Chrome,
    episode_id: i64,
    child_name: String,
    errors: FormErrors,
    values: HashMap<String, String>,
    types: &'static [(&'static str, &'static str)],
    rows: [usize; 3],
}

impl MeetingPage {
    /// Where "Mark done" comes back to.
    fn back(&self) -> String {
        format!("/meetings/{}", self.id)
    }
}

impl NewMeeting {
    fn val(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn row_val(&self, n: &usize, field: &str) -> &str {
        self.val(&format!("action-{n}-{field}"))
    }
}

/// `GET /episodes/{id}/meetings/new`.
pub async fn new(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
) -> Result<Response, PageError> {
    viewer.caller.require(Permission::RecordEvent)?;
    let (scope, _) = state
        .casework
        .read_episode(&viewer.caller, id, "episode")
        .await?;
    let mut values = HashMap::new();
    values.insert("held_at".to_owned(), local_input(&state, state.now()));
    values.insert("face_to_face".to_owned(), "yes".to_owned());
    Ok(NewMeeting {
        chrome: viewer.chrome("Record a meeting", ""),
        episode_id: id.get(),
        child_name: child_name(&state, &scope).await?,
        errors: FormErrors::default(),
        values,
        types: TYPES,
        rows: ACTION_ROWS,
    }
    .into_response())
}

/// Attendees typed one a line as `name, role, agency`.
fn attendees(text: &str) -> Vec<Attendee> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, ',').map(|p| p.trim().to_owned());
            Attendee {
                name: parts.next().unwrap_or_default(),
                role: parts.next().unwrap_or_default(),
                agency: parts.next().unwrap_or_default(),
            }
        })
        .collect()
}

/// `POST /episodes/{id}/meetings`.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let (scope, episode) = episode_for(&state, &viewer.caller, id, Permission::RecordEvent).await?;
    let mut errors = FormErrors::default();
    let meeting_type = form.text("meeting_type");
    if !TYPES.iter().any(|(t, _)| *t == meeting_type) {
        errors.add("meeting_type", "Choose the type of meeting");
    }
    let held = parse_local(&state, form.get("held_at").unwrap_or_default());
    if held.is_none() {
        errors.add(
            "held_at",
            "Enter when the meeting was held as a date and time (UK time)",
        );
    }
    if form.get("chair").is_none() {
        errors.add("chair", "Enter who chaired the meeting");
    }
    let mut actions = Vec::new();
    for n in ACTION_ROWS {
        let field = |f: &str| form.get(&format!("action-{n}-{f}")).map(str::to_owned);
        let (description, owner, due) = (field("description"), field("owner"), field("due"));
        if description.is_none() && owner.is_none() && due.is_none() {
            continue;
        }
        if description.is_none() {
            errors.add(
                format!("action-{n}-description"),
                format!("Enter what action {n} is"),
            );
        }
        if owner.is_none() {
            errors.add(
                format!("action-{n}-owner"),
                format!("Enter who owns action {n}"),
            );
        }
        let due = match due.as_deref().map(|d| parse_local(&state, d)) {
            Some(None) => {
                errors.add(
                    format!("action-{n}-due"),
                    format!("Enter when action {n} is due as a date and time (UK time)"),
                );
                None
            }
            Some(Some(t)) => Some(iso(&state, t)),
            None => None,
        };
        actions.push(ActionInput {
            description: description.unwrap_or_default(),
            owner: owner.unwrap_or_default(),
            due,
        });
    }
    if let (true, Some(held)) = (errors.is_empty(), held) {
        let body = MeetingInput {
            meeting_type,
            held_at: iso(&state, held),
            chair: form.text("chair"),
            face_to_face: form.get("face_to_face") != Some("no"),
            attendees: attendees(&form.text("attendees")),
            decisions: form.text("decisions"),
            actions,
            satisfies: satisfies(&form),
        };
        match state.casework.record_meeting(&scope, &episode, &body).await {
            Ok(m) => return Ok(Redirect::to(&format!("/meetings/{}", m.id)).into_response()),
            Err(e) => errors = FormErrors::from_api(e.into(), "")?,
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        NewMeeting {
            chrome: viewer.chrome("Record a meeting", ""),
            episode_id: id.get(),
            child_name: child_name(&state, &scope).await?,
            errors,
            values: form.values(),
            types: TYPES,
            rows: ACTION_ROWS,
        },
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    id: i64,
    episode_id: i64,
    title: String,
    held: String,
    chair: String,
    attendees: Vec<Attendee>,
    decisions: String,
    actions: Vec<ActionRow>,
    can_complete: bool,
}

/// `GET /meetings/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<MeetingId>,
) -> Result<Response, PageError> {
    let (_scope, episode, meeting) = state.casework.read_meeting(&viewer.caller, id).await?;
    let now = state.now();
    let kind = meeting.meeting_type.as_str();
    Ok(MeetingPage {
        chrome: viewer.chrome("Meeting", ""),
        id: id.get(),
        episode_id: episode.id.get(),
        title: option_label(TYPES, kind).map_or(kind.to_owned(), str::to_owned),
        held: when(&state, meeting.held_at),
        chair: meeting.chair.clone(),
        attendees: serde_json::from_str(&meeting.attendees).unwrap_or_default(),
        decisions: meeting.decisions.clone(),
        actions: meeting
            .actions
            .iter()
            .map(|a| action_row(&state, a, (episode.id.get(), ""), now))
            .collect(),
        can_complete: viewer.caller.may(Permission::RecordEvent),
    }
    .into_response())
}

/// `POST /meeting-actions/{id}/complete`: marks a meeting action done (audited), then back.
pub async fn complete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ActionId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let (action, _) = state.casework.complete_action(&viewer.caller, id).await?;
    let back = form.return_to(&format!("/meetings/{}", action.meeting_id));
    Ok(Redirect::to(&back).into_response())
}
