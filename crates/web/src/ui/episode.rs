//! The episode page: what happened (timeline), what is owed (obligations with owner, due, status
//! and citation; meeting actions), a form for every event type, and discharging an obligation.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use casework::records::{EpisodeId, EventId, EventRecord, MeetingAction, ObligationId, UserId};
use casework::{Actor, ChildScope, Permission};

use super::event_forms::{self, EVENTS, EventSpec, Kind};
use super::forms::{Fields, FormErrors};
use super::layout::{Chrome, PageError, Viewer, countdown, iso, local_input, parse_local, when};
use super::records::{ObligationRow, risk_tag};
use crate::AppState;
use crate::error::ApiError;

/// An event of the timeline.
pub struct EventLine {
    /// When (UK time).
    pub at: String,
    /// What happened.
    pub title: String,
    /// Its fields.
    pub details: String,
    /// Who recorded it, and when.
    pub recorded: String,
    /// Whether a later event corrects it.
    pub corrected: bool,
}

/// A meeting action, tracked like an obligation.
pub struct ActionRow {
    /// ID (the "Mark done" form posts to it).
    pub id: i64,
    /// Meeting.
    pub meeting_id: i64,
    /// Episode.
    pub episode_id: i64,
    /// Child's name.
    pub child_name: String,
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: String,
    /// Due (UK time), empty if none agreed.
    pub due: String,
    /// Due, ISO-8601.
    pub due_iso: String,
    /// Countdown.
    pub countdown: String,
    /// `open`, `overdue` or `done`.
    pub status: &'static str,
}

/// A meeting or interview, linked from the episode.
struct Linked {
    href: String,
    text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "episode.html")]
struct EpisodePage {
    chrome: Chrome,
    id: i64,
    child_id: i64,
    child_name: String,
    missing: bool,
    risk: &'static str,
    risk_class: &'static str,
    since: String,
    hours: i64,
    found: String,
    obligations: Vec<ObligationRow>,
    actions: Vec<ActionRow>,
    linked: Vec<Linked>,
    timeline: Vec<EventLine>,
    events: &'static [EventSpec],
    errors: FormErrors,
    open_form: String,
    values: HashMap<String, String>,
    now_local: String,
    can_record: bool,
}

impl EpisodePage {
    /// Where a discharge from this page comes back to.
    fn back(&self) -> String {
        format!("/episodes/{}", self.id)
    }

    fn is_open(&self, kind: &str) -> bool {
        self.open_form == kind
    }

    /// The value typed into a field of the form that was sent (empty for other forms).
    fn val(&self, kind: &str, name: &str) -> &str {
        if self.open_form == kind {
            self.values.get(name).map_or("", String::as_str)
        } else {
            ""
        }
    }

    /// `text`, `choice` or `yes_no`.
    fn field_kind(&self, f: &event_forms::FieldSpec) -> &'static str {
        match f.kind {
            Kind::Text => "text",
            Kind::Choice(_) => "choice",
            Kind::YesNo => "yes_no",
        }
    }

    fn options(&self, f: &event_forms::FieldSpec) -> &'static [&'static str] {
        match f.kind {
            Kind::Choice(options) => options,
            _ => &[],
        }
    }

    fn at_value(&self, kind: &str) -> &str {
        match self.val(kind, "at") {
            "" => &self.now_local,
            v => v,
        }
    }
}

/// Status of a meeting action at `now`.
pub fn action_status(a: &MeetingAction, now: Timestamp) -> &'static str {
    if a.done_at.is_some() {
        "done"
    } else if a.due_at.is_some_and(|d| d.timestamp() < now) {
        "overdue"
    } else {
        "open"
    }
}

/// A meeting action (of a meeting of `episode`) as a row.
pub fn action_row(
    state: &AppState,
    a: &MeetingAction,
    episode: (i64, &str),
    now: Timestamp,
) -> ActionRow {
    let due = a.due_at.map(|d| d.timestamp());
    ActionRow {
        id: a.id.get(),
        meeting_id: a.meeting_id.get(),
        episode_id: episode.0,
        child_name: episode.1.to_owned(),
        description: a.description.clone(),
        owner: a.owner.clone(),
        due: due.map(|d| when(state, d)).unwrap_or_default(),
        due_iso: due.map(|d| iso(state, d)).unwrap_or_default(),
        countdown: due.map(|d| countdown(d, now)).unwrap_or_default(),
        status: action_status(a, now),
    }
}

fn details(body: &Value) -> String {
    let mut parts: Vec<String> = body["data"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Bool(true) => "yes".to_owned(),
                Value::Bool(false) => "no".to_owned(),
                other => other.to_string(),
            };
            format!("{}: {v}", super::child::words(k))
        })
        .collect();
    if let Some(list) = body["satisfies"].as_array().filter(|l| !l.is_empty()) {
        let ids: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        parts.push(format!("satisfies: {}", ids.join(", ")));
    }
    parts.join("; ")
}

/// The events of one episode in time order, corrections marked, with who recorded them.
pub fn timeline(
    state: &AppState,
    events: &[EventRecord],
    names: &[(UserId, String)],
) -> Vec<EventLine> {
    let corrected: Vec<EventId> = events.iter().filter_map(|e| e.corrects_event_id).collect();
    let mut events: Vec<&EventRecord> = events.iter().collect();
    events.sort_by_key(|e| (e.at, e.id));
    events
        .into_iter()
        .map(|e| {
            let body: Value = serde_json::from_str(&e.body).unwrap_or(Value::Null);
            EventLine {
                at: when(state, e.at),
                title: event_forms::title(body["type"].as_str().unwrap_or_default()).to_owned(),
                details: details(&body),
                recorded: format!(
                    "{}, {}",
                    names
                        .iter()
                        .find(|(u, _)| *u == e.recorded_by)
                        .map_or("", |(_, n)| n.as_str()),
                    when(state, e.recorded_at)
                ),
                corrected: corrected.contains(&e.id),
            }
        })
        .collect()
}

