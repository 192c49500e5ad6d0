//! The notification tables (issue 5) told as one story against both backends, like story.rs:
//! SQLite always, PostgreSQL when `HOMEWARD_TEST_POSTGRES` names a server.

use std::sync::Arc;

use store::*;

mod support;

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

fn audit(at: i64, action: &str, entity: &str) -> AuditEntry {
    AuditEntry {
        at,
        user_id: None,
        action: action.into(),
        entity: entity.into(),
        entity_id: None,
        child_id: None,
        remote_addr: "127.0.0.1".into(),
    }
}

fn message(authority: i64, child: i64, topic: &str, recipient: &str, level: i64) -> NewOutbox {
    NewOutbox {
        idempotency_key: format!("{topic}-{level}-{recipient}"),
        topic: topic.into(),
        authority_id: authority,
        child_id: Some(child),
        kind: if level == 0 {
            "escalation"
        } else {
            "reescalation"
        }
        .into(),
        level,
        owner_role: "social_worker".into(),
        channel: "email".into(),
        recipient: recipient.into(),
        context: "{}".into(),
        due_at: 5_000,
        reescalate_at: Some(9_000 + level * 1_000),
    }
}

async fn story(store: Arc<dyn Repository>) -> TestResult {
    let newham = store
        .create_authority(&NewAuthority {
            code: "NEWHAM".into(),
            name: "London Borough of Newham".into(),
            protocol: Some("NEWHAM".into()),
            police_force: "Metropolitan Police".into(),
        })
        .await?;
    let sw = store
        .create_user(&NewUser {
            username: "sw.newham".into(),
            display_name: "SW".into(),
            role: "social_worker".into(),
            authority_id: newham.id,
            password_hash: "-".into(),
        })
        .await?;
    let placement = NewPlacement {
        responsible_authority_id: newham.id,
        host_authority_id: newham.id,
        legal_status: "s31_care_order".into(),
        placement_type: "foster".into(),
        police_force: "Metropolitan Police".into(),
        travel_minutes: 5,
        starts_on: "2024-01-01".into(),
        change_reason: None,
    };
    let fields = ChildFields {
        name: "Ada".into(),
        dob: "2012-01-01".into(),
        facts: "{}".into(),
    };
    let (child, _) = store
        .create_child(&fields, &placement, 1_000, &audit(1_000, "write", "child"))
        .await?;
    let episode = store
        .open_episode(child.id, 1_000, &audit(1_000, "write", "episode"))
        .await?;

    // Recording an event puts the child on the schedule at once, and wakes a scheduler.
    let changed = store.schedule_changed();
    let woken = changed.notified();
    store
        .append_event(
            episode.id,
            None,
            &NewEvent {
                at: 1_500,
                body: r#"{"at":"x","type":"risk_graded","data":{"level":"high"}}"#.into(),
                correction: None,
                recorded_by: sw.id,
                recorded_at: 2_000,
            },
            &|_| Ok(Vec::new()),
            &audit(2_000, "write", "event"),
        )
        .await?;
    tokio::time::timeout(std::time::Duration::from_secs(5), woken).await?;
    assert_eq!(store.due_children(2_000, 10).await?, [child.id]);
    assert!(store.due_children(1_999, 10).await?.is_empty());
    assert_eq!(store.seed_schedule(2_000).await?, 0, "already scheduled");

    // The scheduler's transaction: obligations, next check and messages together.
    let messages = vec![
        message(newham.id, child.id, "t1", "a@example.invalid", 0),
        message(newham.id, child.id, "t1", "b@example.invalid", 0),
    ];
    let outcome = ScheduleOutcome {
        obligations: vec![NewObligation {
            episode_id: episode.id,
            authority_id: newham.id,
            rule: "NEWHAM-ESC-LAC-24H".into(),
            share: None,
            owner_role: "social_worker".into(),
            action: "notify".into(),
            citation: "002 §9.2".into(),
            activation: 5_000,
            due: Some(5_000),
        }],
        next_check: Some(8_000),
        messages: messages.clone(),
    };
    assert_eq!(
        store
            .schedule_child(child.id, 6_000, &|_| Ok(outcome.clone()))
            .await?,
        2
    );
    assert_eq!(store.child_obligations(child.id).await?.len(), 1);
    // No longer due: a second scheduler that listed it does nothing.
    assert_eq!(
        store
            .schedule_child(child.id, 6_000, &|_| Ok(outcome.clone()))
            .await?,
        0
    );
    // A failing evaluation writes nothing.
    store.enqueue(&[], None, 6_000).await?;
    assert!(matches!(
        store
            .schedule_child(child.id, 8_000, &|_| Err("broken".into()))
            .await,
        Err(StoreError::Evaluation(_))
    ));
    assert_eq!(
        store.due_children(8_000, 10).await?,
        [child.id],
        "still due after the failure"
    );
    // The same messages again (a replay after a crash) are not written twice.
    assert_eq!(store.enqueue(&messages, None, 6_500).await?, 0);
    assert_eq!(store.next_wake().await?, Some(8_000));
    assert_eq!(store.next_attempt().await?, Some(6_000));

    // Leases: claimed once, claimable again only when the lease runs out.
    let claimed = store.claim_outbox(6_000, 7_000, 10).await?;
    assert_eq!(claimed.len(), 2);
    assert!(store.claim_outbox(6_500, 7_500, 10).await?.is_empty());
    assert_eq!(store.claim_outbox(7_000, 7_500, 10).await?.len(), 2);
    let (a, b) = (claimed[0].id, claimed[1].id);
    store.outbox_delivered(a, 7_100).await?;
    store
        .outbox_failed(b, Some(7_600), "refused", &[], 7_100)
        .await?;
    let failed = store.outbox_message(b).await?.ok_or("b")?;
    assert_eq!(
        (
            failed.status.as_str(),
            failed.attempts,
            failed.next_attempt_at
        ),
        ("pending", 1, 7_600)
    );
    assert_eq!(failed.last_error.as_deref(), Some("refused"));
    assert_eq!(store.next_attempt().await?, Some(7_600));
    let alert = NewOutbox {
        kind: "dead_letter".into(),
        reescalate_at: None,
        ..message(newham.id, child.id, "t1-dead", "admin@example.invalid", 0)
    };
    store
        .outbox_failed(b, None, "refused", &[alert], 7_700)
        .await?;
    assert_eq!(
        store.outbox_message(b).await?.map(|r| r.status),
        Some("dead".into())
    );
    let dead = store.notifications(newham.id, Some("dead"), 10).await?;
    assert_eq!(dead.len(), 1);
    let pending = store.notifications(newham.id, Some("pending"), 10).await?;
    assert_eq!(
        pending
            .iter()
            .map(|r| r.message.kind.as_str())
            .collect::<Vec<_>>(),
        ["dead_letter"]
    );
    assert_eq!(
        store
            .outbox_message(a)
            .await?
            .map(|r| (r.status, r.delivered_at)),
        Some(("delivered".into(), Some(7_100)))
    );

    // Re-escalation: the next level replaces the topic's pending re-escalation.
    assert_eq!(store.next_wake().await?, Some(8_000));
    assert_eq!(store.reescalations_due(9_000, 10).await?.len(), 2);
    let up = message(newham.id, child.id, "t1", "manager@example.invalid", 1);
    assert_eq!(store.enqueue(&[up], Some("t1"), 9_000).await?, 1);
    let due = store.reescalations_due(10_000, 10).await?;
    assert_eq!(due.iter().map(|r| r.message.level).collect::<Vec<_>>(), [1]);

    // Acknowledging any message of the topic stops it, audited.
    let acked = store
        .acknowledge(
            a,
            Some(sw.id),
            10_500,
            &audit(10_500, "acknowledge", "notification"),
        )
        .await?;
    assert_eq!(
        (acked.acknowledged_at, acked.acknowledged_by),
        (Some(10_500), Some(sw.id))
    );
    assert!(store.reescalations_due(100_000, 10).await?.is_empty());
    let again = store
        .acknowledge(
            due[0].id,
            None,
            11_000,
            &audit(11_000, "acknowledge", "notification"),
        )
        .await?;
    assert_eq!(
        again.acknowledged_at,
        Some(10_500),
        "the first acknowledgement counts"
    );
    let (log, _) = store.audit_log().await?;
    assert!(log.iter().any(|r| r.action == "acknowledge"
        && r.entity_id == Some(a)
        && r.child_id == Some(child.id)));

    // The signing secret is chosen once.
    assert_eq!(store.notification_secret("first").await?, "first");
    assert_eq!(store.notification_secret("second").await?, "first");

    // Routing changes make every child due again.
    let routed = store
        .set_routing(
            newham.id,
            r#"{"admin":["a@example.invalid"]}"#,
            &audit(12_000, "write", "routing"),
        )
        .await?;
    assert_eq!(routed.routing, r#"{"admin":["a@example.invalid"]}"#);
    assert_eq!(store.due_children(12_000, 10).await?, [child.id]);
    assert!(matches!(
        store
            .set_routing(9_999, "{}", &audit(12_000, "write", "routing"))
            .await,
        Err(StoreError::NotFound)
    ));

    // The daily list: the missing child with its last risk level.
    let open = store.open_episodes(newham.id).await?;
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].child_id, open[0].risk.as_deref()),
        (child.id, Some("high"))
    );
    Ok(())
}

#[test]
fn outbox_story_on_sqlite() -> TestResult {
    let dir = support::scratch("outbox-story")?;
    support::runtime()?.block_on(async {
        let store = open(dir.join("story.db").to_str().unwrap_or_default()).await?;
        story(store).await
    })
}

#[test]
fn outbox_story_on_postgres() -> TestResult {
    let Some(server) = support::postgres("outbox_story_on_postgres")? else {
        return Ok(());
    };
    support::runtime()?.block_on(async {
        let store = open(&support::fresh_database(&server, "outbox").await?).await?;
        story(store).await
    })
}
