//! The exchange methods on both backends (PostgreSQL when `HOMEWARD_TEST_POSTGRES` is set, as in
//! story.rs): the snapshot reads the window it is asked for, and an import is all or nothing.

use std::sync::Arc;

use store::*;

mod support;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn audit(entity: &str) -> AuditEntry {
    AuditEntry {
        at: 1_000,
        user_id: None,
        action: "write".into(),
        entity: entity.into(),
        entity_id: None,
        child_id: None,
        remote_addr: "test".into(),
    }
}

fn event(at: i64, kind: &str, by: i64) -> NewEvent {
    NewEvent {
        at,
        body: format!(r#"{{"type":"{kind}","data":{{}}}}"#),
        correction: None,
        recorded_by: by,
        recorded_at: at,
    }
}

/// One obligation per event: enough to see that obligations are recomputed in the import.
fn per_event(file: &ChildFile) -> Result<Vec<NewObligation>, String> {
    Ok(file
        .events
        .iter()
        .map(|e| NewObligation {
            episode_id: e.episode_id,
            authority_id: file.authorities[0].id,
            rule: "NEWHAM-EST".into(),
            share: None,
            owner_role: "social_worker".into(),
            action: "test".into(),
            citation: "test".into(),
            activation: e.at,
            due: Some(e.at + 3_600_000_000),
        })
        .collect())
}

async fn exchange(store: Arc<dyn Repository>) -> TestResult {
    let a = store
        .create_authority(&NewAuthority {
            code: "NEWHAM".into(),
            name: "London Borough of Newham".into(),
            protocol: Some("NEWHAM".into()),
            police_force: "Metropolitan Police".into(),
        })
        .await?;
    let user = store
        .create_user(&NewUser {
            username: "pmc".into(),
            display_name: "PMC".into(),
            role: "police_missing_coordinator".into(),
            authority_id: a.id,
            password_hash: "x".into(),
        })
        .await?;
    let placement = NewPlacement {
        responsible_authority_id: a.id,
        host_authority_id: a.id,
        legal_status: "s20".into(),
        placement_type: "foster".into(),
        police_force: "Metropolitan Police".into(),
        travel_minutes: 0,
        starts_on: "2024-01-01".into(),
        change_reason: None,
    };
    let mut ids = Vec::new();
    for name in ["Ada", "Ben"] {
        let fields = ChildFields {
            name: name.into(),
            dob: "2012-01-01".into(),
            facts: "{}".into(),
        };
        ids.push(
            store
                .create_child(&fields, &placement, 10, &audit("child"))
                .await?
                .0
                .id,
        );
    }
    let old = store
        .open_episode(ids[0], 1_000_000, &audit("episode"))
        .await?;
    let (_, log_before) = store.audit_log().await?;

    // The second child names an episode that does not exist: the whole import fails and the
    // first child's new episode and events are not there either.
    let bad = [
        ImportChild {
            child_id: ids[0],
            episodes: vec![ImportEpisode {
                episode_id: None,
                opened_at: 5_000_000,
                events: vec![event(5_000_000, "reported_missing", user.id)],
            }],
            now: 6_000_000,
        },
        ImportChild {
            child_id: ids[1],
            episodes: vec![ImportEpisode {
                episode_id: Some(9_999),
                opened_at: 0,
                events: vec![event(5_000_000, "located", user.id)],
            }],
            now: 6_000_000,
        },
    ];
    assert!(
        store
            .import_events(&bad, &per_event, &audit("import"))
            .await
            .is_err()
    );
    let file = store.child_file(ids[0]).await?.ok_or("child")?;
    assert_eq!(file.episodes.len(), 1);
    assert!(file.events.is_empty());
    assert_eq!(store.audit_log().await?.1, log_before);

    // A good import: an event on the old episode and a new episode, obligations recomputed,
    // one audit row for the child written.
    let good = [ImportChild {
        child_id: ids[0],
        episodes: vec![
            ImportEpisode {
                episode_id: Some(old.id),
                opened_at: 0,
                events: vec![event(2_000_000, "returned", user.id)],
            },
            ImportEpisode {
                episode_id: None,
                opened_at: 5_000_000,
                events: vec![
                    event(5_000_000, "reported_missing", user.id),
                    event(5_000_001, "risk_graded", user.id),
                ],
            },
        ],
        now: 6_000_000,
    }];
    let outcome = store
        .import_events(&good, &per_event, &audit("import"))
        .await?;
    assert_eq!(
        outcome,
        ImportOutcome {
            episodes_opened: 1,
            events_added: 3,
            children: 1
        }
    );
    assert_eq!(store.child_obligations(ids[0]).await?.len(), 3);
    let (log, head) = store.audit_log().await?;
    assert_eq!(head.0, log_before.0 + 1);
    assert_eq!(log.last().and_then(|r| r.child_id), Some(ids[0]));
    assert!(audit::verify(&log, (head.0, &head.1)).is_ok());

    // The snapshot: all children and placements, only the episodes opened in the window.
    let mut visited = Vec::new();
    let snap = store
        .exchange_snapshot(
            4_000_000,
            10_000_000,
            SnapshotChildren::All,
            &mut |episode, events| {
                visited.push((
                    episode.id,
                    events.iter().map(|e| e.episode_id).collect::<Vec<_>>(),
                ));
            },
        )
        .await?;
    assert_eq!(snap.children.len(), 2);
    assert_eq!(snap.placements.len(), 2);
    assert_eq!(snap.episodes.len(), 1);
    let id = snap.episodes[0].id;
    assert_eq!(visited, vec![(id, vec![id, id])]);

    // Scoped to the window's children: only the child with an episode in it, and its placement.
    let scoped = store
        .exchange_snapshot(
            4_000_000,
            10_000_000,
            SnapshotChildren::WithEpisodes,
            &mut |_, _| {},
        )
        .await?;
    let child = snap.episodes[0].child_id;
    assert_eq!(
        scoped.children.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![child]
    );
    assert_eq!(
        scoped
            .placements
            .iter()
            .map(|p| p.child_id)
            .collect::<Vec<_>>(),
        vec![child]
    );
    assert_eq!(scoped.episodes, snap.episodes);
    Ok(())
}

#[test]
fn exchange_on_sqlite() -> TestResult {
    let dir = support::scratch("exchange")?;
    let path = dir.join("x.db");
    support::runtime()?
        .block_on(async { exchange(open(path.to_str().unwrap_or_default()).await?).await })?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn exchange_on_postgres() -> TestResult {
    let Some(server) = support::postgres("exchange_on_postgres")? else {
        return Ok(());
    };
    support::runtime()?.block_on(async {
        exchange(open(&support::fresh_database(&server, "exchange").await?).await?).await
    })
}
