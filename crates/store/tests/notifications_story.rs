//! Notifications, on both backends: the scheduler's per-child schedule (written by every plan),
//! its transaction (plan and messages together, or nothing), the outbox with its leases,
//! retries and dead letters, re-escalation, acknowledgements, the signing secret and routing.

use store::*;

mod support;

use support::fixtures::{
    MINUTE, add_child, after, append, audit_at, event, open, placement, t, world,
};
use support::planner::{Plan, Spy, plan, planner, refused};
use support::snapshot::committed;
use support::{Backing, TestResult};

fn message(
    authority: AuthorityId,
    child: ChildId,
    topic: &str,
    recipient: &str,
    level: i64,
) -> NewOutbox {
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
        due_at: t(2),
        reescalate_at: Some(t(9 + level)),
    }
}

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let n = w.newham.id;
    let all = w.authorities();
    let ada = add_child(store, "Ada Lovelace", &placement(n, n, "2024-01-01"), t(0)).await?;
    let episode = open(store, ada.id, t(0)).await?;
    assert!(
        store.due_children(t(1_000), 10).await?.is_empty(),
        "nothing to look at yet: the plan said so"
    );

    // Recording an event writes the child's schedule as the plan says (the earliest open
    // deadline, an hour after the event) and wakes a scheduler in the same process.
    let changed = store.schedule_changed();
    let woken = changed.notified();
    append(store, episode.id, &event(t(1), "reported_missing", w.sw.id)).await?;
    tokio::time::timeout(std::time::Duration::from_secs(5), woken).await?;
    assert_eq!(store.due_children(t(2), 10).await?, [ada.id]);
    assert!(store.due_children(after(t(2), -1), 10).await?.is_empty());
    assert_eq!(store.next_change(ada.id).await?, Some(t(2)));
    assert_eq!(store.next_wake().await?, Some(t(2)));
    assert_eq!(store.seed_schedule(t(2)).await?, 0, "already scheduled");

    // The scheduler's transaction: the plan (here: look again at 8) and the messages together.
    // The planner is handed the child's file and stored obligations.
    let messages = vec![
        message(n, ada.id, "t1", "a@example.invalid", 0),
        message(n, ada.id, "t1", "b@example.invalid", 0),
    ];
    let spy = Spy::default();
    let scheduled = |now: Instant, next: Instant| {
        let messages = messages.clone();
        let spy = &spy;
        move |f: &ChildFile,
              s: &[ObligationRecord]|
              -> Result<(ChildPlan, Vec<NewOutbox>), String> {
            let p = spy.planning(now)(f, s)?;
            Ok((
                ChildPlan {
                    next_check: Some(next),
                    ..p
                },
                messages.clone(),
            ))
        }
    };
    assert_eq!(
        store
            .schedule_child(ada.id, t(3), &scheduled(t(3), t(8)))
            .await?,
        2
    );
    let seen = spy.take();
    assert_eq!(
        (seen.len(), seen[0].file.events.len(), seen[0].stored.len()),
        (1, 1, 1)
    );
    assert_eq!(store.next_wake().await?, Some(t(8)));
    assert!(store.due_children(t(7), 10).await?.is_empty());
    // No longer due: a second scheduler that listed it does nothing, and plans nothing.
    assert_eq!(
        store
            .schedule_child(ada.id, t(3), &scheduled(t(3), t(8)))
            .await?,
        0
    );
    assert!(spy.take().is_empty());
    assert_eq!(
        store
            .schedule_child(ChildId(999_999), t(3), &scheduled(t(3), t(8)))
            .await?,
        0
    );
    // A schedule the casework layer cannot work out writes nothing: no messages, no plan.
    let before = committed(store, ada.id, &all).await?;
    let outbox_before = store.notifications(n, None, 100).await?;
    let broken =
        |_: &ChildFile, _: &[ObligationRecord]| -> Result<(ChildPlan, Vec<NewOutbox>), String> {
            Err("casework says no".into())
        };
    let r = store.schedule_child(ada.id, t(8), &broken).await;
    assert!(refused(&r), "{r:?}");
    let half =
        |f: &ChildFile, s: &[ObligationRecord]| -> Result<(ChildPlan, Vec<NewOutbox>), String> {
            // A plan naming an obligation that is not the child's is refused with its messages.
            let mut p: ChildPlan = plan(f, s, t(8))?;
            let o = s.first().ok_or("no obligation")?;
            p.obligations
                .push((Some(ObligationId(o.id.get() + 1_000)), o.obligation.clone()));
            Ok((p, vec![message(n, ada.id, "t2", "c@example.invalid", 0)]))
        };
    let r = store.schedule_child(ada.id, t(8), &half).await;
    assert!(matches!(r, Err(StoreError::Evaluation(_))), "{r:?}");
    assert_eq!(committed(store, ada.id, &all).await?, before);
    assert_eq!(store.notifications(n, None, 100).await?, outbox_before);
    assert_eq!(store.due_children(t(8), 10).await?, [ada.id], "still due");

    // The same messages again (a replay after a crash) are not written twice.
    assert_eq!(store.enqueue(&messages, None, t(3)).await?, 0);
    assert_eq!(store.enqueue(&[], None, t(3)).await?, 0);
    assert_eq!(store.next_attempt().await?, Some(t(3)));

    // Leases: claimed once, claimable again only when the lease runs out.
    let claimed = store.claim_outbox(t(3), t(4), 10).await?;
    assert_eq!(claimed.len(), 2);
    assert_eq!(
        (
            claimed[0].status,
            claimed[0].attempts,
            claimed[0].created_at
        ),
        (MessageStatus::Pending, 0, t(3))
    );
    assert_eq!(claimed[0].message, messages[0]);
    assert!(
        store
            .claim_outbox(after(t(3), 30 * MINUTE), t(5), 10)
            .await?
            .is_empty()
    );
    assert_eq!(
        store.next_attempt().await?,
        Some(t(4)),
        "when the leases run out"
    );
    assert_eq!(store.claim_outbox(t(4), t(5), 10).await?.len(), 2);
    let (a, b2) = (claimed[0].id, claimed[1].id);
    store.outbox_delivered(a, t(4)).await?;
    store
        .outbox_failed(b2, Some(t(6)), "refused", &[], t(4))
        .await?;
    let failed = store.outbox_message(b2).await?.ok_or("b")?;
    assert_eq!(
        (
            failed.status,
            failed.attempts,
            failed.next_attempt_at,
            failed.last_error.as_deref()
        ),
        (MessageStatus::Pending, 1, t(6), Some("refused"))
    );
    assert_eq!(store.next_attempt().await?, Some(t(6)));
    assert!(store.claim_outbox(t(5), t(7), 10).await?.is_empty());
    // Given up: dead, and the dead-letter alert written in the same transaction.
    let alert = NewOutbox {
        kind: "dead_letter".into(),
        reescalate_at: None,
        ..message(n, ada.id, "t1-dead", "admin@example.invalid", 0)
    };
    store
        .outbox_failed(b2, None, "refused again", &[alert], t(6))
        .await?;
    let dead = store.outbox_message(b2).await?.ok_or("b")?;
    assert_eq!(
        (dead.status, dead.attempts, dead.last_error.as_deref()),
        (MessageStatus::Dead, 2, Some("refused again"))
    );
    assert_eq!(
        store
            .notifications(n, Some(MessageStatus::Dead), 10)
            .await?
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [b2]
    );
    assert_eq!(
        store
            .notifications(n, Some(MessageStatus::Pending), 10)
            .await?
            .iter()
            .map(|r| r.message.kind.as_str())
            .collect::<Vec<_>>(),
        ["dead_letter"]
    );
    assert_eq!(
        store
            .outbox_message(a)
            .await?
            .map(|r| (r.status, r.delivered_at, r.attempts)),
        Some((MessageStatus::Delivered, Some(t(4)), 1))
    );
    let everything = store.notifications(n, None, 10).await?;
    assert_eq!(everything.len(), 3);
    assert!(
        everything.windows(2).all(|p| p[0].id > p[1].id),
        "newest first"
    );
    assert_eq!(store.notifications(n, None, 1).await?.len(), 1);
    assert!(store.notifications(w.merton.id, None, 10).await?.is_empty());
    assert_eq!(store.outbox_message(MessageId(999_999)).await?, None);

    // Re-escalation: the next level settles the topic's pending re-escalation.
    assert_eq!(store.next_wake().await?, Some(t(8)));
    assert_eq!(store.reescalations_due(t(9), 10).await?.len(), 2);
    assert!(
        store
            .reescalations_due(after(t(9), -30 * MINUTE), 10)
            .await?
            .is_empty()
    );
    let up = message(n, ada.id, "t1", "manager@example.invalid", 1);
    assert_eq!(store.enqueue(&[up], Some("t1"), t(9)).await?, 1);
    let due = store.reescalations_due(t(10), 10).await?;
    assert_eq!(due.iter().map(|r| r.message.level).collect::<Vec<_>>(), [1]);

    // Acknowledging any message of the topic stops it, once, audited with the child.
    let acked = store
        .acknowledge(
            a,
            Some(w.sw.id),
            t(10),
            &audit_at(t(10), "acknowledge", "notification"),
        )
        .await?;
    assert_eq!(
        (acked.acknowledged_at, acked.acknowledged_by),
        (Some(t(10)), Some(w.sw.id))
    );
    assert!(store.reescalations_due(t(1_000), 10).await?.is_empty());
    let again = store
        .acknowledge(
            due[0].id,
            None,
            t(11),
            &audit_at(t(11), "acknowledge", "notification"),
        )
        .await?;
    assert_eq!(
        (again.acknowledged_at, again.acknowledged_by),
        (Some(t(10)), Some(w.sw.id)),
        "the first acknowledgement counts"
    );
    let (log, _) = store.audit_log().await?;
    assert!(log.iter().any(|r| r.entry.action == "acknowledge"
        && r.entry.entity_id == Some(a.get())
        && r.entry.child_id == Some(ada.id)));
    let log_len = log.len();
    let lost = store
        .acknowledge(
            MessageId(999_999),
            None,
            t(11),
            &audit_at(t(11), "acknowledge", "notification"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    assert_eq!(store.audit_log().await?.0.len(), log_len);

    // The signing secret: at least 16 characters, chosen once.
    let short = store.notification_secret("fifteen chars!!").await;
    assert!(matches!(short, Err(StoreError::Constraint(_))), "{short:?}");
    assert!(matches!(
        store.notification_secret("").await,
        Err(StoreError::Constraint(_))
    ));
    assert_eq!(
        store.notification_secret("the first secret").await?,
        "the first secret"
    );
    assert_eq!(
        store.notification_secret("a second, longer secret").await?,
        "the first secret"
    );

    // Routing changes make every child due again at once, audited.
    let routed = store
        .set_routing(
            n,
            r#"{"admin":["a@example.invalid"]}"#,
            &audit_at(t(12), "write", "routing"),
        )
        .await?;
    assert_eq!(routed.routing, r#"{"admin":["a@example.invalid"]}"#);
    assert_eq!(
        store
            .authorities()
            .await?
            .iter()
            .find(|x| x.id == n)
            .map(|x| x.routing.clone()),
        Some(routed.routing.clone())
    );
    assert_eq!(store.due_children(t(12), 10).await?, [ada.id]);
    let (log, _) = store.audit_log().await?;
    assert_eq!(
        log.last()
            .map(|r| (r.entry.entity.as_str(), r.entry.entity_id)),
        Some(("routing", Some(n.get())))
    );
    let lost = store
        .set_routing(
            AuthorityId(999_999),
            "{}",
            &audit_at(t(12), "write", "routing"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    assert_eq!(store.audit_log().await?.0.len(), log.len());

    // A child the scheduler has never looked at (a store from before the schedule was kept) is
    // seeded for now; then it is due, and its plan takes over.
    b.execute(
        "INSERT INTO children (version, name, dob, facts, created_at, updated_at) \
         VALUES (1, 'Old Record', '2009-01-01', '{}', 0, 0)",
    )
    .await?;
    assert_eq!(store.seed_schedule(t(13)).await?, 1);
    assert_eq!(store.seed_schedule(t(13)).await?, 0);
    let due = store.due_children(t(13), 10).await?;
    assert_eq!(due.len(), 2);
    let old = due
        .iter()
        .copied()
        .find(|c| *c != ada.id)
        .ok_or("old child")?;
    let quiet =
        |f: &ChildFile, s: &[ObligationRecord]| -> Result<(ChildPlan, Vec<NewOutbox>), String> {
            let p: Plan = planner(t(13))(f, s);
            Ok((p?, Vec::new()))
        };
    assert_eq!(store.schedule_child(old, t(13), &quiet).await?, 0);
    assert_eq!(store.due_children(t(1_000), 10).await?, [ada.id]);
    assert_eq!(
        store.next_change(ada.id).await?,
        Some(t(2)),
        "the scheduler's plan said so"
    );
    assert_eq!(store.next_change(ChildId(999_999)).await?, None);
    Ok(())
}

#[test]
fn notifications_on_sqlite() -> TestResult {
    support::on_sqlite("notifications", story)
}

#[test]
fn notifications_on_postgres() -> TestResult {
    support::on_postgres("notifications", story)
}
