//! Acknowledgement links of notifications (issue 5): GET only shows a confirmation page (mail
//! scanners follow links), POST acknowledges and is audited; a forged token is refused.

use axum::http::{Method, StatusCode};
use store::{Instant, NewOutbox};

use super::on_both;

#[test]
fn the_link_confirms_on_get_and_acknowledges_on_post() {
    on_both(|app| async move {
        let (child, _) = app.seed_child().await;
        let store = app.store.clone();
        let newham = app.authority("NEWHAM").await;
        let message = NewOutbox {
            idempotency_key: "k-1".into(),
            topic: "topic-1".into(),
            authority_id: newham,
            child_id: Some(child),
            kind: "overdue".into(),
            level: 0,
            owner_role: "social_worker".into(),
            channel: "email".into(),
            recipient: "duty.newham@example.invalid".into(),
            context: r#"{"action":"Hold a strategy meeting"}"#.into(),
            due_at: Instant::from_micros(1),
            reescalate_at: Some(Instant::from_micros(2)),
        };
        assert_eq!(
            store
                .enqueue(&[message], None, Instant::from_micros(1))
                .await
                .ok(),
            Some(1)
        );
        let id = store
            .notifications(newham, None, 10)
            .await
            .unwrap_or_default()[0]
            .id;
        let secret = app
            .state
            .casework
            .notification_secret()
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let token = casework::ack::token(&secret, id, "k-1");

        let page = app
            .call(Method::GET, &format!("/ack/{token}"), None, None, &[])
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
        assert!(
            page.text.contains("Hold a strategy meeting"),
            "{}",
            page.text
        );
        let unchanged = store.outbox_message(id).await.ok().flatten();
        assert_eq!(
            unchanged.and_then(|r| r.acknowledged_at),
            None,
            "GET changes nothing"
        );

        let forged = format!("{id}.{}", "0".repeat(64));
        for t in [forged.as_str(), "nonsense", "999.abc"] {
            let r = app
                .call(Method::POST, &format!("/ack/{t}"), None, None, &[])
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{t}");
        }
        assert_eq!(
            store
                .outbox_message(id)
                .await
                .ok()
                .flatten()
                .and_then(|r| r.acknowledged_at),
            None
        );

        let done = app
            .call(Method::POST, &format!("/ack/{token}"), None, None, &[])
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
        assert!(done.text.contains("will not be escalated again"));
        let acked = store
            .outbox_message(id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| unreachable!("message"));
        assert!(acked.acknowledged_at.is_some());
        assert_eq!(
            store
                .reescalations_due(Instant::from_micros(i64::MAX), 10)
                .await
                .map(|r| r.len())
                .ok(),
            Some(0)
        );
        let log = app.audit_log().await;
        assert!(log.iter().any(|r| r.entry.action == "acknowledge"
            && r.entry.entity == "notification"
            && r.entry.entity_id == Some(id.get())));

        let again = app
            .call(Method::GET, &format!("/ack/{token}"), None, None, &[])
            .await;
        assert!(again.text.contains("Already acknowledged"));
    });
}

#[test]
fn notifications_are_listed_and_acknowledged_within_the_authority() {
    on_both(|app| async move {
        let (child, _) = app.seed_child().await;
        let store = app.store.clone();
        let (newham, merton) = (app.authority("NEWHAM").await, app.authority("MERTON").await);
        let message = |authority: store::AuthorityId, key: &str| NewOutbox {
            idempotency_key: key.into(),
            topic: key.into(),
            authority_id: authority,
            child_id: Some(child),
            kind: "escalation".into(),
            level: 0,
            owner_role: "social_worker".into(),
            channel: "email".into(),
            recipient: "duty@example.invalid".into(),
            context: r#"{"rule":"NEWHAM-ESC-LAC-24H"}"#.into(),
            due_at: Instant::from_micros(1),
            reescalate_at: Some(Instant::from_micros(2)),
        };
        store
            .enqueue(
                &[message(newham, "n-1"), message(merton, "m-1")],
                None,
                Instant::from_micros(1),
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let sw = "social_worker.newham";
        let list = app.get("/api/v1/notifications?status=pending", sw).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        let items = list.json.as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1, "only the caller's authority: {}", list.text);
        assert_eq!(items[0]["rule"], "NEWHAM-ESC-LAC-24H");
        let bad = app.get("/api/v1/notifications?status=lost", sw).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

        let all = store
            .notifications(merton, None, 10)
            .await
            .unwrap_or_default();
        let foreign = app
            .call(
                Method::POST,
                &format!("/api/v1/notifications/{}/acknowledge", all[0].id),
                Some(sw),
                None,
                &[],
            )
            .await;
        assert_eq!(
            foreign.status,
            StatusCode::NOT_FOUND,
            "another authority's message"
        );
        let id = items[0]["id"].as_i64().unwrap_or_default();
        let ack = app
            .call(
                Method::POST,
                &format!("/api/v1/notifications/{id}/acknowledge"),
                Some(sw),
                None,
                &[],
            )
            .await;
        assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
        assert!(ack.json["acknowledged_at"].is_string());
        let acked = store
            .outbox_message(store::MessageId(id))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.acknowledged_by);
        assert!(acked.is_some(), "acknowledged by the caller");
    });
}

#[test]
fn only_the_authoritys_admin_changes_its_routing_and_errors_name_the_field() {
    on_both(|app| async move {
        let path = "/api/v1/authorities/NEWHAM/routing";
        assert_eq!(
            app.get(path, "social_worker.newham").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(app.get(path, "admin.newham").await.status, StatusCode::OK);
        let put = |user: &'static str, body: serde_json::Value| {
            let app = &app;
            async move {
                app.call(Method::PUT, path, Some(user), Some(body), &[])
                    .await
            }
        };
        let bad = put(
            "admin.newham",
            serde_json::json!({"recipients": {"social_worker": ["not an address"]}}),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.text.contains("$.recipients.social_worker[0]"),
            "{}",
            bad.text
        );
        let unknown = put("admin.newham", serde_json::json!({"recipents": {}})).await;
        assert_eq!(
            unknown.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            unknown.text
        );
        let role = put(
            "admin.newham",
            serde_json::json!({"managers": {"social_worker": "boss"}}),
        )
        .await;
        assert!(
            role.text.contains("$.managers.social_worker"),
            "{}",
            role.text
        );
        let good = serde_json::json!({"recipients": {"social_worker": ["duty.newham@example.invalid"]}, "reescalate_after_minutes": 30});
        let ok = put("admin.newham", good.clone()).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
        let shown = app.get(path, "admin.newham").await;
        assert_eq!(shown.json["reescalate_after_minutes"], 30);
        assert_eq!(
            shown.json["recipients"]["social_worker"][0],
            "duty.newham@example.invalid"
        );
        // Another authority's admin may not.
        let sheffield_admin = put("social_worker.sheffield", good).await;
        assert_eq!(sheffield_admin.status, StatusCode::FORBIDDEN);
        let log = app.audit_log().await;
        assert!(
            log.iter()
                .any(|r| r.entry.entity == "routing" && r.entry.action == "write")
        );
    });
}