/// Renders the episode page, with a form's errors and values after a failed post.
async fn render(
    state: &AppState,
    viewer: &Viewer,
    id: EpisodeId,
    status: StatusCode,
    errors: FormErrors,
    open_form: &str,
    values: HashMap<String, String>,
) -> Result<Response, PageError> {
    let now = state.now();
    let (scope, episode) = state
        .casework
        .read_episode(&viewer.caller, id, "episode")
        .await?;
    let r = state.casework.episode_record(&scope, &episode).await?;
    let child_name = &r.child.name;
    let obligations = r
        .obligations
        .iter()
        .map(|o| ObligationRow::new(state, o, child_name, now))
        .collect();
    let mut linked: Vec<Linked> = r
        .meetings
        .iter()
        .map(|m| Linked {
            href: format!("/meetings/{}", m.id),
            text: format!(
                "{} meeting, {}",
                super::forms::capitalised(&super::child::words(m.meeting_type.as_str())),
                when(state, m.held_at)
            ),
        })
        .collect();
    linked.extend(r.interviews.iter().map(|i| Linked {
        href: format!("/interviews/{}", i.id),
        text: format!(
            "Return interview {}, {}{}",
            super::child::words(i.outcome.as_str()),
            when(state, i.at),
            if i.signed_off_at.is_some() {
                " (signed off)"
            } else {
                ""
            }
        ),
    }));
    let actions = r
        .meetings
        .iter()
        .flat_map(|m| m.actions.iter())
        .map(|a| action_row(state, a, (id.get(), child_name), now))
        .collect();
    let fact = r.status.as_ref().map(|e| &e.status);
    let (risk, risk_class) = risk_tag(fact.and_then(|f| f.risk));
    let since = fact.map_or(episode.opened_at, |f| f.since).timestamp();
    let found = fact.and_then(|f| f.found_at).map(|t| t.timestamp());
    let page = EpisodePage {
        chrome: viewer.chrome(format!("{child_name}: episode"), ""),
        id: id.get(),
        child_id: r.child.id.get(),
        child_name: child_name.clone(),
        missing: fact.is_none_or(|f| f.missing),
        risk,
        risk_class,
        since: when(state, since),
        hours: super::layout::hours_since(since, found.unwrap_or(now)),
        found: found.map(|t| when(state, t)).unwrap_or_default(),
        obligations,
        actions,
        linked,
        timeline: timeline(state, &r.events, &r.names),
        events: EVENTS,
        errors,
        open_form: open_form.to_owned(),
        values,
        now_local: local_input(state, now),
        can_record: viewer.caller.may(Permission::RecordEvent),
    };
    Ok((status, page).into_response())
}

/// `GET /episodes/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
) -> Result<Response, PageError> {
    render(
        &state,
        &viewer,
        id,
        StatusCode::OK,
        FormErrors::default(),
        "",
        HashMap::new(),
    )
    .await
}

/// The episode the actor may act on with `p`, and leave to change it (404 when it is not
/// theirs to see).
pub async fn episode_for<'a>(
    state: &AppState,
    actor: &'a Actor,
    id: EpisodeId,
    p: Permission,
) -> Result<(ChildScope<'a>, casework::records::Episode), PageError> {
    Ok(state.casework.change_episode(actor, id, p).await?)
}

/// `POST /episodes/{id}/events`: records one event from its form. Errors come back on the same
/// page (422, GOV.UK error summary) and nothing is saved.
pub async fn record_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<EpisodeId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let (scope, episode) = episode_for(&state, &viewer.caller, id, Permission::RecordEvent).await?;
    let kind = form.text("event_type");
    let Some(spec) = event_forms::spec(&kind) else {
        return Err(ApiError::validation("event_type", "choose a kind of event").into());
    };
    let mut errors = FormErrors::default();
    let at = parse_local(&state, form.get("at").unwrap_or_default());
    if at.is_none() {
        errors.add(
            format!("{kind}-at"),
            "Enter when it happened as a date and time (UK time)",
        );
    }
    let data = event_forms::data(spec, &form, &mut errors);
    if let (true, Some(at)) = (errors.is_empty(), at) {
        let event = json!({
            "at": iso(&state, at), "type": kind, "data": data,
            "satisfies": event_forms::satisfies(&form),
        });
        match state
            .casework
            .record_event(&scope, &episode, &event, None, None)
            .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
            Err(e) => errors = FormErrors::from_api(e.into(), &format!("{kind}-"))?,
        }
    }
    render(
        &state,
        &viewer,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        &kind,
        form.values(),
    )
    .await
}

/// `POST /obligations/{id}/discharge`: discharges an obligation with a note (an
/// `action_recorded` event naming it), then back to the page it was discharged from.
pub async fn discharge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ObligationId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let note = form.text("note");
    let back = form.return_to("/my-work");
    match state
        .casework
        .discharge(&viewer.caller, id, &note, None)
        .await
    {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e) if e.code() == casework::Code::ValidationFailed => {
            // The note is the only field: name the input of this row.
            let mut named = FormErrors::default();
            named.add(format!("note-{id}"), e.message());
            let episode = state
                .casework
                .obligation_episode(&viewer.caller, id)
                .await?;
            render(
                &state,
                &viewer,
                episode,
                StatusCode::UNPROCESSABLE_ENTITY,
                named,
                "",
                HashMap::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
