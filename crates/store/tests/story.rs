//! One story of a partnership, told against both backends: SQLite always, PostgreSQL when
//! `HOMEWARD_TEST_POSTGRES` names a throwaway database (scripts/test starts one and sets
//! `HOMEWARD_REQUIRE_POSTGRES=1`, so a missing server fails the run instead of skipping).

use std::sync::Arc;

use store::*;

mod support;

fn audit(action: &str, entity: &str, child: Option<i64>) -> AuditEntry {
    AuditEntry {
        at: 1_000,
        user_id: None,
        action: action.into(),
        entity: entity.into(),
        entity_id: None,
        child_id: child,
        remote_addr: "127.0.0.1".into(),
    }
}

fn placement(responsible: i64, host: i64, starts_on: &str) -> NewPlacement {
    NewPlacement {
        responsible_authority_id: responsible,
        host_authority_id: host,
        legal_status: "s31_care_order".into(),
        placement_type: "residential".into(),
        police_force: "Metropolitan Police".into(),
        travel_minutes: 20,
        starts_on: starts_on.into(),
        change_reason: None,
    }
}

fn event(at: i64, body: &str, by: i64) -> NewEvent {
    NewEvent {
        at,
        body: body.into(),
        correction: None,
        recorded_by: by,
        recorded_at: at + 60_000_000,
    }
}

/// One obligation per live (uncorrected) event, due an hour after it: enough to see that the
/// recomputation runs inside the transaction and sees the new event.
fn per_event(file: &ChildFile) -> Result<Vec<NewObligation>, String> {
    let corrected: Vec<i64> = file
        .events
        .iter()
        .filter_map(|e| e.corrects_event_id)
        .collect();
    Ok(file
        .events
        .iter()
        .filter(|e| !corrected.contains(&e.id))
        .map(|e| NewObligation {
            episode_id: e.episode_id,
            authority_id: file.authorities[0].id,
            rule: "NEWHAM-EST".into(),
            share: None,
            owner_role: "social_worker".into(),
            action: format!("follow up event {}", e.id),
            citation: "002 §7.2".into(),
            activation: e.at,
            due: Some(e.at + 3_600_000_000),
        })
        .collect())
}

