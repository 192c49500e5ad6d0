//! Exchange, on both backends: an import is all or nothing (an unknown episode, another child's
//! episode, a child the casework layer cannot plan: nothing written), a good one writes events,
//! episodes, plans and one audit row per child it wrote to; matching reads only what it needs;
//! the snapshot reads the window it is asked for.

use store::*;

mod support;

use support::fixtures::{add_child, audit, open, placement, t, world};
use support::planner::{Spy, planner, refused};
use support::snapshot::committed;
use support::{Backing, TestResult};

fn event(at: Instant, kind: &str, by: UserId) -> NewEvent {
    NewEvent {
        at,
        body: format!(r#"{{"type":"{kind}","data":{{}}}}"#),
        correction: None,
        recorded_by: by,
        recorded_at: t(6),
    }
}

fn new_episode(opened_at: Instant, events: Vec<NewEvent>) -> ImportEpisode {
    ImportEpisode {
        episode_id: None,
        opened_at,
        events,
    }
}

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let all = w.authorities();
    let pmc = store
        .create_user(&NewUser {
            username: "pmc".into(),
            display_name: "PMC".into(),
            role: Role::PoliceMissingCoordinator,
            authority_id: w.newham.id,
            password_hash: "x".into(),
        })
        .await?;
    let home = placement(w.newham.id, w.newham.id, "2024-01-01");
    let ada = add_child(store, "Ada Lovelace", &home, t(0)).await?;
    let ben = add_child(store, "Ben Okri", &home, t(0)).await?;
    let old = open(store, ada.id, t(0)).await?;
    let bens = open(store, ben.id, t(1)).await?;
    let state = || async {
        Ok::<_, StoreError>((
            committed(store, ada.id, &all).await?,
            committed(store, ben.id, &all).await?,
        ))
    };
    let before = state().await?;

    // The second child names an episode that does not exist, or Ada's: the whole import fails,
    // and the first child's new episode and events are not there either.
    let ada_opens = ImportChild {
        child_id: ada.id,
        episodes: vec![new_episode(
            t(5),
            vec![event(t(5), "reported_missing", pmc.id)],
        )],
        now: t(6),
    };
    for (episode, refused_as) in [
        (EpisodeId(999_999), "not found"),
        (old.id, "another child's"),
    ] {
        let bad = [
            ada_opens.clone(),
            ImportChild {
                child_id: ben.id,
                episodes: vec![ImportEpisode {
                    episode_id: Some(episode),
                    opened_at: t(0),
                    events: vec![event(t(5), "located", pmc.id)],
                }],
                now: t(6),
            },
        ];
        let r = store
            .import_events(&bad, &planner(t(6)), &audit("write", "import"))
            .await;
        match refused_as {
            "not found" => assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}"),
            _ => assert!(matches!(r, Err(StoreError::Constraint(_))), "{r:?}"),
        }
        assert_eq!(state().await?, before, "{refused_as}");
    }
    // A correction must name an event of its own episode.
    let bens_event = store
        .append_event(
            bens.id,
            None,
            &event(t(1), "reported_missing", pmc.id),
            &planner(t(6)),
            &audit("write", "event"),
        )
        .await?
        .1;
    let before = state().await?;
    let crossed = [ImportChild {
        child_id: ada.id,
        episodes: vec![ImportEpisode {
            episode_id: Some(old.id),
            opened_at: t(0),
            events: vec![NewEvent {
                correction: Some((bens_event.id, "wrong child".into())),
                ..event(t(1), "reported_missing", pmc.id)
            }],
        }],
        now: t(6),
    }];
    let r = store
        .import_events(&crossed, &planner(t(6)), &audit("write", "import"))
        .await;
    assert!(matches!(r, Err(StoreError::Constraint(_))), "{r:?}");
    assert_eq!(state().await?, before);

    // An import the casework layer cannot plan is not written; the planner saw the imported
    // events in the file.
    let good = [
        ImportChild {
            child_id: ada.id,
            episodes: vec![
                ImportEpisode {
                    episode_id: Some(old.id),
                    opened_at: t(0),
                    events: vec![event(t(2), "returned", pmc.id)],
                },
                new_episode(
                    t(5),
                    vec![
                        event(t(5), "reported_missing", pmc.id),
                        event(t(5), "risk_graded", pmc.id),
                    ],
                ),
            ],
            now: t(6),
        },
        // Nothing new for Ben: planned again, but no audit row.
        ImportChild {
            child_id: ben.id,
            episodes: Vec::new(),
            now: t(7),
        },
    ];
    let spy = Spy::default();
    let r = store
        .import_events(&good, &spy.failing(), &audit("write", "import"))
        .await;
    assert!(refused(&r), "{r:?}");
    let seen = spy.take();
    assert_eq!(
        seen.iter()
            .map(|s| (s.file.child.id, s.file.episodes.len(), s.file.events.len()))
            .collect::<Vec<_>>(),
        [(ada.id, 2, 3)],
        "the first child refused ends the import"
    );
    assert_eq!(state().await?, before);

    // A good import: an event on the old episode and a new episode with two, each episode's
    // version moved on per event, plans written, one audit row for the child written to.
    let (_, head_before) = store.audit_log().await?;
    let outcome = store
        .import_events(&good, &planner(t(6)), &audit("write", "import"))
        .await?;
    assert_eq!(
        outcome,
        ImportOutcome {
            episodes_opened: 1,
            events_added: 3,
            children: 2
        }
    );
    let file = store.child_file(ada.id).await?.ok_or("Ada")?;
    assert_eq!(
        file.episodes
            .iter()
            .map(|e| (e.version, e.opened_at, e.responsible_authority_id))
            .collect::<Vec<_>>(),
        [(2, t(0), w.newham.id), (3, t(5), w.newham.id)]
    );
    assert_eq!(file.events.len(), 3);
    let obligations = store.child_obligations(ada.id).await?;
    assert_eq!(obligations.len(), 3);
    assert!(obligations.iter().all(|o| o.computed_at == t(6)));
    assert_eq!(
        store.missing_now(w.newham.id, 10, 0).await?.len(),
        2,
        "Ada's new episode and Ben's"
    );
    let (log, head) = store.audit_log().await?;
    assert_eq!(head.0, head_before.0 + 1);
    assert_eq!(
        log.last()
            .map(|r| (r.entry.entity.as_str(), r.entry.child_id)),
        Some(("import", Some(ada.id)))
    );
    assert!(audit::verify(&log, (head.0, &head.1)).is_ok());

    // Matching reads the children asked for by ID or name (each once) and their episodes
    // opened since an instant, with those episodes' events in recording order.
    let candidates = store
        .import_candidates(
            &[ben.id, ChildId(999_999)],
            &["Ada Lovelace".into(), "Ben Okri".into(), "Nobody".into()],
            t(4),
        )
        .await?;
    assert_eq!(
        candidates
            .children
            .iter()
            .map(|c| (c.id, c.name.as_str(), c.dob.as_str()))
            .collect::<Vec<_>>(),
        [
            (ada.id, "Ada Lovelace", "2010-05-12"),
            (ben.id, "Ben Okri", "2010-05-12")
        ]
    );
    assert_eq!(candidates.episodes, file.episodes[1..]);
    assert_eq!(candidates.events, file.events[1..]);
    let none = store.import_candidates(&[], &[], t(0)).await?;
    assert!(none.children.is_empty() && none.episodes.is_empty());

    // The snapshot: every authority, child and placement, only the episodes opened in the
    // window, each visited once with its own events.
    let mut visited = Vec::new();
    let snap = store
        .exchange_snapshot(
            t(4),
            t(10),
            SnapshotChildren::All,
            &mut |episode, events| {
                visited.push((
                    episode.id,
                    events.iter().map(|e| e.episode_id).collect::<Vec<_>>(),
                ));
            },
        )
        .await?;
    assert_eq!(snap.authorities.len(), 3);
    assert_eq!(snap.children.len(), 2);
    assert_eq!(snap.placements.len(), 2);
    assert_eq!(snap.episodes, file.episodes[1..]);
    let id = file.episodes[1].id;
    assert_eq!(visited, [(id, vec![id, id])]);

    // Scoped to the window's children: only the child with an episode in it, and its
    // placement.
    let scoped = store
        .exchange_snapshot(t(4), t(10), SnapshotChildren::WithEpisodes, &mut |_, _| {})
        .await?;
    assert_eq!(
        scoped.children.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ada.id]
    );
    assert_eq!(
        scoped
            .placements
            .iter()
            .map(|p| p.child_id)
            .collect::<Vec<_>>(),
        [ada.id]
    );
    assert_eq!(scoped.episodes, snap.episodes);
    let mut empty = 0;
    let nothing = store
        .exchange_snapshot(t(50), t(60), SnapshotChildren::WithEpisodes, &mut |_, _| {
            empty += 1;
        })
        .await?;
    assert!(nothing.children.is_empty() && nothing.episodes.is_empty());
    assert_eq!(empty, 0);
    Ok(())
}

#[test]
fn exchange_on_sqlite() -> TestResult {
    support::on_sqlite("exchange", story)
}

#[test]
fn exchange_on_postgres() -> TestResult {
    support::on_postgres("exchange", story)
}
