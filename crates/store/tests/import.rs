//! The bulk import stores exactly what writing the same events one at a time through the
//! ordinary event path stores: the same episodes (authorities, versions), the same events, the
//! same obligations (but for their IDs), the same lists and the same schedule, on both backends.

use std::sync::Arc;

use protocol::vocabulary::{LegalStatus, PlacementType, Protocol};
use store::*;

mod support;

use support::TestResult;
use support::fixtures::{audit_at, fields, t};
use support::planner::{Plan, plan};

/// When the import runs (every event is recorded then).
fn now() -> Instant {
    t(25)
}

fn audit(entity: &str) -> AuditEntry {
    audit_at(now(), "write", entity)
}

/// The test planner, after checking that the file names every authority its episodes do (the
/// bulk path loads files a chunk at a time).
fn from_file(at: Instant) -> impl Fn(&ChildFile, &[ObligationRecord]) -> Plan + Sync {
    move |file, stored| {
        for e in &file.episodes {
            if !file.authorities.iter().any(|a| a.id == e.host_authority_id) {
                return Err(format!(
                    "authority {} missing from the file",
                    e.host_authority_id
                ));
            }
        }
        plan(file, stored, at)
    }
}

fn event(at: Instant, kind: &str, by: UserId) -> NewEvent {
    NewEvent {
        at,
        body: format!(r#"{{"type":"{kind}","data":{{"at":{}}}}}"#, at.micros()),
        correction: None,
        recorded_by: by,
        recorded_at: now(),
    }
}

/// The same partnership in any store: two authorities, a user, `n` children (half placed
/// out of area, a third with an open episode). Returns the authorities, the user and children.
async fn partnership(
    store: &Arc<dyn Store>,
    n: usize,
) -> Result<(Vec<AuthorityId>, UserId, Vec<ChildId>), StoreError> {
    let mut authorities = Vec::new();
    for (code, protocol) in [("NEWHAM", Protocol::Newham), ("MERTON", Protocol::Merton)] {
        authorities.push(
            store
                .create_authority(&NewAuthority {
                    code: code.into(),
                    name: code.into(),
                    protocol: Some(protocol),
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
            role: Role::PoliceMissingCoordinator,
            authority_id: authorities[0],
            password_hash: "x".into(),
        })
        .await?;
    let mut children = Vec::new();
    for i in 0..n {
        let placement = NewPlacement {
            responsible_authority_id: authorities[0],
            host_authority_id: authorities[i % 2],
            legal_status: LegalStatus::S20,
            placement_type: if i % 3 == 0 {
                PlacementType::Foster
            } else {
                PlacementType::Residential
            },
            police_force: "Metropolitan Police".into(),
            travel_minutes: 0,
            starts_on: "2024-01-01".into(),
            change_reason: None,
        };
        let (child, _) = store
            .create_child(
                &fields(&format!("Child {i:03}")),
                &placement,
                t(0),
                &from_file(t(0)),
                &audit("child"),
            )
            .await?;
        if i % 3 == 0 {
            let opened = Instant::from_micros(t(1).micros() + i as i64);
            store
                .open_episode(child.id, opened, &from_file(opened), &audit("episode"))
                .await?;
        }
        children.push(child.id);
    }
    Ok((authorities, user.id, children))
}

/// What an import of every child looks like: events on the open episode where there is one,
/// a new episode for every child, and for every fourth a second new episode opened at the
/// same instant (whose rows then differ only by version).
async fn import_list(
    store: &Arc<dyn Store>,
    user: UserId,
    children: &[ChildId],
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
                opened_at: Instant::EPOCH,
                events: vec![
                    event(t(2), "reported_missing", user),
                    event(t(3), "found", user),
                ],
            });
        }
        let opened = Instant::from_micros(t(20).micros() + (i as i64 % 5));
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
                    event(
                        Instant::from_micros(opened.micros() + 1),
                        "risk_graded",
                        user,
                    ),
                ],
            });
        }
        out.push(ImportChild {
            child_id: *child,
            episodes,
            now: now(),
        });
    }
    Ok(out)
}

/// Writes the import the ordinary way: an episode opened and each event appended in turn, each
/// planned, then every child planned once more at the import's instant.
async fn one_at_a_time(store: &Arc<dyn Store>, list: &[ImportChild]) -> TestResult {
    for c in list {
        for e in &c.episodes {
            let episode_id = match e.episode_id {
                Some(id) => id,
                None => {
                    store
                        .open_episode(
                            c.child_id,
                            e.opened_at,
                            &from_file(e.opened_at),
                            &audit("episode"),
                        )
                        .await?
                        .id
                }
            };
            for event in &e.events {
                store
                    .append_event(
                        episode_id,
                        None,
                        event,
                        &from_file(event.recorded_at),
                        &audit("event"),
                    )
                    .await?;
            }
        }
        store
            .recompute(&[c.child_id], c.now, &from_file(c.now))
            .await?;
    }
    Ok(())
}

/// Everything the import may have touched, without obligation IDs (allocated differently).
async fn state(
    store: &Arc<dyn Store>,
    authorities: &[AuthorityId],
    children: &[ChildId],
) -> Result<String, StoreError> {
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
            .map(|o| ObligationRecord {
                id: ObligationId(0),
                ..o
            })
            .collect();
        out.push_str(&format!(
            "{:?}\n{:?}\n{obligations:?}\nnext change {:?}\n",
            file.episodes,
            file.events,
            store.next_change(*child).await?
        ));
    }
    for a in authorities {
        out.push_str(&format!(
            "{:?}\n{:?}\n",
            store.children_page(*a, None, 10_000, 0).await?,
            store.missing_now(*a, 10_000, 0).await?
        ));
    }
    out.push_str(&format!(
        "due: {:?}\n",
        store.due_children(t(1_000), 10_000).await?
    ));
    Ok(out)
}

async fn bulk_matches_one_at_a_time(bulk: Arc<dyn Store>, single: Arc<dyn Store>) -> TestResult {
    // More children than one statement chunk holds, so chunk boundaries are crossed.
    let n = 520;
    let (authorities, user, children) = partnership(&bulk, n).await?;
    let (_, user_single, children_single) = partnership(&single, n).await?;
    assert_eq!((user, &children), (user_single, &children_single));
    let list = import_list(&bulk, user, &children).await?;
    let (_, before) = bulk.audit_log().await?;
    let outcome = bulk
        .import_events(&list, &from_file(now()), &audit("import:test"))
        .await?;
    one_at_a_time(&single, &list).await?;

    assert_eq!(
        outcome,
        ImportOutcome {
            episodes_opened: n + n.div_ceil(4),
            events_added: n + 2 * n.div_ceil(4) + 2 * n.div_ceil(3),
            children: n,
        }
    );
    let (bulk_state, single_state) = (
        state(&bulk, &authorities, &children).await?,
        state(&single, &authorities, &children).await?,
    );
    assert!(bulk_state.contains("Discharged") && bulk_state.contains("TEST-RISK_GRADED"));
    assert_eq!(bulk_state, single_state);
    // One audit row per child, naming it, and the chain still verifies.
    let (log, head) = bulk.audit_log().await?;
    assert_eq!(head.0, before.0 + n as i64);
    let audited: Vec<Option<ChildId>> = log[usize::try_from(before.0)?..]
        .iter()
        .map(|r| r.entry.child_id)
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
