//! Children, on both backends: a child's record, placements, documents and photos, each change
//! that may move the child's obligations written with the plan the casework layer makes of the
//! child's file inside the change's transaction — or, when it cannot, not at all.

use store::*;

mod support;

use support::fixtures::{HOUR, after, append, audit, event, fields, open, placement, t, world};
use support::planner::{Spy, failing, planner, refused, visible_only};
use support::snapshot::committed;
use support::{Backing, TestResult};

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let all = w.authorities();
    let spy = Spy::default();

    // A Newham child placed in Merton. The planner is handed the child as the change left it,
    // with its placement and the authorities it names, and no stored obligations yet.
    let (ada, first) = store
        .create_child(
            &fields("Ada Lovelace"),
            &placement(w.newham.id, w.merton.id, "2024-01-01"),
            t(0),
            &spy.planning(t(0)),
            &audit("write", "child"),
        )
        .await?;
    let seen = spy.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].file.child, ada);
    assert_eq!(seen[0].file.placement.as_ref(), Some(&first));
    assert!(seen[0].stored.is_empty() && seen[0].file.episodes.is_empty());
    let mut named: Vec<AuthorityId> = seen[0].file.authorities.iter().map(|a| a.id).collect();
    named.sort();
    assert_eq!(named, [w.newham.id, w.merton.id]);
    assert_eq!(
        (ada.version, ada.created_at, ada.updated_at),
        (1, t(0), t(0))
    );
    assert_eq!((first.child_id, first.ends_on.as_deref()), (ada.id, None));
    assert_eq!(store.child(ada.id).await?.as_ref(), Some(&ada));
    let (log, _) = store.audit_log().await?;
    let row = &log.last().ok_or("no audit row")?.entry;
    assert_eq!(
        (row.entity.as_str(), row.entity_id, row.child_id),
        ("child", Some(ada.id.get()), Some(ada.id))
    );
    // The plan was written with the child: who may see it, and its row in their lists.
    let now = committed(store, ada.id, &all).await?;
    assert_eq!(now.visible, [w.newham.id, w.merton.id]);
    assert_eq!(
        store.children_page(w.merton.id, None, 10, 0).await?,
        [ChildRow {
            child: ada.clone(),
            episodes: 0,
            missing: false,
        }]
    );
    assert!(
        store
            .children_page(w.kent.id, None, 10, 0)
            .await?
            .is_empty()
    );

    // A child the casework layer cannot plan is not created: no record, no list row, no audit.
    let log_before = store.audit_log().await?;
    let ghost = store
        .create_child(
            &fields("Ghost Child"),
            &placement(w.newham.id, w.newham.id, "2024-01-01"),
            t(1),
            &failing,
            &audit("write", "child"),
        )
        .await;
    assert!(refused(&ghost), "{ghost:?}");
    assert_eq!(store.audit_log().await?, log_before);
    assert_eq!(store.child(ChildId(ada.id.get() + 1)).await?, None);
    assert!(
        store
            .children_page(w.newham.id, Some("ghost"), 10, 0)
            .await?
            .is_empty()
    );
    assert!(store.children_without_lists(10).await?.is_empty());
    // Nor is a child placed by an authority that does not exist.
    let unplaced = store
        .create_child(
            &fields("Ghost Child"),
            &placement(AuthorityId(999_999), w.newham.id, "2024-01-01"),
            t(1),
            &planner(t(1)),
            &audit("write", "child"),
        )
        .await;
    assert!(
        matches!(unplaced, Err(StoreError::Constraint(_))),
        "{unplaced:?}"
    );
    assert_eq!(store.audit_log().await?, log_before);

    // The child goes missing (so there are obligations, a schedule and Missing now rows that a
    // failed change must leave as they were).
    let episode = open(store, ada.id, t(1)).await?;
    append(store, episode.id, &event(t(1), "reported_missing", w.sw.id)).await?;

    // Two people edit the child: the second, still at version 1, gets a conflict. The list
    // rows carry the new name.
    let renamed = store
        .update_child(
            ada.id,
            1,
            &fields("Ada King"),
            t(2),
            &planner(t(2)),
            &audit("write", "child"),
        )
        .await?;
    assert_eq!(
        (
            renamed.version,
            renamed.name.as_str(),
            renamed.created_at,
            renamed.updated_at
        ),
        (2, "Ada King", t(0), t(2))
    );
    assert_eq!(
        store
            .children_page(w.merton.id, None, 10, 0)
            .await?
            .iter()
            .map(|r| (r.child.name.as_str(), r.episodes, r.missing))
            .collect::<Vec<_>>(),
        [("Ada King", 1, true)]
    );
    assert_eq!(
        store
            .missing_now(w.newham.id, 10, 0)
            .await?
            .iter()
            .map(|r| r.child_name.as_str())
            .collect::<Vec<_>>(),
        ["Ada King"]
    );
    let before = committed(store, ada.id, &all).await?;
    let stale = store
        .update_child(
            ada.id,
            1,
            &fields("Ada Lovelace"),
            t(3),
            &planner(t(3)),
            &audit("write", "child"),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 2 })),
        "{stale:?}"
    );
    let unknown = store
        .update_child(
            ChildId(999_999),
            1,
            &fields("Nobody"),
            t(3),
            &planner(t(3)),
            &audit("write", "child"),
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    assert_eq!(committed(store, ada.id, &all).await?, before);

    // An edit the casework layer cannot plan: the planner saw the new name inside the
    // transaction, and nothing of it was kept.
    let refused_edit = store
        .update_child(
            ada.id,
            2,
            &fields("Ada Byron"),
            t(3),
            &spy.failing(),
            &audit("write", "child"),
        )
        .await;
    assert!(refused(&refused_edit), "{refused_edit:?}");
    let seen = spy.take();
    assert_eq!(
        seen.iter()
            .map(|s| (
                s.file.child.name.as_str(),
                s.file.child.version,
                s.stored.len()
            ))
            .collect::<Vec<_>>(),
        [("Ada Byron", 3, 1)]
    );
    assert_eq!(committed(store, ada.id, &all).await?, before);

    // A move the casework layer cannot plan leaves the old placement open and the child as it
    // was; the planner saw the new placement and the old one's authorities.
    let to_kent = NewPlacement {
        change_reason: Some("LAREQ".into()),
        ..placement(w.newham.id, w.kent.id, "2024-10-01")
    };
    let refused_move = store
        .add_placement(
            ada.id,
            &to_kent,
            t(4),
            &spy.failing(),
            &audit("write", "placement"),
        )
        .await;
    assert!(refused(&refused_move), "{refused_move:?}");
    let seen = spy.take();
    assert_eq!(seen.len(), 1);
    let inside = seen[0].file.placement.as_ref().ok_or("no placement")?;
    assert_eq!(
        (inside.host_authority_id, inside.starts_on.as_str()),
        (w.kent.id, "2024-10-01")
    );
    assert_eq!(seen[0].file.child.version, 3);
    assert_eq!(committed(store, ada.id, &all).await?, before);
    assert!(!store.visible_to(ada.id, w.kent.id).await?);

    // The child moves to Kent: the old placement ends the day the new one starts, the record's
    // version moves on, Kent may now see the child, and Merton keeps sight of the episode it
    // hosted.
    let moved = store
        .add_placement(
            ada.id,
            &to_kent,
            t(4),
            &planner(t(4)),
            &audit("write", "placement"),
        )
        .await?;
    let placements = store.placements(ada.id).await?;
    assert_eq!(
        placements
            .iter()
            .map(|p| (p.id, p.ends_on.as_deref(), p.change_reason.as_deref()))
            .collect::<Vec<_>>(),
        [
            (first.id, Some("2024-10-01"), None),
            (moved.id, None, Some("LAREQ"))
        ]
    );
    let child = store.child(ada.id).await?.ok_or("child")?;
    assert_eq!((child.version, child.updated_at), (3, t(4)));
    let file = store.child_file(ada.id).await?.ok_or("file")?;
    assert_eq!(file.placement.as_ref(), Some(&moved));
    assert_eq!(
        committed(store, ada.id, &all).await?.visible,
        [w.newham.id, w.merton.id, w.kent.id]
    );
    let (log, _) = store.audit_log().await?;
    assert_eq!(
        log.last()
            .map(|r| (r.entry.entity.as_str(), r.entry.entity_id)),
        Some(("placement", Some(moved.id.get())))
    );
    let log_before = store.audit_log().await?;
    let nobody = store
        .add_placement(
            ChildId(999_999),
            &to_kent,
            t(4),
            &planner(t(4)),
            &audit("write", "placement"),
        )
        .await;
    assert!(matches!(nobody, Err(StoreError::NotFound)), "{nobody:?}");
    assert_eq!(store.audit_log().await?, log_before);

    // Who may see the child is what the plan says, nothing more and nothing less.
    store
        .update_child(
            ada.id,
            3,
            &fields("Ada King"),
            t(5),
            &visible_only(t(5), vec![w.kent.id]),
            &audit("write", "child"),
        )
        .await?;
    assert_eq!(committed(store, ada.id, &all).await?.visible, [w.kent.id]);
    assert!(
        store
            .children_page(w.newham.id, None, 10, 0)
            .await?
            .is_empty()
    );
    assert!(store.missing_now(w.newham.id, 10, 0).await?.is_empty());
    assert_eq!(store.missing_now(w.kent.id, 10, 0).await?.len(), 1);
    store
        .update_child(
            ada.id,
            4,
            &fields("Ada King"),
            t(5),
            &planner(t(5)),
            &audit("write", "child"),
        )
        .await?;
    assert!(store.visible_to(ada.id, w.newham.id).await?);

    // Profile documents are versioned by kind, and listed by kind then version.
    let mut documents = Vec::new();
    for (kind, n) in [
        ("trigger_plan", 1),
        ("trigger_plan", 2),
        ("philomena_profile", 1),
    ] {
        let doc = store
            .add_document(
                ada.id,
                kind,
                &format!(r#"{{"n":{n}}}"#),
                w.sw.id,
                after(t(6), n),
                &audit("write", "document"),
            )
            .await?;
        assert_eq!(
            (doc.kind.as_str(), doc.version, doc.recorded_by),
            (kind, n, w.sw.id)
        );
        let (log, _) = store.audit_log().await?;
        assert_eq!(
            log.last().and_then(|r| r.entry.entity_id),
            Some(doc.id.get())
        );
        documents.push(doc);
    }
    documents.rotate_right(1);
    assert_eq!(store.documents(ada.id).await?, documents);
    let log_before = store.audit_log().await?;
    let orphan = store
        .add_document(
            ChildId(999_999),
            "trigger_plan",
            "{}",
            w.sw.id,
            t(6),
            &audit("write", "document"),
        )
        .await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");

    // Photos: the latest one is shown.
    assert_eq!(store.latest_photo(ada.id).await?, None);
    let photo = |content_type: &str, bytes: &[u8], at| NewPhoto {
        content_type: content_type.into(),
        bytes: bytes.to_vec(),
        taken_on: "2024-08-30".into(),
        uploaded_by: w.sw.id,
        uploaded_at: at,
    };
    let older = store
        .add_photo(
            ada.id,
            &photo("image/jpeg", b"\xff\xd8jpeg", t(7)),
            &audit("write", "photo"),
        )
        .await?;
    let newer = store
        .add_photo(
            ada.id,
            &photo("image/png", b"\x89PNG\x00", t(8)),
            &audit("write", "photo"),
        )
        .await?;
    assert!(newer.id > older.id);
    assert_eq!(store.latest_photo(ada.id).await?, Some(newer.clone()));
    assert_eq!(newer.bytes, b"\x89PNG\x00");
    let lost = store
        .add_photo(
            ChildId(999_999),
            &photo("image/png", b"x", t(8)),
            &audit("write", "photo"),
        )
        .await;
    assert!(matches!(lost, Err(StoreError::NotFound)), "{lost:?}");
    assert_eq!(store.audit_log().await?.0.len(), log_before.0.len() + 2);

    // The file: the current placement, every episode and event, and the authorities they name.
    assert!(store.child_file(ChildId(999_999)).await?.is_none());
    assert!(store.child(ChildId(999_999)).await?.is_none());
    let file = store.child_file(ada.id).await?.ok_or("file")?;
    assert_eq!(
        (file.child.version, file.episodes.len(), file.events.len()),
        (5, 1, 1)
    );
    assert_eq!(file.events[0].at, t(1));
    assert_eq!(
        store.child_obligations(ada.id).await?[0].obligation.due,
        Some(after(t(1), HOUR))
    );
    Ok(())
}

#[test]
fn children_on_sqlite() -> TestResult {
    support::on_sqlite("children", story)
}

#[test]
fn children_on_postgres() -> TestResult {
    support::on_postgres("children", story)
}
