//! Acknowledgement links of notifications (issue 5): GET only shows a confirmation page (mail
//! scanners follow links), POST acknowledges and is audited; a forged token is refused.

use axum::http::{Method, StatusCode};
use store::NewOutbox;

use super::on_both;

#[test]
fn the_link_confirms_on_get_and_acknowledges_on_post() {
    on_both(|app| async move {
        let (child, _) = app.seed_child().await;
        let store = app.state.store.clone();
        let newham = store
            .authorities()
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.code == "NEWHAM")
            .unwrap_or_else(|| unreachable!("Newham"));
        let message = NewOutbox {
            idempotency_key: "k-1".into(),
            topic: "topic-1".into(),
            authority_id: newham.id,
            child_id: Some(child),
            kind: "overdue".into(),
            level: 0,
            owner_role: "social_worker".into(),
            channel: "email".into(),
            recipient: "duty.newham@example.invalid".into(),
            context: r#"{"action":"Hold a strategy meeting"}"#.into(),
            due_at: 1,
            reescalate_at: Some(2),
        };
        assert_eq!(store.enqueue(&[message], None, 1).await.ok(), Some(1));
        let id = store
            .notifications(newham.id, None, 10)
            .await
            .unwrap_or_default()[0]
            .id;
        let secret = store
            .notification_secret("test-secret")
            .await
            .unwrap_or_default();
        let token = web::ack::token(&secret, id, "k-1");

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
                .reescalations_due(i64::MAX, 10)
                .await
                .map(|r| r.len())
                .ok(),
            Some(0)
        );
        let (log, _) = store.audit_log().await.unwrap_or_default();
        assert!(log.iter().any(|r| r.action == "acknowledge"
            && r.entity == "notification"
            && r.entity_id == Some(id)));

        let again = app
            .call(Method::GET, &format!("/ack/{token}"), None, None, &[])
            .await;
        assert!(again.text.contains("Already acknowledged"));
    });
}
