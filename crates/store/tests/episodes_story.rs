//! Episodes, on both backends: opening one, events and corrections, where the child was found,
//! meetings with their actions, return interviews. Every change the engine reads is planned
//! inside its own transaction, sees itself there, and leaves nothing when it cannot be planned.

use protocol::vocabulary::{MeetingType, RhiMode, RiskLevel};
use store::*;

mod support;

use support::fixtures::{
    HOUR, MINUTE, add_child, after, append, audit, correcting, event, event_with, open, placement,
    t, world,
};
use support::planner::{Spy, planner, refused};
use support::snapshot::committed;
use support::{Backing, TestResult};

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let all = w.authorities();
    let spy = Spy::default();
    let ada = add_child(
        store,
        "Ada Lovelace",
        &placement(w.newham.id, w.merton.id, "2024-01-01"),
        t(0),
    )
    .await?;
    let audit_len = |log: &(Vec<AuditRecord>, (i64, String))| log.0.len();

    // Opening an episode: under the current placement's authorities, planned with the episode
    // in the file.
    let before = committed(store, ada.id, &all).await?;
    let refused_open = store
        .open_episode(ada.id, t(1), &spy.failing(), &audit("write", "episode"))
        .await;
    assert!(refused(&refused_open), "{refused_open:?}");
    assert_eq!(
        spy.take()
            .iter()
            .map(|s| s.file.episodes.len())
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(committed(store, ada.id, &all).await?, before);
    let nobody = store
        .open_episode(
            ChildId(999_999),
            t(1),
            &planner(t(1)),
            &audit("write", "episode"),
        )
        .await;
    assert!(matches!(nobody, Err(StoreError::NotFound)), "{nobody:?}");

    let episode = store
        .open_episode(
            ada.id,
            t(1),
            &spy.planning(t(1)),
            &audit("write", "episode"),
        )
        .await?;
    assert_eq!(
        (
            episode.child_id,
            episode.version,
            episode.responsible_authority_id,
            episode.host_authority_id,
            episode.finder_authority_id,
            episode.opened_at
        ),
        (ada.id, 1, w.newham.id, w.merton.id, None, t(1))
    );
    assert_eq!(spy.take()[0].file.episodes, std::slice::from_ref(&episode));
    assert_eq!(store.episode(episode.id).await?, Some(episode.clone()));
    assert_eq!(store.episode(EpisodeId(999_999)).await?, None);
    let log = store.audit_log().await?;
    assert_eq!(
        log.0.last().and_then(|r| r.entry.entity_id),
        Some(episode.id.get())
    );
    assert_eq!(audit_len(&log), before.audit.0 + 1);

    // Events: each moves the episode's version on (the ETag) and is planned with the file that
    // holds it. A writer at a stale version gets a conflict; an unknown episode is not found.
    let reported = event(t(2), "reported_missing", w.sw.id);
    let (ep, first) = store
        .append_event(
            episode.id,
            Some(1),
            &reported,
            &spy.planning(reported.recorded_at),
            &audit("write", "event"),
        )
        .await?;
    assert_eq!(ep.version, 2);
    assert_eq!(
        (
            first.episode_id,
            first.at,
            first.body.as_str(),
            first.recorded_by,
            first.recorded_at,
            first.corrects_event_id
        ),
        (
            episode.id,
            t(2),
            reported.body.as_str(),
            w.sw.id,
            after(t(2), MINUTE),
            None
        )
    );
    assert_eq!(spy.take()[0].file.events, std::slice::from_ref(&first));
    assert_eq!(
        store
            .audit_log()
            .await?
            .0
            .last()
            .and_then(|r| r.entry.entity_id),
        Some(first.id.get())
    );
    let graded = event_with(
        t(3),
        "risk_graded",
        serde_json::json!({"level": "low"}),
        w.sw.id,
    );
    let (ep, wrong) = store
        .append_event(
            episode.id,
            None,
            &graded,
            &planner(graded.recorded_at),
            &audit("write", "event"),
        )
        .await?;
    assert_eq!(ep.version, 3);
    let before = committed(store, ada.id, &all).await?;
    assert_eq!(before.missing.len(), 2, "Missing now in Newham and Merton");
    assert_eq!(before.missing[0].status.risk, Some(RiskLevel::Low));
    let stale = store
        .append_event(
            episode.id,
            Some(2),
            &graded,
            &planner(t(4)),
            &audit("write", "event"),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 3 })),
        "{stale:?}"
    );
    let lost = store
        .append_event(
            EpisodeId(999_999),
            None,
            &graded,
            &planner(t(4)),
            &audit("write", "event"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    // An event the casework layer cannot plan is not kept, nor is the episode's new version.
    let refused_event = store
        .append_event(
            episode.id,
            Some(3),
            &event(t(4), "located", w.sw.id),
            &spy.failing(),
            &audit("write", "event"),
        )
        .await;
    assert!(refused(&refused_event), "{refused_event:?}");
    let seen = spy.take();
    assert_eq!(
        (seen[0].file.events.len(), seen[0].file.episodes[0].version),
        (3, 4)
    );
    assert_eq!(committed(store, ada.id, &all).await?, before);

    // A correction names the event it replaces, with a reason; the corrected event no longer
    // counts. It must name an event of the same episode.
    let regraded = correcting(
        wrong.id,
        event_with(
            t(3),
            "risk_graded",
            serde_json::json!({"level": "high"}),
            w.sw.id,
        ),
    );
    let (ep, fixed) = store
        .append_event(
            episode.id,
            Some(3),
            &regraded,
            &planner(regraded.recorded_at),
            &audit("write", "event"),
        )
        .await?;
    assert_eq!(ep.version, 4);
    assert_eq!(
        (fixed.corrects_event_id, fixed.correction_reason.as_deref()),
        (Some(wrong.id), Some("recorded wrongly"))
    );
    let missing = store.missing_now(w.newham.id, 10, 0).await?;
    assert_eq!(missing[0].status.risk, Some(RiskLevel::High));
    let ben = add_child(
        store,
        "Ben Okri",
        &placement(w.newham.id, w.newham.id, "2024-01-01"),
        t(0),
    )
    .await?;
    let bens = open(store, ben.id, t(1)).await?;
    let bens_event = append(store, bens.id, &event(t(1), "reported_missing", w.sw.id)).await?;
    let before = committed(store, ada.id, &all).await?;
    let crossed = store
        .append_event(
            episode.id,
            None,
            &correcting(bens_event.id, event(t(1), "reported_missing", w.sw.id)),
            &planner(t(5)),
            &audit("write", "event"),
        )
        .await;
    assert!(
        matches!(crossed, Err(StoreError::Constraint(_))),
        "{crossed:?}"
    );
    assert_eq!(committed(store, ada.id, &all).await?, before);

    // Where the child came to notice: Kent, which may then see the child. Versioned, and not
    // kept when it cannot be planned.
    let found_in_kent = store
        .set_finder(
            episode.id,
            4,
            Some(w.kent.id),
            t(5),
            &spy.planning(t(5)),
            &audit("write", "episode"),
        )
        .await?;
    assert_eq!(
        (found_in_kent.version, found_in_kent.finder_authority_id),
        (5, Some(w.kent.id))
    );
    assert_eq!(
        spy.take()[0].file.episodes[0].finder_authority_id,
        Some(w.kent.id)
    );
    assert!(store.visible_to(ada.id, w.kent.id).await?);
    let before = committed(store, ada.id, &all).await?;
    let stale = store
        .set_finder(
            episode.id,
            4,
            None,
            t(5),
            &planner(t(5)),
            &audit("write", "episode"),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 5 })),
        "{stale:?}"
    );
    let lost = store
        .set_finder(
            EpisodeId(999_999),
            1,
            None,
            t(5),
            &planner(t(5)),
            &audit("write", "episode"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    let refused_finder = store
        .set_finder(
            episode.id,
            5,
            None,
            t(5),
            &spy.failing(),
            &audit("write", "episode"),
        )
        .await;
    assert!(refused(&refused_finder), "{refused_finder:?}");
    assert_eq!(spy.take()[0].file.episodes[0].finder_authority_id, None);
    assert_eq!(committed(store, ada.id, &all).await?, before);
    assert_eq!(
        store
            .episode(episode.id)
            .await?
            .map(|e| e.finder_authority_id),
        Some(Some(w.kent.id))
    );

    // A strategy meeting with its action items, recorded with its `meeting_held` event.
    let meeting = NewMeeting {
        meeting_type: MeetingType::Strategy,
        held_at: t(6),
        chair: "Practice Lead".into(),
        attendees: r#"[{"name":"PC Example","agency":"Metropolitan Police"}]"#.into(),
        decisions: "search known addresses".into(),
        actions: vec![
            NewAction {
                description: "visit Tooting address".into(),
                owner: "police".into(),
                due_at: Some(t(8)),
            },
            NewAction {
                description: "call the school".into(),
                owner: "social worker".into(),
                due_at: None,
            },
        ],
    };
    let held = event(t(6), "meeting_held", w.sw.id);
    let refused_meeting = store
        .record_meeting(
            episode.id,
            &meeting,
            &held,
            &spy.failing(),
            &audit("write", "meeting"),
        )
        .await;
    assert!(refused(&refused_meeting), "{refused_meeting:?}");
    assert_eq!(spy.take()[0].file.events.len(), 4);
    assert_eq!(committed(store, ada.id, &all).await?, before);
    let lost = store
        .record_meeting(
            EpisodeId(999_999),
            &meeting,
            &held,
            &planner(t(6)),
            &audit("write", "meeting"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    let m = store
        .record_meeting(
            episode.id,
            &meeting,
            &held,
            &planner(held.recorded_at),
            &audit("write", "meeting"),
        )
        .await?;
    assert_eq!(
        (
            m.episode_id,
            m.meeting_type,
            m.held_at,
            m.chair.as_str(),
            m.actions.len()
        ),
        (episode.id, MeetingType::Strategy, t(6), "Practice Lead", 2)
    );
    assert_eq!(
        m.actions
            .iter()
            .map(|a| (a.description.as_str(), a.due_at, a.done_at))
            .collect::<Vec<_>>(),
        [
            ("visit Tooting address", Some(t(8)), None),
            ("call the school", None, None)
        ]
    );
    let file = store.child_file(ada.id).await?.ok_or("file")?;
    let held_record = file.events.last().ok_or("no events")?;
    assert_eq!(
        (m.event_id, held_record.body.as_str()),
        (held_record.id, held.body.as_str())
    );
    assert_eq!(file.episodes[0].version, 6);
    assert_eq!(store.meetings(episode.id).await?, std::slice::from_ref(&m));
    assert_eq!(store.meeting(m.id).await?, Some(m.clone()));
    assert_eq!(store.meeting(MeetingId(999_999)).await?, None);
    assert_eq!(
        store
            .audit_log()
            .await?
            .0
            .last()
            .map(|r| (r.entry.entity.as_str(), r.entry.entity_id)),
        Some(("meeting", Some(m.id.get())))
    );

    // An action is done once: doing it again keeps when it was first done.
    let action = m.actions[0].id;
    assert_eq!(
        store.meeting_action(action).await?,
        Some(m.actions[0].clone())
    );
    let done = store
        .complete_action(action, t(7), &audit("write", "meeting_action"))
        .await?;
    assert_eq!(done.done_at, Some(t(7)));
    let again = store
        .complete_action(action, t(9), &audit("write", "meeting_action"))
        .await?;
    assert_eq!(again.done_at, Some(t(7)));
    let log_len = store.audit_log().await?.0.len();
    let lost = store
        .complete_action(ActionId(999_999), t(9), &audit("write", "meeting_action"))
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    assert_eq!(store.audit_log().await?.0.len(), log_len);
    assert_eq!(store.meeting_action(ActionId(999_999)).await?, None);

    // Found, then a return interview signed off by a manager (once, at its version).
    let found = append(store, episode.id, &event(t(10), "found", w.sw.id)).await?;
    let interview = NewInterview {
        outcome: InterviewOutcome::Completed,
        at: t(20),
        interviewer: "Youth Service".into(),
        mode: Some(RhiMode::InPerson),
        push_factors: "arguments at home".into(),
        pull_factors: "older friends".into(),
        disclosures: "sensitive detail".into(),
    };
    let rhi_event = event(t(20), "rhi_completed", w.sw.id);
    let before = committed(store, ada.id, &all).await?;
    let refused_rhi = store
        .record_interview(
            episode.id,
            &interview,
            &rhi_event,
            &spy.failing(),
            &audit("write", "interview"),
        )
        .await;
    assert!(refused(&refused_rhi), "{refused_rhi:?}");
    assert_eq!(spy.take()[0].file.events.len(), 6);
    assert_eq!(committed(store, ada.id, &all).await?, before);
    let rhi = store
        .record_interview(
            episode.id,
            &interview,
            &rhi_event,
            &planner(rhi_event.recorded_at),
            &audit("write", "interview"),
        )
        .await?;
    assert_eq!(
        (
            rhi.episode_id,
            rhi.version,
            rhi.outcome,
            rhi.mode,
            rhi.disclosures.as_str(),
            rhi.signed_off_by
        ),
        (
            episode.id,
            1,
            InterviewOutcome::Completed,
            Some(RhiMode::InPerson),
            "sensitive detail",
            None
        )
    );
    let week = store.episodes_between(w.newham.id, t(0), t(100)).await?;
    let status = &week
        .iter()
        .find(|r| r.status.episode_id == episode.id)
        .ok_or("Ada's episode")?
        .status;
    assert_eq!(
        (status.missing, status.found_at, status.rhi_at),
        (false, Some(found.at), Some(t(20)))
    );
    let signed = store
        .sign_off_interview(rhi.id, 1, w.manager.id, t(21), &audit("write", "interview"))
        .await?;
    assert_eq!(
        (signed.version, signed.signed_off_by, signed.signed_off_at),
        (2, Some(w.manager.id), Some(t(21)))
    );
    let stale = store
        .sign_off_interview(rhi.id, 1, w.manager.id, t(22), &audit("write", "interview"))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 2 })),
        "{stale:?}"
    );
    let lost = store
        .sign_off_interview(
            InterviewId(999_999),
            1,
            w.manager.id,
            t(22),
            &audit("write", "interview"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    assert_eq!(
        store.interviews(episode.id).await?,
        std::slice::from_ref(&signed)
    );
    assert_eq!(store.interview(rhi.id).await?, Some(signed));
    assert_eq!(store.interview(InterviewId(999_999)).await?, None);

    // The file holds every event in recording order, the correction after what it corrects;
    // so does the episode's own list.
    let file = store.child_file(ada.id).await?.ok_or("file")?;
    assert_eq!(store.episode_events(episode.id).await?, file.events);
    assert_eq!(
        store.episode_events(bens.id).await?,
        std::slice::from_ref(&bens_event)
    );
    assert!(store.episode_events(EpisodeId(999_999)).await?.is_empty());
    assert_eq!(file.events.iter().map(|e| e.id).collect::<Vec<_>>(), {
        let mut ids = vec![
            first.id,
            wrong.id,
            fixed.id,
            m.event_id,
            found.id,
            rhi.event_id,
        ];
        ids.sort();
        ids
    });
    assert_eq!(file.episodes[0].version, 8);
    assert!(
        store
            .child_obligations(ada.id)
            .await?
            .iter()
            .all(|o| o.obligation.ended == Some(Ended::Discharged)
                && o.obligation.met_at == Some(t(10))),
        "found: every obligation met"
    );
    assert_eq!(
        store.child_obligations(ben.id).await?[0].obligation.due,
        Some(after(t(1), HOUR))
    );
    Ok(())
}

#[test]
fn episodes_on_sqlite() -> TestResult {
    support::on_sqlite("episodes", story)
}

#[test]
fn episodes_on_postgres() -> TestResult {
    support::on_postgres("episodes", story)
}
