//! Obligations, on both backends: the store writes a plan's obligations as it is told — new
//! ones inserted, changed ones updated in place under the ID they keep, ended ones kept with why
//! and when — and only the child's own; and recomputes children outside a change of their own,
//! all of them or none.

use protocol::vocabulary::OwnerRole;
use store::*;

mod support;

use support::fixtures::{
    MINUTE, add_child, after, append, correcting, event, event_with, open, placement, t, world,
};
use support::planner::{Plan, Spy, plan, planner, refused};
use support::snapshot::committed;
use support::{Backing, TestResult};

/// An obligation of the story's by ID, or why not.
async fn obligation(store: &dyn Store, id: ObligationId) -> Result<ObligationRecord, String> {
    store
        .obligation(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("obligation {id} not found"))
}

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let all = w.authorities();
    let home = placement(w.newham.id, w.newham.id, "2024-01-01");
    let ada = add_child(store, "Ada Lovelace", &home, t(0)).await?;
    let ben = add_child(store, "Ben Okri", &home, t(0)).await?;
    let episode = open(store, ada.id, t(0)).await?;
    assert!(store.child_obligations(ada.id).await?.is_empty());

    // A new obligation is inserted, computed when its event was recorded.
    let reported = append(store, episode.id, &event(t(1), "reported_missing", w.sw.id)).await?;
    let stored = store.child_obligations(ada.id).await?;
    assert_eq!(stored.len(), 1);
    let first = stored[0].clone();
    assert_eq!(
        (first.child_id, first.computed_at, first.is_open()),
        (ada.id, reported.recorded_at, true)
    );
    assert_eq!(
        first.obligation,
        NewObligation {
            episode_id: episode.id,
            authority_id: w.newham.id,
            rule: "TEST-REPORTED_MISSING".into(),
            share: None,
            owner_role: Some(OwnerRole::SocialWorker),
            action: format!("follow up event {}", reported.id),
            citation: "test planner".into(),
            activation: t(1),
            due: Some(t(2)),
            met_at: None,
            ended: None,
            ended_at: None,
        }
    );
    assert_eq!(obligation(store, first.id).await?, first);
    assert_eq!(store.obligation(ObligationId(999_999)).await?, None);

    // An obligation the plan does not list is left exactly as it was.
    let graded = append(
        store,
        episode.id,
        &event_with(
            t(2),
            "risk_graded",
            serde_json::json!({"level": "low"}),
            w.sw.id,
        ),
    )
    .await?;
    assert_eq!(obligation(store, first.id).await?, first);
    let second = store
        .child_obligations(ada.id)
        .await?
        .into_iter()
        .find(|o| o.obligation.rule == "TEST-RISK_GRADED")
        .ok_or("risk obligation")?;

    // A correction that keeps the obligation's identity changes its content in place, under
    // the same ID, computed again.
    let regraded = append(
        store,
        episode.id,
        &correcting(
            graded.id,
            event_with(
                t(2),
                "risk_graded",
                serde_json::json!({"level": "high"}),
                w.sw.id,
            ),
        ),
    )
    .await?;
    let changed = obligation(store, second.id).await?;
    assert_eq!(
        (changed.obligation.action.clone(), changed.computed_at),
        (
            format!("follow up event {}", regraded.id),
            regraded.recorded_at
        )
    );
    assert_eq!(
        NewObligation {
            action: second.obligation.action.clone(),
            ..changed.obligation.clone()
        },
        second.obligation
    );

    // A correction that moves the activation: the old obligation no longer applies and stays
    // readable, ended, with when the store learnt it; a new one takes its place.
    let moved = append(
        store,
        episode.id,
        &correcting(
            reported.id,
            event(after(t(1), 30 * MINUTE), "reported_missing", w.sw.id),
        ),
    )
    .await?;
    let ended = obligation(store, first.id).await?;
    assert!(!ended.is_open());
    assert_eq!(
        (
            ended.obligation.ended,
            ended.obligation.ended_at,
            ended.obligation.met_at,
            ended.computed_at
        ),
        (
            Some(Ended::NoLongerApplies),
            Some(moved.recorded_at),
            None,
            moved.recorded_at
        )
    );
    assert_eq!(
        NewObligation {
            ended: None,
            ended_at: None,
            ..ended.obligation.clone()
        },
        first.obligation,
        "only why and when it ended changed"
    );
    let stored = store.child_obligations(ada.id).await?;
    assert_eq!(
        stored
            .iter()
            .map(|o| (o.obligation.due, o.is_open()))
            .collect::<Vec<_>>(),
        [
            (Some(t(2)), false),
            (Some(after(t(2), 30 * MINUTE)), true),
            (Some(t(3)), true)
        ],
        "open and ended, by due"
    );
    let third = stored[1].clone();
    assert!(third.id != first.id && third.id != second.id);
    assert_eq!(
        store.episode_obligations(episode.id).await?,
        stored[1..],
        "an episode's open obligations, by due"
    );
    assert!(
        store
            .episode_obligations(EpisodeId(999_999))
            .await?
            .is_empty()
    );

    // Found: every open obligation of the episode is met, under its ID, with the instant the
    // event met it; the one that no longer applied is not touched.
    let found = append(store, episode.id, &event(t(5), "found", w.sw.id)).await?;
    let stored = store.child_obligations(ada.id).await?;
    assert_eq!(
        stored.iter().map(|o| o.id).collect::<Vec<_>>(),
        [first.id, third.id, second.id]
    );
    assert_eq!(stored[0], ended);
    assert!(store.episode_obligations(episode.id).await?.is_empty());
    for met in &stored[1..] {
        assert_eq!(
            (
                met.obligation.ended,
                met.obligation.met_at,
                met.obligation.ended_at,
                met.computed_at
            ),
            (
                Some(Ended::Discharged),
                Some(t(5)),
                Some(found.recorded_at),
                found.recorded_at
            )
        );
    }

    // Recomputing outside a change hands the planner every stored obligation, open and ended,
    // and writes nothing the plan does not list.
    let spy = Spy::default();
    store
        .recompute(&[ada.id], t(9), &spy.planning(t(9)))
        .await?;
    let seen = spy.take();
    assert_eq!(seen.len(), 1);
    let mut handed = seen[0].stored.clone();
    handed.sort_by_key(|o| o.id);
    let mut now = stored.clone();
    now.sort_by_key(|o| o.id);
    assert_eq!(handed, now);
    assert_eq!(store.child_obligations(ada.id).await?, stored);
    store.recompute(&[], t(9), &planner(t(9))).await?;

    // A plan may reopen an ended obligation, in place.
    let reopen = move |f: &ChildFile, s: &[ObligationRecord]| -> Plan {
        let mut p = plan(f, s, t(10))?;
        let o = s.iter().find(|o| o.id == first.id).ok_or("first")?;
        p.obligations.push((
            Some(o.id),
            NewObligation {
                ended: None,
                ended_at: None,
                ..o.obligation.clone()
            },
        ));
        Ok(p)
    };
    store.recompute(&[ada.id], t(10), &reopen).await?;
    let reopened = obligation(store, first.id).await?;
    assert_eq!(
        (reopened.obligation.clone(), reopened.computed_at),
        (first.obligation.clone(), t(10))
    );
    let queue = store
        .queue(&QueueFilter {
            authority: w.newham.id,
            owner_role: None,
            window: DueWindow::Any,
            child: Some(ada.id),
            limit: 10,
            offset: 0,
        })
        .await?;
    assert_eq!(
        queue.iter().map(|r| r.obligation.id).collect::<Vec<_>>(),
        [first.id]
    );

    // Ben's obligations, moved by a plan: `(Some(id), o)` replaces the content in place.
    let bens = open(store, ben.id, t(0)).await?;
    append(store, bens.id, &event(t(1), "reported_missing", w.sw.id)).await?;
    let bens_first = store.child_obligations(ben.id).await?[0].clone();
    let original = &bens_first;
    let move_it = move |f: &ChildFile, s: &[ObligationRecord]| -> Plan {
        let mut p = plan(f, s, t(11))?;
        p.obligations.push((
            Some(original.id),
            NewObligation {
                due: Some(t(30)),
                action: "moved by the plan".into(),
                owner_role: Some(OwnerRole::TeamManager),
                citation: "another paragraph".into(),
                ..original.obligation.clone()
            },
        ));
        Ok(p)
    };
    store.recompute(&[ben.id], t(11), &move_it).await?;
    let moved_by_plan = obligation(store, bens_first.id).await?;
    assert_eq!(
        (
            moved_by_plan.child_id,
            moved_by_plan.obligation.due,
            moved_by_plan.obligation.action.as_str(),
            moved_by_plan.obligation.owner_role,
            moved_by_plan.obligation.citation.as_str(),
            moved_by_plan.computed_at
        ),
        (
            ben.id,
            Some(t(30)),
            "moved by the plan",
            Some(OwnerRole::TeamManager),
            "another paragraph",
            t(11)
        )
    );
    assert_eq!(store.child_obligations(ben.id).await?.len(), 1);

    // A plan cannot change another child's obligation through its ID, nor write one under an
    // ID the store never gave: the change is refused and nothing of it is written.
    let ada_before = committed(store, ada.id, &all).await?;
    let ben_before = committed(store, ben.id, &all).await?;
    let kent = w.kent.id;
    let hijack = |target: ObligationId| {
        move |f: &ChildFile, s: &[ObligationRecord]| -> Plan {
            let mut p = plan(f, s, t(12))?;
            p.obligations.push((
                Some(target),
                NewObligation {
                    action: "hijacked".into(),
                    ended: Some(Ended::NoLongerApplies),
                    ended_at: Some(t(12)),
                    ..original.obligation.clone()
                },
            ));
            p.visible_to.push(kent);
            Ok(p)
        }
    };
    for target in [first.id, ObligationId(999_999)] {
        let r = store.recompute(&[ben.id], t(12), &hijack(target)).await;
        assert!(
            matches!(r, Err(StoreError::Evaluation(_))),
            "{target}: {r:?}"
        );
        assert_eq!(committed(store, ada.id, &all).await?, ada_before);
        assert_eq!(committed(store, ben.id, &all).await?, ben_before);
        assert_eq!(store.obligation(ObligationId(999_999)).await?, None);
    }

    // Recomputing several children is one transaction: one that cannot be planned leaves the
    // others as they were. An unknown child is not found; a child named twice is planned once.
    let picky = move |f: &ChildFile, s: &[ObligationRecord]| -> Plan {
        if f.child.id == ben.id {
            return Err("casework says no".into());
        }
        plan(f, s, t(13))
    };
    let r = store.recompute(&[ada.id, ben.id], t(13), &picky).await;
    assert!(refused(&r), "{r:?}");
    assert_eq!(committed(store, ada.id, &all).await?, ada_before);
    let r = store
        .recompute(&[ada.id, ChildId(999_999)], t(13), &planner(t(13)))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert_eq!(committed(store, ada.id, &all).await?, ada_before);
    let spy = Spy::default();
    store
        .recompute(&[ada.id, ben.id, ada.id], t(13), &spy.planning(t(13)))
        .await?;
    let mut planned: Vec<ChildId> = spy.take().iter().map(|s| s.file.child.id).collect();
    planned.sort();
    assert_eq!(planned, [ada.id, ben.id]);
    // The test planner ends the reopened obligation again, and moves Ben's back.
    assert_eq!(
        obligation(store, first.id).await?.obligation.ended,
        Some(Ended::NoLongerApplies)
    );
    assert_eq!(
        obligation(store, bens_first.id).await?.obligation,
        bens_first.obligation
    );

    // Hundreds of obligations in one plan (more than one statement holds), inserted, then
    // all updated in place, then all ended.
    let merton = w.merton.id;
    let many = |shift: i64, ended: bool| {
        move |f: &ChildFile, s: &[ObligationRecord]| -> Plan {
            let mut p = plan(f, s, t(14))?;
            p.obligations.retain(|(_, o)| !o.rule.starts_with("BULK-"));
            for i in 0..250 {
                let rule = format!("BULK-{i:03}");
                let id = s.iter().find(|o| o.obligation.rule == rule).map(|o| o.id);
                p.obligations.push((
                    id,
                    NewObligation {
                        episode_id: bens.id,
                        authority_id: merton,
                        rule,
                        share: None,
                        owner_role: Some(OwnerRole::Police),
                        action: format!("bulk {i}"),
                        citation: "bulk".into(),
                        activation: t(1),
                        due: Some(after(t(3), shift + i)),
                        met_at: None,
                        ended: ended.then_some(Ended::NoLongerApplies),
                        ended_at: ended.then_some(t(15)),
                    },
                ));
            }
            Ok(p)
        }
    };
    let bulk = |stored: Vec<ObligationRecord>| -> Vec<ObligationRecord> {
        stored
            .into_iter()
            .filter(|o| o.obligation.rule.starts_with("BULK-"))
            .collect()
    };
    store.recompute(&[ben.id], t(14), &many(0, false)).await?;
    let inserted = bulk(store.child_obligations(ben.id).await?);
    assert_eq!(inserted.len(), 250);
    store
        .recompute(&[ben.id], t(15), &many(1_000, false))
        .await?;
    let updated = bulk(store.child_obligations(ben.id).await?);
    assert_eq!(
        updated
            .iter()
            .map(|o| (o.id, o.obligation.due, o.computed_at))
            .collect::<Vec<_>>(),
        inserted
            .iter()
            .map(|o| (o.id, o.obligation.due.map(|d| after(d, 1_000)), t(15)))
            .collect::<Vec<_>>()
    );
    store
        .recompute(&[ben.id], t(16), &many(1_000, true))
        .await?;
    let counts = store.obligation_counts(w.merton.id, t(0), t(1)).await?;
    assert_eq!(counts, (0, 0, 0), "every bulk obligation ended");
    assert_eq!(bulk(store.child_obligations(ben.id).await?).len(), 250);
    Ok(())
}

#[test]
fn obligations_on_sqlite() -> TestResult {
    support::on_sqlite("obligations", story)
}

#[test]
fn obligations_on_postgres() -> TestResult {
    support::on_postgres("obligations", story)
}
