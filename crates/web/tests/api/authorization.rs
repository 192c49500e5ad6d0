//! The authorisation matrix: every documented operation, called by every role at the child's
//! authority, by a social worker of a foreign authority and anonymously. Each answer must be
//! the expected status, and no refusal (nor a foreign user's list) may carry the child's data.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::{ChildId, EpisodeId, Instant, Role};

use super::{TestApp, on_both};

/// Every (method, path) the OpenAPI document describes.
pub(crate) fn documented_operations() -> Vec<(Method, String)> {
    let doc = serde_json::to_value(web::api().1).unwrap_or_default();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                ops.push((
                    m.to_uppercase().parse().unwrap_or(Method::GET),
                    path.clone(),
                ));
            }
        }
    }
    ops.sort_by_key(|(m, p)| (p.clone(), m.to_string()));
    ops
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Actor {
    Newham(Role),
    Foreign,
    Anonymous,
}

impl Actor {
    fn user(self) -> Option<String> {
        match self {
            Actor::Newham(r) => Some(format!("{}.newham", r.as_str())),
            Actor::Foreign => Some("social_worker.sheffield".into()),
            Actor::Anonymous => None,
        }
    }
}

/// Which roles may: read a child, edit it, open an episode, record an event.
const READERS: [Role; 6] = [
    Role::SocialWorker,
    Role::TeamManager,
    Role::SeniorManager,
    Role::Edt,
    Role::PoliceMissingCoordinator,
    Role::RhiProvider,
];
const EDITORS: [Role; 4] = [
    Role::SocialWorker,
    Role::TeamManager,
    Role::SeniorManager,
    Role::Edt,
];
const OPENERS: [Role; 5] = [
    Role::SocialWorker,
    Role::TeamManager,
    Role::SeniorManager,
    Role::Edt,
    Role::PoliceMissingCoordinator,
];
const INTERVIEWERS: [Role; 4] = [
    Role::SocialWorker,
    Role::TeamManager,
    Role::SeniorManager,
    Role::RhiProvider,
];
const MANAGERS: [Role; 2] = [Role::TeamManager, Role::SeniorManager];

