//! The bulk import stores exactly what writing the same events one at a time through the
//! ordinary event path stores: the same episodes (authorities, versions), the same events, the
//! same obligations and the same schedule, on both backends (PostgreSQL when
//! `HOMEWARD_TEST_POSTGRES` is set, as in story.rs).

use std::sync::Arc;

use store::*;

mod support;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NOW: i64 = 90_000_000;

fn audit(entity: &str) -> AuditEntry {
    AuditEntry {
        at: NOW,
        user_id: None,
        action: "write".into(),
        entity: entity.into(),
        entity_id: None,
        child_id: None,
        remote_addr: "test".into(),
    }
}

/// Obligations that depend on everything a file holds: one per event, owned by the episode's
/// host authority (which must be among the file's authorities), due an hour after the event,
/// and one for the current placement's responsible authority on the latest episode.
fn from_file(file: &ChildFile) -> Result<Vec<NewObligation>, String> {
    let mut out = Vec::new();
    for e in &file.events {
        let episode = file
            .episodes
            .iter()
            .find(|ep| ep.id == e.episode_id)
            .ok_or("an event of no episode in the file")?;
        if !file
            .authorities
            .iter()
            .any(|a| a.id == episode.host_authority_id)
        {
            return Err(format!(
                "authority {} missing from the file",
                episode.host_authority_id
            ));
        }
        out.push(NewObligation {
            episode_id: e.episode_id,
            authority_id: episode.host_authority_id,
            rule: format!("EVENT-{}", e.id),
            share: None,
            owner_role: "social_worker".into(),
            action: e.body.clone(),
            citation: format!("version {}", episode.version),
            activation: e.at,
            due: Some(e.at + 3_600_000_000),
        });
    }
    if let (Some(p), Some(latest)) = (&file.placement, file.episodes.last()) {
        out.push(NewObligation {
            episode_id: latest.id,
            authority_id: p.responsible_authority_id,
            rule: "PLACEMENT".into(),
            share: Some(p.placement_type.clone()),
            owner_role: "team_manager".into(),
            action: file.child.name.clone(),
            citation: "placement".into(),
            activation: latest.opened_at,
            due: None,
        });
    }
    Ok(out)
}