async fn story(store: Arc<dyn Repository>) {
    // A partnership: two London boroughs and a county outside it.
    let newham = store
        .create_authority(&NewAuthority {
            code: "NEWHAM".into(),
            name: "London Borough of Newham".into(),
            protocol: Some("NEWHAM".into()),
            police_force: "Metropolitan Police".into(),
        })
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let merton = store
        .create_authority(&NewAuthority {
            code: "MERTON".into(),
            name: "London Borough of Merton".into(),
            protocol: Some("MERTON".into()),
            police_force: "Metropolitan Police".into(),
        })
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let kent = store
        .create_authority(&NewAuthority {
            code: "KENT".into(),
            name: "Kent County Council".into(),
            protocol: None,
            police_force: "Kent Police".into(),
        })
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let duplicate = store
        .create_authority(&NewAuthority {
            code: "KENT".into(),
            name: "Kent again".into(),
            protocol: None,
            police_force: "x".into(),
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Constraint(_))),
        "{duplicate:?}"
    );
    assert_eq!(store.authorities().await.map(|a| a.len()).ok(), Some(3));

    let sw = store
        .create_user(&NewUser {
            username: "sw.newham".into(),
            display_name: "SW".into(),
            role: "social_worker".into(),
            authority_id: newham.id,
            password_hash: "$argon2id$x".into(),
        })
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        store
            .user_by_username("sw.newham")
            .await
            .ok()
            .flatten()
            .map(|u| u.id),
        Some(sw.id)
    );
    store
        .create_token(sw.id, "tokenhash", "police system", 5)
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        store
            .user_by_token("tokenhash")
            .await
            .ok()
            .flatten()
            .map(|u| u.id),
        Some(sw.id)
    );
    store
        .create_session("sessionhash", sw.id, "csrf", 10_000)
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        store
            .session("sessionhash", 9_999)
            .await
            .ok()
            .flatten()
            .map(|(u, c)| (u.id, c)),
        Some((sw.id, "csrf".into()))
    );
    assert!(
        store
            .session("sessionhash", 10_000)
            .await
            .ok()
            .flatten()
            .is_none(),
        "expired"
    );

    // A Newham child in care placed in Merton.
    let fields = ChildFields {
        name: "Test Child".into(),
        dob: "2010-05-12".into(),
        facts: "{\"flags\":[],\"concerns\":[]}".into(),
    };
    let (child, first) = store
        .create_child(
            &fields,
            &placement(newham.id, merton.id, "2024-01-01"),
            2_000,
            &audit("write", "child", None),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(child.version, 1);
    let mut seen = store.child_authorities(child.id).await.unwrap_or_default();
    seen.sort();
    assert_eq!(seen, vec![newham.id, merton.id]);
    assert_eq!(
        store
            .children_for(merton.id, 10, 0)
            .await
            .map(|c| c.len())
            .ok(),
        Some(1)
    );
    assert_eq!(
        store
            .children_for(kent.id, 10, 0)
            .await
            .map(|c| c.len())
            .ok(),
        Some(0)
    );

    // Two people edit the child: the second, still at version 1, gets a conflict.
    let renamed = ChildFields {
        name: "Renamed Child".into(),
        ..fields.clone()
    };
    let updated = store
        .update_child(
            child.id,
            1,
            &renamed,
            3_000,
            &audit("write", "child", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(updated.version, 2);
    let stale = store
        .update_child(
            child.id,
            1,
            &fields,
            3_001,
            &audit("write", "child", Some(child.id)),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 2 })),
        "{stale:?}"
    );
    assert_eq!(
        store.child(child.id).await.ok().flatten().map(|c| c.name),
        Some("Renamed Child".into())
    );
    assert!(matches!(
        store
            .update_child(999_999, 1, &fields, 1, &audit("write", "child", None))
            .await,
        Err(StoreError::NotFound)
    ));

    // Profile documents are versioned.
    for n in 1..=2 {
        let doc = store
            .add_document(
                child.id,
                "trigger_plan",
                &format!("{{\"n\":{n}}}"),
                sw.id,
                4_000 + n,
                &audit("write", "document", Some(child.id)),
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(doc.version, n);
    }
    assert_eq!(
        store.documents(child.id).await.map(|d| d.len()).ok(),
        Some(2)
    );

    // An episode with events; each event recomputes the obligations in its transaction.
    let episode = store
        .open_episode(
            child.id,
            10_000_000,
            &audit("write", "episode", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        (episode.responsible_authority_id, episode.host_authority_id),
        (newham.id, merton.id)
    );
    let reported = r#"{"at":"2024-09-06T22:00:00+01:00","type":"reported_missing","data":{"to":"Metropolitan Police"}}"#;
    let (ep, first_event, obligations) = store
        .append_event(
            episode.id,
            Some(1),
            &event(10_000_000, reported, sw.id),
            &per_event,
            &audit("write", "event", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(ep.version, 2);
    assert_eq!(obligations.len(), 1);
    let graded =
        r#"{"at":"2024-09-06T22:05:00+01:00","type":"risk_graded","data":{"level":"low"}}"#;
    let (_, wrong, obligations) = store
        .append_event(
            episode.id,
            None,
            &event(10_300_000, graded, sw.id),
            &per_event,
            &audit("write", "event", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(obligations.len(), 2);
    // A stale writer gets a conflict and nothing is written.
    let stale = store
        .append_event(
            episode.id,
            Some(2),
            &event(10_400_000, graded, sw.id),
            &per_event,
            &audit("write", "event", Some(child.id)),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 3 })),
        "{stale:?}"
    );
    // A failing evaluation rolls the event back.
    let failing = |_: &ChildFile| Err::<Vec<NewObligation>, String>("engine says no".into());
    let rolled_back = store
        .append_event(
            episode.id,
            Some(3),
            &event(10_500_000, graded, sw.id),
            &failing,
            &audit("write", "event", Some(child.id)),
        )
        .await;
    assert!(matches!(rolled_back, Err(StoreError::Evaluation(_))));
    assert_eq!(
        store
            .child_file(child.id)
            .await
            .ok()
            .flatten()
            .map(|f| f.events.len()),
        Some(2)
    );
    assert_eq!(
        store
            .episode(episode.id)
            .await
            .ok()
            .flatten()
            .map(|e| e.version),
        Some(3)
    );
    // A correction is a new event naming the one it replaces, with a reason.
    let regraded =
        r#"{"at":"2024-09-06T22:05:00+01:00","type":"risk_graded","data":{"level":"medium"}}"#;
    let correction = NewEvent {
        correction: Some((wrong.id, "typed low for medium".into())),
        ..event(10_300_000, regraded, sw.id)
    };
    let (_, fixed, obligations) = store
        .append_event(
            episode.id,
            Some(3),
            &correction,
            &per_event,
            &audit("write", "event", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(fixed.corrects_event_id, Some(wrong.id));
    assert_eq!(obligations.len(), 2, "the corrected event no longer counts");
    let other = NewEvent {
        correction: Some((999_999, "nonsense".into())),
        ..event(1, regraded, sw.id)
    };
    assert!(matches!(
        store
            .append_event(
                episode.id,
                None,
                &other,
                &per_event,
                &audit("write", "event", None)
            )
            .await,
        Err(StoreError::Constraint(_))
    ));
    let file = store
        .child_file(child.id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| unreachable!("child file"));
    assert_eq!(file.events.len(), 3);
    assert_eq!(file.events[0].id, first_event.id);
    assert_eq!(file.placement.as_ref().map(|p| p.id), Some(first.id));

    // A strategy meeting with action items, and a return interview signed off by a manager.
    let held = r#"{"at":"2024-09-07T10:00:00+01:00","type":"meeting_held","data":{"meeting_type":"strategy"}}"#;
    let meeting = NewMeeting {
        meeting_type: "strategy".into(),
        held_at: 10_600_000,
        chair: "Practice Lead".into(),
        attendees: "[{\"name\":\"PC Example\",\"agency\":\"Metropolitan Police\"}]".into(),
        decisions: "search known addresses".into(),
        actions: vec![NewAction {
            description: "visit Tooting address".into(),
            owner: "police".into(),
            due_at: Some(10_700_000),
        }],
    };
    let (m, obligations) = store
        .record_meeting(
            episode.id,
            &meeting,
            &event(10_600_000, held, sw.id),
            &per_event,
            &audit("write", "meeting", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!((m.actions.len(), m.chair.as_str()), (1, "Practice Lead"));
    assert_eq!(obligations.len(), 3);
    assert_eq!(
        store.meetings(episode.id).await.unwrap_or_default(),
        vec![m]
    );
    let done = r#"{"at":"2024-09-08T10:00:00+01:00","type":"rhi_completed","data":{}}"#;
    let interview = NewInterview {
        outcome: "completed".into(),
        at: 10_800_000,
        interviewer: "Youth Service".into(),
        mode: Some("in_person".into()),
        push_factors: "arguments at home".into(),
        pull_factors: "older friends".into(),
        disclosures: "sensitive detail".into(),
    };
    let (rhi, _) = store
        .record_interview(
            episode.id,
            &interview,
            &event(10_800_000, done, sw.id),
            &per_event,
            &audit("write", "interview", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let signed = store
        .sign_off_interview(
            rhi.id,
            1,
            sw.id,
            10_900_000,
            &audit("write", "interview", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!((signed.version, signed.signed_off_by), (2, Some(sw.id)));
    assert!(matches!(
        store
            .sign_off_interview(rhi.id, 1, sw.id, 1, &audit("write", "interview", None))
            .await,
        Err(StoreError::Conflict { current: 2 })
    ));
    assert_eq!(
        store.interviews(episode.id).await.unwrap_or_default(),
        vec![signed.clone()]
    );
    assert_eq!(store.interview(rhi.id).await.ok().flatten(), Some(signed));

    // The child comes to notice in Kent: Kent may now see the child.
    let found = store
        .set_finder(
            episode.id,
            6,
            Some(kent.id),
            &audit("write", "episode", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(found.finder_authority_id, Some(kent.id));
    assert!(
        store
            .child_authorities(child.id)
            .await
            .unwrap_or_default()
            .contains(&kent.id)
    );
    assert!(matches!(
        store
            .set_finder(episode.id, 6, None, &audit("write", "episode", None))
            .await,
        Err(StoreError::Conflict { current: 7 })
    ));

    // The child moves back to Newham; Merton keeps sight of the episode it hosted.
    let moved = store
        .add_placement(
            child.id,
            &NewPlacement {
                change_reason: Some("LAREQ".into()),
                ..placement(newham.id, newham.id, "2024-10-01")
            },
            &audit("write", "placement", Some(child.id)),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let placements = store.placements(child.id).await.unwrap_or_default();
    assert_eq!(placements.len(), 2);
    assert_eq!(placements[0].ends_on.as_deref(), Some("2024-10-01"));
    assert_eq!(
        (
            placements[0].change_reason.as_deref(),
            placements[1].change_reason.as_deref()
        ),
        (None, Some("LAREQ"))
    );
    assert_eq!(
        store
            .child_file(child.id)
            .await
            .ok()
            .flatten()
            .and_then(|f| f.placement)
            .map(|p| p.id),
        Some(moved.id)
    );
    assert!(
        store
            .child_authorities(child.id)
            .await
            .unwrap_or_default()
            .contains(&merton.id)
    );

    // Obligations: stored, filtered by authority, role and due window.
    let all = store
        .obligations(&ObligationFilter {
            authority_ids: vec![newham.id],
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap_or_default();
    assert_eq!(all.len(), 4);
    let overdue = store
        .obligations(&ObligationFilter {
            authority_ids: vec![newham.id],
            due_before: Some(10_000_000 + 3_600_000_001),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap_or_default();
    assert_eq!(overdue.len(), 1);
    let nobody = store
        .obligations(&ObligationFilter {
            authority_ids: vec![newham.id],
            owner_role: Some("police".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap_or_default();
    assert!(nobody.is_empty());
    assert_eq!(
        store
            .obligation(all[0].id)
            .await
            .ok()
            .flatten()
            .map(|o| o.id),
        Some(all[0].id)
    );

    // Reads are audited too, and the whole chain verifies.
    store
        .audit(&[
            audit("read", "child", Some(child.id)),
            audit("read", "timeline", Some(child.id)),
        ])
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let (rows, head) = store
        .audit_log()
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    // Thirteen successful writes and two reads; the failed and stale writes left no row.
    assert_eq!(rows.len(), 15);
    assert_eq!(audit::verify(&rows, (head.0, &head.1)), Ok(rows.len()));
    // Altering any row breaks the chain.
    let mut tampered = rows.clone();
    tampered[3].entity = "nothing".into();
    assert_eq!(
        audit::verify(&tampered, (head.0, &head.1)),
        Err(audit::ChainBreak::Altered(4))
    );
    let mut removed = rows.clone();
    removed.remove(5);
    assert_eq!(
        audit::verify(&removed, (head.0, &head.1)),
        Err(audit::ChainBreak::Missing(7))
    );
    removed = rows.clone();
    removed.pop();
    assert!(matches!(
        audit::verify(&removed, (head.0, &head.1)),
        Err(audit::ChainBreak::Truncated(1))
    ));
    // Bulk loading (demo and scale data) writes whole children in one transaction.
    let bulk: Vec<BulkChild> = (0..3)
        .map(|n| BulkChild {
            fields: ChildFields {
                name: format!("Bulk Child {n}"),
                dob: "2011-02-03".into(),
                facts: "{}".into(),
            },
            placement: NewPlacement {
                change_reason: Some("CARPL".into()),
                ..placement(merton.id, merton.id, "2023-01-01")
            },
            earlier_placements: vec![placement(merton.id, merton.id, "2022-05-01")],
            created_at: 50,
            documents: vec![(
                "philomena_profile".into(),
                r#"{"associates": ["Bulk Friend"]}"#.into(),
            )],
            episodes: vec![BulkEpisode {
                opened_at: 60,
                events: vec![(60, reported.into()), (70, graded.into())],
                obligations: vec![NewObligation {
                    episode_id: 0,
                    authority_id: merton.id,
                    rule: "MERTON-WEEKLY".into(),
                    share: None,
                    owner_role: "senior_manager".into(),
                    action: "review".into(),
                    citation: "004 §7.2".into(),
                    activation: 60,
                    due: None,
                }],
            }],
        })
        .collect();
    store
        .bulk_load(&bulk, sw.id, &audit("write", "demo", None))
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let loaded = store
        .children_for(merton.id, 50, 0)
        .await
        .unwrap_or_default();
    let bulk_child = loaded
        .iter()
        .find(|c| c.name == "Bulk Child 2")
        .cloned()
        .unwrap_or_else(|| unreachable!("bulk child"));
    let file = store
        .child_file(bulk_child.id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| unreachable!("bulk file"));
    assert_eq!((file.episodes.len(), file.events.len()), (1, 2));
    assert_eq!(file.events[1].body, graded);
    // An earlier placement ends the day the current one starts; the move's reason is kept.
    let moves: Vec<_> = store
        .placements(bulk_child.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.starts_on, p.ends_on, p.change_reason))
        .collect();
    assert_eq!(
        moves,
        vec![
            ("2022-05-01".into(), Some("2023-01-01".into()), None),
            ("2023-01-01".into(), None, Some("CARPL".into())),
        ]
    );
    let o = store
        .child_obligations(bulk_child.id)
        .await
        .unwrap_or_default();
    assert_eq!(
        (o.len(), o[0].episode_id, o[0].rule.as_str()),
        (1, file.episodes[0].id, "MERTON-WEEKLY")
    );
    // The pattern views' bulk read: whole files of the children an authority may see, with
    // the latest version of each profile document, and nobody else's.
    let patterns = store
        .pattern_files(merton.id)
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let bulk_files: Vec<_> = patterns
        .iter()
        .filter(|p| p.file.child.name.starts_with("Bulk Child"))
        .collect();
    assert_eq!(bulk_files.len(), 3);
    let one = patterns
        .iter()
        .find(|p| p.file.child.id == bulk_child.id)
        .unwrap_or_else(|| unreachable!("bulk child in Merton's patterns"));
    assert_eq!(one.file.events, file.events);
    assert_eq!(one.file.episodes, file.episodes);
    assert_eq!(one.file.placement, file.placement);
    let ids = |a: &[Authority]| {
        let mut v: Vec<i64> = a.iter().map(|a| a.id).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(ids(&one.file.authorities), ids(&file.authorities));
    assert_eq!(
        (one.documents.len(), one.documents[0].body.as_str()),
        (1, r#"{"associates": ["Bulk Friend"]}"#)
    );
    for p in &patterns {
        let whole = store.child_file(p.file.child.id).await.ok().flatten();
        assert_eq!(whole.map(|f| f.events), Some(p.file.events.clone()));
    }
    let kent_view = store.pattern_files(kent.id).await.unwrap_or_default();
    assert!(
        kent_view
            .iter()
            .all(|p| !p.file.child.name.starts_with("Bulk Child")),
        "Kent has no reason to see Merton's children"
    );
    store.ping().await.unwrap_or_else(|e| unreachable!("{e}"));
}

#[test]
fn story_on_sqlite() {
    let dir = support::scratch("story").unwrap_or_else(|e| unreachable!("{e}"));
    support::runtime()
        .unwrap_or_else(|e| unreachable!("{e}"))
        .block_on(async {
            let store = open(dir.join("story.db").to_str().unwrap_or_default())
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(store.backend(), Backend::Sqlite);
            story(store.clone()).await;
            // An online backup holds the same data.
            store
                .backup_to(&dir.join("copy.db"))
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            let copy = open(dir.join("copy.db").to_str().unwrap_or_default())
                .await
                .unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(copy.audit_log().await.ok(), store.audit_log().await.ok());
            let child = store.children_for(1, 10, 0).await.unwrap_or_default();
            assert_eq!(copy.children_for(1, 10, 0).await.unwrap_or_default(), child);
        });
}

#[test]
fn story_on_postgres() {
    let server = support::postgres("story_on_postgres").unwrap_or_else(|e| unreachable!("{e}"));
    let Some(server) = server else {
        return;
    };
    support::runtime()
        .unwrap_or_else(|e| unreachable!("{e}"))
        .block_on(async {
            let url = support::fresh_database(&server, "story")
                .await
                .unwrap_or_else(|e| unreachable!("{server}: {e}"));
            let store = open(&url).await.unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(store.backend(), Backend::Postgres);
            story(store).await;
        });
}