/// The status each actor must get for an operation.
fn expected(method: &Method, path: &str, actor: Actor) -> StatusCode {
    use StatusCode as S;
    let role = match actor {
        Actor::Anonymous => return S::UNAUTHORIZED,
        Actor::Foreign => Role::SocialWorker,
        Actor::Newham(r) => r,
    };
    let foreign = actor == Actor::Foreign;
    let allowed = |roles: &[Role], ok: S| {
        if !roles.contains(&role) {
            S::FORBIDDEN
        } else if foreign {
            S::NOT_FOUND
        } else {
            ok
        }
    };
    match (method.as_str(), path) {
        ("POST", "/api/v1/session") => S::UNAUTHORIZED, // sent with a wrong password
        ("DELETE", "/api/v1/session") => S::NO_CONTENT,
        ("GET", "/api/v1/me" | "/api/v1/authorities") => S::OK,
        // Pattern views answer over the caller's own authority's children: a foreign user gets
        // an answer without this child (checked below), not a refusal.
        ("GET", p) if p.starts_with("/api/v1/patterns/") => {
            if READERS.contains(&role) {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("GET", "/api/v1/children" | "/api/v1/obligations") => {
            if READERS.contains(&role) {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("POST", "/api/v1/children") => {
            if !EDITORS.contains(&role) {
                S::FORBIDDEN
            } else if foreign {
                S::UNPROCESSABLE_ENTITY
            } else {
                S::CREATED
            }
        }
        // Notifications (issue 5): the caller's own authority's; routing for its admins only.
        ("GET", "/api/v1/notifications") => {
            if READERS.contains(&role) {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("POST", "/api/v1/notifications/{id}/acknowledge") => allowed(&READERS, S::OK),
        ("GET" | "PUT", "/api/v1/authorities/{code}/routing") => {
            if role == Role::Admin && !foreign {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("GET", _) => allowed(&READERS, S::OK),
        ("PUT", _) => allowed(&EDITORS, S::OK),
        ("POST", "/api/v1/children/{id}/placements" | "/api/v1/children/{id}/documents") => {
            allowed(&EDITORS, S::CREATED)
        }
        ("POST", "/api/v1/children/{id}/episodes") => allowed(&OPENERS, S::CREATED),
        ("PATCH", "/api/v1/episodes/{id}") => allowed(&OPENERS, S::OK),
        (
            "POST",
            "/api/v1/episodes/{id}/events"
            | "/api/v1/obligations/{id}/discharge"
            | "/api/v1/episodes/{id}/meetings",
        ) => allowed(&READERS, S::CREATED),
        ("POST", "/api/v1/episodes/{id}/interviews") => allowed(&INTERVIEWERS, S::CREATED),
        ("POST", "/api/v1/interviews/{id}/sign-off") => allowed(&MANAGERS, S::OK),
        other => unreachable!("no expectation for {other:?}: add it to the matrix"),
    }
}

async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    actor: Actor,
    child: ChildId,
    episode: EpisodeId,
) -> (StatusCode, Value, String) {
    let store = &app.store;
    let child_version = store
        .child(child)
        .await
        .ok()
        .flatten()
        .map_or(0, |c| c.version);
    let episode_version = store
        .episode(episode)
        .await
        .ok()
        .flatten()
        .map_or(0, |e| e.version);
    // An open obligation (each discharge ends the one before).
    let obligation = store
        .child_obligations(child)
        .await
        .unwrap_or_default()
        .iter()
        .find(|o| o.is_open())
        .map_or(0, |o| o.id.get());
    let interview = store
        .interviews(episode)
        .await
        .unwrap_or_default()
        .first()
        .map_or((0, 0), |i| (i.id.get(), i.version));
    let newham = app.authority("NEWHAM").await;
    let notification = store
        .notifications(newham, None, 1)
        .await
        .unwrap_or_default()
        .first()
        .map_or(0, |n| n.id.get());
    let concrete = match path {
        "/api/v1/notifications/{id}/acknowledge" => path.replace("{id}", &notification.to_string()),
        "/api/v1/authorities/{code}/routing" => path.replace("{code}", "NEWHAM"),
        "/api/v1/obligations/{id}/discharge" => path.replace("{id}", &obligation.to_string()),
        "/api/v1/interviews/{id}/sign-off" => path.replace("{id}", &interview.0.to_string()),
        p if p.starts_with("/api/v1/episodes/") => p.replace("{id}", &episode.to_string()),
        p => p.replace("{id}", &child.to_string()),
    };
    let placement = json!({"responsible_authority": "NEWHAM", "host_authority": "MERTON", "legal_status": "s20", "placement_type": "residential", "starts_on": "2024-02-01"});
    let (body, if_match) = match (method.as_str(), path) {
        // A different unknown name each time, so the matrix does not trip the sign-in throttle.
        ("POST", "/api/v1/session") => (
            Some(json!({"username": format!("nobody-{actor:?}"), "password": "wrong"})),
            None,
        ),
        ("POST", "/api/v1/children") => (
            Some(json!({"name": "Another Child", "dob": "2011-01-01", "placement": placement})),
            None,
        ),
        ("PUT", "/api/v1/authorities/{code}/routing") => (Some(json!({})), None),
        ("PUT", _) => (
            Some(
                json!({"name": "Lee Example", "dob": "2009-04-04", "facts": {"flags": ["open_to_csc"]}}),
            ),
            Some(format!("\"v{child_version}\"")),
        ),
        ("POST", "/api/v1/children/{id}/placements") => (Some(placement), None),
        ("POST", "/api/v1/children/{id}/documents") => (
            Some(json!({"kind": "trigger_plan", "body": {"places": ["Stratford"]}})),
            None,
        ),
        ("PATCH", _) => (
            Some(json!({"finder_authority": null})),
            Some(format!("\"v{episode_version}\"")),
        ),
        ("POST", "/api/v1/episodes/{id}/events") => (
            Some(
                json!({"event": {"at": "2024-09-06T20:30:00+01:00", "type": "notification_sent", "data": {"to": "IRO"}}}),
            ),
            None,
        ),
        ("POST", "/api/v1/obligations/{id}/discharge") => (Some(json!({"note": "done"})), None),
        ("POST", "/api/v1/episodes/{id}/meetings") => (
            Some(
                json!({"meeting_type": "strategy", "held_at": "2024-09-06T20:40:00+01:00", "chair": "Practice Lead",
                        "attendees": [{"name": "PC Example", "agency": "Metropolitan Police"}],
                        "actions": [{"description": "check known addresses", "owner": "police", "due": "2024-09-07T12:00:00+01:00"}]}),
            ),
            None,
        ),
        ("POST", "/api/v1/episodes/{id}/interviews") => (
            Some(
                json!({"outcome": "offered", "at": "2024-09-06T20:45:00+01:00", "interviewer": "Youth Service"}),
            ),
            None,
        ),
        ("POST", "/api/v1/interviews/{id}/sign-off") => {
            (None, Some(format!("\"v{}\"", interview.1)))
        }
        _ => (None, None),
    };
    let headers: Vec<(&str, &str)> = if_match
        .as_deref()
        .map(|v| vec![("if-match", v)])
        .unwrap_or_default();
    let r = app
        .call(
            method.clone(),
            &concrete,
            actor.user().as_deref(),
            body,
            &headers,
        )
        .await;
    (r.status, r.json, r.text)
}

#[test]
fn every_route_with_every_role_and_a_foreign_authority() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let r = app
            .post(&format!("/api/v1/episodes/{episode}/events"), "social_worker.newham", json!({"event": {"at": "2024-09-06T20:00:00+01:00", "type": "reported_missing", "data": {"to": "Metropolitan Police"}}}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = app
            .post(&format!("/api/v1/episodes/{episode}/interviews"), "rhi_provider.newham", json!({"outcome": "offered", "at": "2024-09-06T20:10:00+01:00", "interviewer": "Youth Service", "disclosures": "a name"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        // A notification of Newham's about the child, for the acknowledgement route.
        let newham = app.authority("NEWHAM").await;
        let message = store::NewOutbox {
            idempotency_key: "matrix".into(),
            topic: "matrix".into(),
            authority_id: newham,
            child_id: Some(child),
            kind: "overdue".into(),
            level: 0,
            owner_role: "social_worker".into(),
            channel: "email".into(),
            recipient: "duty@example.invalid".into(),
            context: "{}".into(),
            due_at: Instant::from_micros(1),
            reescalate_at: None,
        };
        assert_eq!(
            app.store
                .enqueue(&[message], None, Instant::from_micros(1))
                .await
                .ok(),
            Some(1)
        );
        let mut actors: Vec<Actor> = Role::ALL.iter().copied().map(Actor::Newham).collect();
        actors.push(Actor::Foreign);
        actors.push(Actor::Anonymous);
        let ops = documented_operations();
        let mut checked = 0;
        for (method, path) in &ops {
            for actor in &actors {
                let want = expected(method, path, *actor);
                let (status, json, text) = call(&app, method, path, *actor, child, episode).await;
                assert_eq!(status, want, "{method} {path} as {actor:?}: {text}");
                if !status.is_success() {
                    assert!(
                        json["error"]["code"].is_string(),
                        "{method} {path} as {actor:?}: not an error body: {text}"
                    );
                    assert_eq!(
                        json.as_object().map(|o| o.len()),
                        Some(1),
                        "{method} {path} as {actor:?}: extra data: {text}"
                    );
                }
                if matches!(actor, Actor::Foreign | Actor::Anonymous) || (!status.is_success()) {
                    assert!(
                        !text.contains("Lee Example") && !text.contains("2009-04-04"),
                        "{method} {path} as {actor:?} leaked the child: {text}"
                    );
                }
                checked += 1;
            }
        }
        assert_eq!(checked, ops.len() * 10);
    });
}

#[test]
fn sensitive_obligation_lists_are_scoped_to_the_callers_authority() {
    on_both(|app| async move {
        app.seed_child().await;
        let r = app
            .get(
                "/api/v1/obligations?authority=NEWHAM",
                "social_worker.sheffield",
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.get("/api/v1/children", "social_worker.merton").await;
        assert_eq!(
            r.json["items"].as_array().map(Vec::len),
            Some(1),
            "the host authority sees the child placed with it"
        );
        let r = app.get("/api/v1/children", "social_worker.sheffield").await;
        assert_eq!(r.json["items"].as_array().map(Vec::len), Some(0));
    });
}

#[test]
fn interview_disclosures_are_shown_only_to_roles_that_need_them() {
    on_both(|app| async move {
        let (_, episode) = app.seed_child().await;
        let body = json!({"outcome": "completed", "at": "2024-09-06T20:30:00+01:00", "interviewer": "Youth Service", "mode": "in_person",
                          "push_factors": "rows at home", "pull_factors": "older friends", "disclosures": "names an adult who gave them money"});
        let r = app
            .post(
                &format!("/api/v1/episodes/{episode}/interviews"),
                "rhi_provider.newham",
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        for (user, sees) in [
            ("social_worker.newham", true),
            ("team_manager.newham", true),
            ("rhi_provider.newham", true),
            ("edt.newham", false),
            ("police_missing_coordinator.newham", false),
        ] {
            let r = app
                .get(&format!("/api/v1/episodes/{episode}/interviews"), user)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.text);
            assert_eq!(
                r.text.contains("names an adult"),
                sees,
                "{user}: {}",
                r.text
            );
            assert_eq!(r.json[0]["push_factors"], "rows at home");
        }
    });
}

#[test]
fn the_public_routes_carry_no_child_data() {
    on_both(|app| async move {
        app.seed_child().await;
        for path in ["/healthz", "/api/openapi.json", "/api/docs/"] {
            for user in [
                None,
                Some("social_worker.newham"),
                Some("social_worker.sheffield"),
            ] {
                let r = app.call(Method::GET, path, user, None, &[]).await;
                assert_eq!(r.status, StatusCode::OK, "{path}");
                assert!(!r.text.contains("Lee Example"), "{path} leaked the child");
            }
        }
    });
}
