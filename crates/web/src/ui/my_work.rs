//! My work: the caller's overdue and due-soon obligations (their role, their authority) with
//! live countdowns, and their authority's open episodes by risk.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use jiff::SignedDuration;

use super::caseload::{EpisodeRow, caseload, missing_now};
use super::episode::{ActionRow, action_row};
use super::forms::FormErrors;
use super::layout::{Chrome, PageError, Viewer};
use super::records::ObligationRow;
use crate::AppState;
use crate::access::Role;

/// Rows per table unless all are asked for: a duty officer needs the most urgent first, and a
/// page of thousands of rows is unusable on a phone.
const PAGE_ROWS: usize = 25;

/// `?show=all` on My work.
#[derive(serde::Deserialize)]
pub struct Show {
    show: Option<String>,
}

/// "Due soon": within the next 24 hours.
const SOON: SignedDuration = SignedDuration::from_hours(24);

#[derive(Template, WebTemplate)]
#[template(path = "my_work.html")]
struct MyWork {
    chrome: Chrome,
    overdue: Vec<ObligationRow>,
    soon: Vec<ObligationRow>,
    later: Vec<ObligationRow>,
    hidden: usize,
    episodes: Vec<EpisodeRow>,
    actions: Vec<ActionRow>,
    owners: String,
    errors: FormErrors,
}

/// The owner roles (catalogue vocabulary) whose obligations land in a user role's queue.
/// Managers see their team's work as well as their own.
pub fn owner_roles(role: Role) -> &'static [&'static str] {
    match role {
        Role::SocialWorker => &["social_worker"],
        Role::TeamManager => &["team_manager", "social_worker"],
        Role::SeniorManager => &["senior_manager", "team_manager"],
        Role::Edt => &["edt", "mash"],
        Role::PoliceMissingCoordinator => &["police", "police_missing_coordinator"],
        Role::RhiProvider => &["rhi_provider"],
        Role::Admin | Role::Auditor => &[],
    }
}

/// `GET /my-work`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(show): Query<Show>,
) -> Result<impl IntoResponse, PageError> {
    let now = state.now();
    let all = show.show.as_deref() == Some("all");
    let load = caseload(&state, &viewer.caller, "my_work", now).await?;
    let roles = owner_roles(viewer.caller.role);
    let mut rows: Vec<(Option<i64>, ObligationRow)> = load
        .iter()
        .flat_map(|c| {
            c.obligations
                .iter()
                .filter(|o| o.authority_id == viewer.caller.user.authority_id)
                .filter(|o| roles.contains(&o.owner_role.as_str()))
                .map(|o| {
                    (
                        o.due,
                        ObligationRow::new(&state, o, &c.file.child.name, now),
                    )
                })
        })
        .collect();
    rows.sort_by_key(|(due, r)| (due.is_none(), *due, r.rule.clone()));
    let soon_limit = crate::micros(now + SOON);
    let (mut overdue, mut soon, mut later) = (Vec::new(), Vec::new(), Vec::new());
    for (due, row) in rows {
        match due {
            Some(_) if row.status == "overdue" => overdue.push(row),
            Some(d) if d <= soon_limit => soon.push(row),
            _ => later.push(row),
        }
    }
    // The most recently overdue first: the oldest are the least likely to still be actionable.
    overdue.reverse();
    let mut hidden = 0;
    if !all {
        for list in [&mut overdue, &mut soon, &mut later] {
            hidden += list.len().saturating_sub(PAGE_ROWS);
            list.truncate(PAGE_ROWS);
        }
    }
    // Meeting actions are owned by named people, not roles: every open one of the authority's
    // children is listed.
    let mut actions = Vec::new();
    for c in &load {
        for e in &c.file.episodes {
            for m in state.store.meetings(e.id).await? {
                actions.extend(m.actions.iter().filter(|a| a.done_at.is_none()).map(|a| {
                    let row = action_row(&state, a, (e.id, &c.file.child.name), now);
                    (a.due_at.is_none(), a.due_at, row)
                }));
            }
        }
    }
    actions.sort_by_key(|(none, due, _)| (*none, *due));
    Ok(MyWork {
        hidden,
        actions: actions.into_iter().map(|(_, _, row)| row).collect(),
        chrome: viewer.chrome("My work", "my-work"),
        overdue,
        soon,
        later,
        episodes: missing_now(&state, &load, now),
        owners: roles
            .iter()
            .map(|r| super::layout::role_label(r))
            .collect::<Vec<_>>()
            .join(", "),
        errors: FormErrors::default(),
    })
}