fn event(at: i64, kind: &str, by: i64) -> NewEvent {
    NewEvent {
        at,
        body: format!(r#"{{"type":"{kind}","data":{{"at":{at}}}}}"#),
        correction: None,
        recorded_by: by,
        recorded_at: NOW,
    }
}

/// The same partnership in any store: two authorities, a user, `n` children (half placed
/// out of area, a third with an open episode, one with a closed placement before its current
/// one). Returns the user and children.
async fn partnership(store: &Arc<dyn Repository>, n: usize) -> Result<(i64, Vec<i64>), StoreError> {
    let mut authorities = Vec::new();
    for code in ["NEWHAM", "MERTON"] {
        authorities.push(
            store
                .create_authority(&NewAuthority {
                    code: code.into(),
                    name: code.into(),
                    protocol: Some(code.into()),
                    police_force: "Metropolitan Police".into(),
                })
                .await?
                .id,
        );
    }
    let user = store
        .create_user(&NewUser {
            username: "pmc".into(),
            display_name: "PMC".into(),
            role: "police_missing_coordinator".into(),
            authority_id: authorities[0],
            password_hash: "x".into(),
        })
        .await?;
    let mut children = Vec::new();
    for i in 0..n {
        let placement = NewPlacement {
            responsible_authority_id: authorities[0],
            host_authority_id: authorities[i % 2],
            legal_status: "s20".into(),
            placement_type: if i % 3 == 0 { "foster" } else { "residential" }.into(),
            police_force: "Metropolitan Police".into(),
            travel_minutes: 0,
            starts_on: "2024-01-01".into(),
            change_reason: None,
        };
        let fields = ChildFields {
            name: format!("Child {i}"),
            dob: "2012-01-01".into(),
            facts: "{}".into(),
        };
        let (child, _) = store
            .create_child(&fields, &placement, 10, &audit("child"))
            .await?;
        if i % 3 == 0 {
            store
                .open_episode(child.id, 1_000_000 + i as i64, &audit("episode"))
                .await?;
        }
        children.push(child.id);
    }
    Ok((user.id, children))
}

/// What an import of every child looks like: events on the open episode where there is one,
/// a new episode for every child, and for every fourth a second new episode opened at the
/// same instant (whose rows then differ only by version).
async fn plan(
    store: &Arc<dyn Repository>,
    user: i64,
    children: &[i64],
) -> Result<Vec<ImportChild>, StoreError> {
    let mut out = Vec::new();
    for (i, child) in children.iter().enumerate() {
        let file = store
            .child_file(*child)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut episodes = Vec::new();
        if let Some(open) = file.episodes.last() {
            episodes.push(ImportEpisode {
                episode_id: Some(open.id),
                opened_at: 0,
                events: vec![
                    event(2_000_000, "risk_graded", user),
                    event(3_000_000, "located", user),
                ],
            });
        }
        let opened = 50_000_000 + (i as i64 % 5);
        episodes.push(ImportEpisode {
            episode_id: None,
            opened_at: opened,
            events: vec![event(opened, "reported_missing", user)],
        });
        if i % 4 == 0 {
            episodes.push(ImportEpisode {
                episode_id: None,
                opened_at: opened,
                events: vec![
                    event(opened, "reported_missing", user),
                    event(opened + 1, "risk_graded", user),
                ],
            });
        }
        out.push(ImportChild {
            child_id: *child,
            episodes,
            now: NOW,
        });
    }
    Ok(out)
}

/// Writes the import the ordinary way: an episode opened and each event appended in turn,
/// obligations recomputed after each, then once more at the import's instant.
async fn one_at_a_time(store: &Arc<dyn Repository>, plan: &[ImportChild]) -> TestResult {
    for c in plan {
        for e in &c.episodes {
            let episode_id = match e.episode_id {
                Some(id) => id,
                None => {
                    store
                        .open_episode(c.child_id, e.opened_at, &audit("episode"))
                        .await?
                        .id
                }
            };
            for event in &e.events {
                store
                    .append_event(episode_id, None, event, &from_file, &audit("event"))
                    .await?;
            }
        }
        store.recompute(c.child_id, c.now, &from_file).await?;
    }
    Ok(())
}

/// Everything the import may have touched, without obligation IDs (allocated differently).
async fn state(store: &Arc<dyn Repository>, children: &[i64]) -> Result<String, StoreError> {
    let mut out = String::new();
    for child in children {
        let file = store
            .child_file(*child)
            .await?
            .ok_or(StoreError::NotFound)?;
        let obligations: Vec<_> = store
            .child_obligations(*child)
            .await?
            .into_iter()
            .map(|o| ObligationRecord { id: 0, ..o })
            .collect();
        out.push_str(&format!(
            "{:?}\n{:?}\n{obligations:?}\n",
            file.episodes, file.events
        ));
    }
    out.push_str(&format!(
        "due: {:?}\n",
        store.due_children(NOW, 10_000).await?
    ));
    Ok(out)
}

async fn bulk_matches_one_at_a_time(
    bulk: Arc<dyn Repository>,
    single: Arc<dyn Repository>,
) -> TestResult {
    // More children than one statement chunk holds, so chunk boundaries are crossed.
    let n = 520;
    let (user, children) = partnership(&bulk, n).await?;
    let (user_single, children_single) = partnership(&single, n).await?;
    assert_eq!((user, &children), (user_single, &children_single));
    let plan = plan(&bulk, user, &children).await?;
    let (_, before) = bulk.audit_log().await?;
    let outcome = bulk
        .import_events(&plan, &from_file, &audit("import:test"))
        .await?;
    one_at_a_time(&single, &plan).await?;

    assert_eq!(
        outcome,
        ImportOutcome {
            episodes_opened: n + n.div_ceil(4),
            events_added: n + 2 * n.div_ceil(4) + 2 * n.div_ceil(3),
            children: n,
        }
    );
    assert_eq!(
        state(&bulk, &children).await?,
        state(&single, &children).await?
    );
    // One audit row per child, naming it, and the chain still verifies.
    let (log, head) = bulk.audit_log().await?;
    assert_eq!(head.0, before.0 + n as i64);
    let audited: Vec<Option<i64>> = log[before.0 as usize..]
        .iter()
        .map(|r| r.child_id)
        .collect();
    assert_eq!(
        audited,
        children.iter().map(|c| Some(*c)).collect::<Vec<_>>()
    );
    assert!(audit::verify(&log, (head.0, &head.1)).is_ok());
    Ok(())
}

#[test]
fn bulk_import_on_sqlite() -> TestResult {
    let dir = support::scratch("import")?;
    let (a, b) = (dir.join("bulk.db"), dir.join("single.db"));
    support::runtime()?.block_on(async {
        bulk_matches_one_at_a_time(
            open(a.to_str().unwrap_or_default()).await?,
            open(b.to_str().unwrap_or_default()).await?,
        )
        .await
    })?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn bulk_import_on_postgres() -> TestResult {
    let Some(server) = support::postgres("bulk_import_on_postgres")? else {
        return Ok(());
    };
    support::runtime()?.block_on(async {
        let bulk = open(&support::fresh_database(&server, "import_bulk").await?).await?;
        let single = open(&support::fresh_database(&server, "import_single").await?).await?;
        bulk_matches_one_at_a_time(bulk, single).await
    })
}
