//! Two people editing the same child or episode: the second gets 409, never a silent overwrite.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::on_both;

#[test]
fn stale_writers_get_a_conflict() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let sw = "social_worker.newham";
        let r = app.get(&format!("/api/v1/children/{child}"), sw).await;
        let etag = r.etag();
        assert_eq!(etag, "\"v1\"");
        let update = |name: &str| json!({"name": name, "dob": "2009-04-04", "facts": {"flags": ["open_to_csc"], "concerns": []}});

        let first = app
            .call(
                Method::PUT,
                &format!("/api/v1/children/{child}"),
                Some(sw),
                Some(update("First Editor")),
                &[("if-match", &etag)],
            )
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(first.etag(), "\"v2\"");
        let second = app
            .call(
                Method::PUT,
                &format!("/api/v1/children/{child}"),
                Some("team_manager.newham"),
                Some(update("Second Editor")),
                &[("if-match", &etag)],
            )
            .await;
        assert_eq!(
            (second.status, second.json["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("version_conflict"))
        );
        assert_eq!(
            app.get(&format!("/api/v1/children/{child}"), sw).await.json["name"],
            "First Editor"
        );

        let none = app
            .call(
                Method::PUT,
                &format!("/api/v1/children/{child}"),
                Some(sw),
                Some(update("No ETag")),
                &[],
            )
            .await;
        assert_eq!(
            (none.status, none.json["error"]["code"].as_str()),
            (StatusCode::PRECONDITION_REQUIRED, Some("if_match_required"))
        );

        let ep = app
            .get(&format!("/api/v1/episodes/{episode}"), sw)
            .await
            .etag();
        let event = json!({"event": {"at": "2024-09-06T20:30:00+01:00", "type": "reported_missing", "data": {"to": "Metropolitan Police"}}});
        let a = app
            .call(
                Method::POST,
                &format!("/api/v1/episodes/{episode}/events"),
                Some(sw),
                Some(event.clone()),
                &[("if-match", &ep)],
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        let b = app
            .call(
                Method::POST,
                &format!("/api/v1/episodes/{episode}/events"),
                Some(sw),
                Some(event),
                &[("if-match", &ep)],
            )
            .await;
        assert_eq!(b.status, StatusCode::CONFLICT);
        let patch = app
            .call(
                Method::PATCH,
                &format!("/api/v1/episodes/{episode}"),
                Some(sw),
                Some(json!({"finder_authority": "KENT"})),
                &[("if-match", &ep)],
            )
            .await;
        assert_eq!(patch.status, StatusCode::CONFLICT);
    });
}

#[test]
fn simultaneous_event_recording_loses_nothing() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let mut handles = Vec::new();
        for n in 0..8 {
            let router = app.router.clone();
            let path = format!("/api/v1/episodes/{episode}/events");
            let body = json!({"event": {"at": format!("2024-09-06T20:{:02}:00+01:00", 10 + n), "type": "notification_sent", "data": {"to": format!("agency {n}")}}});
            handles.push(tokio::spawn(async move {
                use tower::ServiceExt;
                let req = axum::http::Request::post(path)
                    .header(
                        "authorization",
                        format!("Bearer {}", super::token("social_worker.newham")),
                    )
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body.to_string()))
                    .unwrap_or_else(|e| unreachable!("{e}"));
                router
                    .oneshot(req)
                    .await
                    .map(|r| r.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }));
        }
        for h in handles {
            assert_eq!(
                h.await.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                StatusCode::CREATED
            );
        }
        let file = app.store.child_file(child).await.ok().flatten();
        assert_eq!(file.map(|f| f.events.len()), Some(8));
        let (rows, head) = app.store.audit_log().await.unwrap_or_default();
        assert_eq!(
            store::audit::verify(&rows, (head.0, &head.1)),
            Ok(rows.len()),
            "the chain survives concurrent writers"
        );
    });
}
