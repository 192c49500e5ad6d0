//! A whole journey through the API: sign-in with a cookie, a child, an episode with events, the
//! obligations each event brings, a discharge, a correction, the timeline and obligation lists.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use super::ui::Browser;
use super::{PASSWORD, on_both};

/// The ID of the obligation of `rule` in a list of obligations.
fn id_of(v: &serde_json::Value, rule: &str) -> Option<i64> {
    v.as_array()?
        .iter()
        .find(|o| o["rule"] == rule)
        .and_then(|o| o["id"].as_i64())
}

fn rules(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["rule"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_missing_episode_from_report_to_interview() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let sw = "social_worker.newham";
        let ev = |at: &str, kind: &str, data: serde_json::Value| json!({"event": {"at": at, "type": kind, "data": data}});

        app.set_now("2024-09-06T21:05:00Z").await;
        let r = app
            .post(
                &format!("/api/v1/episodes/{episode}/events"),
                sw,
                ev(
                    "2024-09-06T22:00:00+01:00",
                    "reported_missing",
                    json!({"to": "Metropolitan Police"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let now_open = rules(&r.json["obligations"]);
        for rule in [
            "NEWHAM-STRAT-24H",
            "NEWHAM-EST",
            "NEWHAM-IRO",
            "NEWHAM-OOB-NOTIFY",
            "MERTON-INBOUND",
            "MERTON-WEEKLY",
        ] {
            assert!(
                now_open.contains(&rule.to_owned()),
                "{rule} missing from {now_open:?}"
            );
        }
        assert_eq!(r.etag(), "\"v2\"");
        // Every obligation shown is a stored one, with its ID.
        assert!(
            r.json["obligations"]
                .as_array()
                .is_some_and(|a| a.iter().all(|o| o["id"].is_i64())),
            "{}",
            r.json["obligations"]
        );
        let iro = id_of(&r.json["obligations"], "NEWHAM-IRO");
        assert!(iro.is_some(), "{}", r.json["obligations"]);
        // The 24-hour strategy meeting and escalation are what falls due next.
        let t = app
            .get(&format!("/api/v1/children/{child}/timeline"), sw)
            .await;
        assert_eq!(t.json["next_change"], "2024-09-07T22:00:00+01:00");

        // 24 hours later, still missing: moving the clock replans the child, so the escalation
        // that activated at 22:00 is there before anything else is recorded.
        app.set_now("2024-09-07T21:30:00Z").await;
        let t = app
            .get(&format!("/api/v1/children/{child}/timeline"), sw)
            .await;
        assert!(
            rules(&t.json["obligations"]).contains(&"NEWHAM-ESC-LAC-24H".to_owned()),
            "{}",
            t.json["obligations"]
        );
        assert_eq!(id_of(&t.json["obligations"], "NEWHAM-IRO"), iro);
        let r = app
            .post(
                &format!("/api/v1/episodes/{episode}/events"),
                sw,
                ev(
                    "2024-09-07T22:20:00+01:00",
                    "risk_graded",
                    json!({"level": "medium"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let esc = r.json["obligations"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["rule"] == "NEWHAM-ESC-LAC-24H")
            .cloned()
            .unwrap_or_default();
        assert_eq!(esc["due"], "2024-09-07T22:00:00+01:00");
        assert_eq!(esc["status"], "overdue");
        assert_eq!(esc["authority"], "NEWHAM");
        assert_eq!(esc["citation"], "002_8e6e12699bd9dd46.txt §9.2; App D");
        // An unrelated change leaves the other obligations' IDs as they were.
        assert_eq!(id_of(&r.json["obligations"], "NEWHAM-IRO"), iro);

        let r = app.get("/api/v1/obligations?overdue=true", sw).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(rules(&r.json["items"]).contains(&"NEWHAM-ESC-LAC-24H".to_owned()));
        let r = app.get("/api/v1/obligations?owner_role=edt", sw).await;
        assert!(
            r.json["items"]
                .as_array()
                .is_some_and(|a| a.iter().all(|o| o["owner_role"] == "edt"))
        );

        // Discharge the escalation with a note; it leaves the list.
        let id = r.json["items"].as_array().map(|_| ()).and(
            app.get("/api/v1/obligations?overdue=true", sw).await.json["items"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|o| o["rule"] == "NEWHAM-ESC-LAC-24H")
                        .and_then(|o| o["id"].as_i64())
                }),
        );
        let r = app
            .post(
                &format!("/api/v1/obligations/{}/discharge", id.unwrap_or_default()),
                sw,
                json!({"note": "Head of Service and HCP told by phone"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(!rules(&r.json["obligations"]).contains(&"NEWHAM-ESC-LAC-24H".to_owned()));
        // It has ended: discharging it again is refused, saying nothing replaced it.
        let again = app
            .post(
                &format!("/api/v1/obligations/{}/discharge", id.unwrap_or_default()),
                sw,
                json!({"note": "told them again"}),
            )
            .await;
        assert_eq!(
            (again.status, again.json["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("obligation_ended")),
            "{}",
            again.text
        );
        assert_eq!(
            again.json["error"]["details"]["replaced_by"],
            json!([]),
            "{}",
            again.text
        );

        // A correction replaces an event, with a reason.
        let graded = app
            .get(&format!("/api/v1/children/{child}/timeline"), sw)
            .await
            .json["episodes"][0]["events"][1]["id"]
            .as_i64()
            .unwrap_or_default();
        let r = app
            .post(
                &format!("/api/v1/episodes/{episode}/events"),
                sw,
                json!({"event": {"at": "2024-09-07T22:20:00+01:00", "type": "risk_graded", "data": {"level": "high"}}, "correction_of": graded, "reason": "the police graded high"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(rules(&r.json["obligations"]).contains(&"NEWHAM-ESC-LAC-HIGH".to_owned()));

        // Found and returned; then the interview.
        app.set_now("2024-09-08T10:00:00Z").await;
        for (at, kind) in [
            ("2024-09-08T09:00:00+01:00", "located"),
            ("2024-09-08T09:30:00+01:00", "returned"),
        ] {
            let r = app
                .post(
                    &format!("/api/v1/episodes/{episode}/events"),
                    sw,
                    ev(at, kind, json!({})),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        let r = app
            .post(
                &format!("/api/v1/episodes/{episode}/events"),
                "rhi_provider.newham",
                ev(
                    "2024-09-08T10:45:00+01:00",
                    "rhi_completed",
                    json!({"mode": "in_person"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let open = rules(&r.json["obligations"]);
        assert!(
            !open.contains(&"NEWHAM-RHI-72H".to_owned())
                && open.contains(&"NEWHAM-RHI-RECORD".to_owned()),
            "{open:?}"
        );

        // The timeline shows everything, with the obligations open now.
        let r = app
            .get(&format!("/api/v1/children/{child}/timeline"), sw)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["child"]["name"], "Lee Example");
        assert_eq!(
            r.json["episodes"][0]["events"].as_array().map(Vec::len),
            Some(7)
        );
        let corrected = r.json["episodes"][0]["events"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["corrects_event_id"] == graded)
            .cloned()
            .unwrap_or_default();
        assert_eq!(corrected["correction_reason"], "the police graded high");
        assert!(rules(&r.json["obligations"]).contains(&"NEWHAM-RHI-RECORD".to_owned()));
        // Everything still owed is already due: nothing more will fall due without a new event.
        assert!(r.json["next_change"].is_null(), "{}", r.json["next_change"]);

        // Every read and write above is on the audit log, and the chain verifies.
        let (rows, head) = app.store.audit_log().await.unwrap_or_default();
        assert!(rows.iter().any(|r| r.entry.action == "read"
            && r.entry.entity == "timeline"
            && r.entry.child_id == Some(child)));
        assert_eq!(
            store::audit::verify(&rows, (head.0, &head.1)),
            Ok(rows.len())
        );
    });
}

#[test]
fn cookie_sessions_need_the_csrf_token_and_failed_sign_ins_are_throttled() {
    on_both(|app| async move {
        let sign_in =
            |password: &str| json!({"username": "team_manager.newham", "password": password});
        let r = app
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(sign_in(PASSWORD)),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let cookie = r
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let session = cookie.split(';').next().unwrap_or_default().to_owned();
        let csrf = r.json["csrf_token"].as_str().unwrap_or_default().to_owned();
        assert!(
            !r.text
                .contains(&session[session.find('=').unwrap_or(0) + 1..]),
            "the session id is only in the cookie"
        );

        let me = app
            .call(
                Method::GET,
                "/api/v1/me",
                None,
                None,
                &[("cookie", &session)],
            )
            .await;
        assert_eq!(me.json["role"], "team_manager");
        let (child, _) = app.seed_child().await;
        let without = app
            .call(
                Method::POST,
                &format!("/api/v1/children/{child}/episodes"),
                None,
                None,
                &[("cookie", &session)],
            )
            .await;
        assert_eq!(
            (without.status, without.json["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf_token_invalid"))
        );
        let with = app
            .call(
                Method::POST,
                &format!("/api/v1/children/{child}/episodes"),
                None,
                None,
                &[("cookie", &session), ("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(with.status, StatusCode::CREATED, "{}", with.text);

        let out = app
            .call(
                Method::DELETE,
                "/api/v1/session",
                None,
                None,
                &[("cookie", &session), ("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.call(
                Method::GET,
                "/api/v1/me",
                None,
                None,
                &[("cookie", &session)]
            )
            .await
            .status,
            StatusCode::UNAUTHORIZED
        );

        for _ in 0..5 {
            let r = app
                .call(
                    Method::POST,
                    "/api/v1/session",
                    None,
                    Some(sign_in("wrong password")),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let r = app
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(sign_in(PASSWORD)),
                &[],
            )
            .await;
        assert_eq!(
            (r.status, r.json["error"]["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
        );
        app.set_now("2024-09-06T20:16:00Z").await;
        let r = app
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(sign_in(PASSWORD)),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "the window has passed");
    });
}

#[test]
fn health_check_answers_while_the_database_does() {
    on_both(|app| async move {
        let r = app.call(Method::GET, "/healthz", None, None, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
    });
}

#[test]
fn a_list_is_audited_as_one_row_naming_every_child_shown() {
    on_both(|app| async move {
        let sw = "social_worker.newham";
        let (first, one) = app.seed_child().await;
        let (second, two) = app.seed_child().await;
        for episode in [one, two] {
            let r = app
                .post(
                    &format!("/api/v1/episodes/{episode}/events"),
                    sw,
                    json!({"event": {"at": "2024-09-06T20:30:00+01:00", "type": "reported_missing", "data": {"to": "Metropolitan Police"}}}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        // A message about the first child, for the notifications list.
        let message = store::NewOutbox {
            idempotency_key: "audit".into(),
            topic: "audit".into(),
            authority_id: app.authority("NEWHAM").await,
            child_id: Some(first),
            kind: "overdue".into(),
            level: 0,
            owner_role: "social_worker".into(),
            channel: "email".into(),
            recipient: "duty@example.invalid".into(),
            context: "{}".into(),
            due_at: store::Instant::from_micros(1),
            reescalate_at: None,
        };
        assert_eq!(
            app.store
                .enqueue(&[message], None, store::Instant::from_micros(1))
                .await
                .ok(),
            Some(1)
        );
        let browser = Browser::sign_in(&app, sw).await;
        let both = vec![first, second];
        let api = [
            ("/api/v1/children", "child_list", both.clone()),
            (
                "/api/v1/obligations?per_page=200",
                "obligation_list",
                both.clone(),
            ),
            ("/api/v1/notifications", "notification_list", vec![first]),
        ];
        let pages = [
            ("/my-work", "my_work", both.clone()),
            ("/missing-now", "missing_now", both.clone()),
            ("/weekly", "weekly_list", both.clone()),
            ("/children", "child_list", both.clone()),
        ];
        for (path, entity, children, page) in api
            .into_iter()
            .map(|(p, e, c)| (p, e, c, false))
            .chain(pages.into_iter().map(|(p, e, c)| (p, e, c, true)))
        {
            let before = app.audit_rows().await;
            let r = if page {
                browser.get(path).await
            } else {
                app.get(path, sw).await
            };
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
            let log = app.audit_log().await;
            assert_eq!(log.len(), before + 1, "{path}: one row for the list");
            let row = &log[before].entry;
            assert_eq!(
                (row.action.as_str(), row.entity.as_str(), row.child_id),
                ("read", entity, None),
                "{path}"
            );
            assert_eq!(row.children, children, "{path} names every child shown");
        }
        // A single record's read is one row about that child.
        let before = app.audit_rows().await;
        let r = app.get(&format!("/api/v1/children/{second}"), sw).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let log = app.audit_log().await;
        assert_eq!(log.len(), before + 1);
        assert_eq!(
            (
                log[before].entry.action.as_str(),
                log[before].entry.child_id
            ),
            ("read", Some(second))
        );
    });
}

#[test]
fn reads_change_no_obligation_and_moving_the_clock_replans() {
    on_both(|app| async move {
        let sw = "social_worker.newham";
        let (child, episode) = app.seed_child().await;
        let r = app
            .post(
                &format!("/api/v1/episodes/{episode}/events"),
                sw,
                json!({"event": {"at": "2024-09-06T20:30:00+01:00", "type": "reported_missing", "data": {"to": "Metropolitan Police"}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let stored = app
            .store
            .child_obligations(child)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(stored.iter().any(|o| o.is_open()), "{stored:?}");
        // A day later by the clock alone (nothing replans the child), every read of the child
        // and of the lists leaves its stored obligations exactly as they were.
        let later: jiff::Timestamp = "2024-09-07T20:00:00Z"
            .parse()
            .unwrap_or_else(|e| unreachable!("{e}"));
        match app.state.casework.clock() {
            casework::Clock::Fixed(t) => *t.lock().unwrap_or_else(|p| p.into_inner()) = later,
            casework::Clock::System => unreachable!("the tests run on a test clock"),
        }
        let timeline = format!("/api/v1/children/{child}/timeline");
        for path in [
            timeline.clone(),
            format!("/api/v1/children/{child}"),
            format!("/api/v1/episodes/{episode}"),
            "/api/v1/children".to_owned(),
            "/api/v1/obligations".to_owned(),
        ] {
            let r = app.get(&path, sw).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        }
        let browser = Browser::sign_in(&app, sw).await;
        for path in [
            "/my-work".to_owned(),
            "/missing-now".to_owned(),
            "/weekly".to_owned(),
            format!("/children/{child}"),
            format!("/episodes/{episode}"),
        ] {
            let r = browser.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        }
        assert_eq!(
            app.store
                .child_obligations(child)
                .await
                .unwrap_or_else(|e| unreachable!("{e}")),
            stored,
            "a read wrote to the obligations"
        );
        let escalation = "NEWHAM-ESC-LAC-24H".to_owned();
        assert!(!rules(&app.get(&timeline, sw).await.json["obligations"]).contains(&escalation));
        // Moving the test clock replans every child: the escalation due 24 hours after the
        // report is stored and shown, and the obligations that were there keep their IDs.
        app.set_now("2024-09-07T20:00:00Z").await;
        let shown = app.get(&timeline, sw).await.json["obligations"].clone();
        assert!(rules(&shown).contains(&escalation), "{shown}");
        for o in stored.iter().filter(|o| o.is_open()) {
            assert!(
                shown.as_array().is_some_and(|a| a
                    .iter()
                    .any(|s| s["id"] == o.id.get() && s["rule"] == o.obligation.rule)),
                "{} {}: {shown}",
                o.id,
                o.obligation.rule
            );
        }
    });
}
