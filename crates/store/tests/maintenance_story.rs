//! Maintenance, on both backends: health, bulk loading whole children (planned like any change,
//! in one transaction with one audit row, or not at all), and online backups (SQLite; a
//! PostgreSQL store says to use pg_dump).

use protocol::vocabulary::{LegalStatus, PlacementType};
use store::*;

mod support;

use support::fixtures::{after, audit_at, fields, placement, t, world};
use support::planner::{Spy, planner, refused};
use support::{Backing, TestResult};

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    store.ping().await?;
    let w = world(store).await?;
    let (n, m) = (w.newham.id, w.merton.id);
    let reported = r#"{"type":"reported_missing","data":{}}"#;
    let graded = r#"{"type":"risk_graded","data":{"level":"medium"}}"#;
    let bulk: Vec<BulkChild> = (0..3)
        .map(|i| BulkChild {
            fields: fields(&format!("Bulk Child {i}")),
            placement: NewPlacement {
                change_reason: Some("CARPL".into()),
                placement_type: PlacementType::Foster,
                ..placement(m, m, "2023-01-01")
            },
            earlier_placements: vec![
                NewPlacement {
                    legal_status: LegalStatus::S20,
                    ..placement(n, n, "2021-03-01")
                },
                placement(n, m, "2022-05-01"),
            ],
            created_at: t(0),
            episodes: vec![
                BulkEpisode {
                    opened_at: t(1),
                    events: vec![(t(1), reported.into()), (t(2), graded.into())],
                },
                BulkEpisode {
                    opened_at: t(5),
                    events: Vec::new(),
                },
            ],
            documents: vec![(
                "philomena_profile".into(),
                format!(r#"{{"associates":["Friend {i}"]}}"#),
            )],
        })
        .collect();
    let load_audit = audit_at(t(6), "write", "demo");

    // A load the casework layer cannot plan leaves nothing: no child, no audit row.
    let spy = Spy::default();
    let r = store
        .bulk_load(&bulk, w.sw.id, &spy.failing(), &load_audit)
        .await;
    assert!(refused(&r), "{r:?}");
    let seen = spy.take();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|s| s.file.events.len() == 2));
    assert!(store.children_page(m, None, 10, 0).await?.is_empty());
    assert!(store.child_ids(ChildId(0), 10).await?.is_empty());
    assert!(store.audit_log().await?.0.is_empty());

    // Loaded: whole children, planned at the audit instant, one audit row for the batch.
    store
        .bulk_load(&bulk, w.sw.id, &planner(t(6)), &load_audit)
        .await?;
    let rows = store.children_page(m, None, 10, 0).await?;
    assert_eq!(
        rows.iter()
            .map(|r| (r.child.name.as_str(), r.episodes, r.missing))
            .collect::<Vec<_>>(),
        [
            ("Bulk Child 0", 2, true),
            ("Bulk Child 1", 2, true),
            ("Bulk Child 2", 2, true)
        ]
    );
    assert!(
        store.children_page(n, None, 10, 0).await?.is_empty(),
        "Newham placed them once; the plan says only Merton may see them now"
    );
    let (log, head) = store.audit_log().await?;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry, load_audit);
    assert_eq!(audit::verify(&log, (head.0, &head.1)), Ok(1));

    let child = rows[2].child.clone();
    assert_eq!((child.version, child.created_at), (1, t(0)));
    let file = store.child_file(child.id).await?.ok_or("file")?;
    assert_eq!(
        file.episodes
            .iter()
            .map(|e| (
                e.version,
                e.opened_at,
                e.responsible_authority_id,
                e.host_authority_id
            ))
            .collect::<Vec<_>>(),
        [(3, t(1), m, m), (1, t(5), m, m)]
    );
    assert_eq!(
        file.events
            .iter()
            .map(|e| (e.at, e.body.as_str(), e.recorded_by, e.recorded_at))
            .collect::<Vec<_>>(),
        [
            (t(1), reported, w.sw.id, t(0)),
            (t(2), graded, w.sw.id, t(0))
        ]
    );
    // Each earlier placement ends the day the next starts; the move's reason is kept.
    assert_eq!(
        store
            .placements(child.id)
            .await?
            .into_iter()
            .map(|p| (p.starts_on, p.ends_on, p.legal_status, p.change_reason))
            .collect::<Vec<_>>(),
        [
            (
                "2021-03-01".into(),
                Some("2022-05-01".into()),
                LegalStatus::S20,
                None
            ),
            (
                "2022-05-01".into(),
                Some("2023-01-01".into()),
                LegalStatus::S31CareOrder,
                None
            ),
            (
                "2023-01-01".into(),
                None,
                LegalStatus::S31CareOrder,
                Some("CARPL".into())
            ),
        ]
    );
    assert_eq!(
        file.placement.map(|p| p.placement_type),
        Some(PlacementType::Foster)
    );
    let obligations = store.child_obligations(child.id).await?;
    assert_eq!(
        obligations
            .iter()
            .map(|o| (o.obligation.rule.as_str(), o.obligation.due, o.computed_at))
            .collect::<Vec<_>>(),
        [
            ("TEST-REPORTED_MISSING", Some(t(2)), t(6)),
            ("TEST-RISK_GRADED", Some(t(3)), t(6))
        ]
    );
    assert_eq!(obligations[0].obligation.episode_id, file.episodes[0].id);
    assert_eq!(store.next_change(child.id).await?, Some(t(2)));
    assert_eq!(
        store
            .documents(child.id)
            .await?
            .iter()
            .map(|d| (d.kind.as_str(), d.version, d.body.as_str(), d.recorded_at))
            .collect::<Vec<_>>(),
        [(
            "philomena_profile",
            1,
            r#"{"associates":["Friend 2"]}"#,
            t(0)
        )]
    );
    assert_eq!(
        store.missing_now(m, 10, 0).await?[0].status.since,
        t(1),
        "since the first report, not the later episode"
    );
    assert_eq!(store.due_children(t(2), 10).await?.len(), 3);
    assert!(store.due_children(after(t(2), -1), 10).await?.is_empty());

    // Backups: a consistent copy of SQLite while it is in use; PostgreSQL's is pg_dump's job.
    match (store.backend(), &b.dir) {
        (Backend::Sqlite, Some(dir)) => {
            let copy_path = dir.join("copy.db");
            store.backup_to(&copy_path).await?;
            let copy = open(copy_path.to_str().ok_or("path")?).await?;
            assert_eq!(copy.audit_log().await?, store.audit_log().await?);
            assert_eq!(
                copy.children_page(m, None, 10, 0).await?,
                store.children_page(m, None, 10, 0).await?
            );
            assert_eq!(copy.child_obligations(child.id).await?, obligations);
        }
        (Backend::Postgres, None) => {
            let r = store.backup_to(std::path::Path::new("/nonexistent")).await;
            assert!(matches!(r, Err(StoreError::Unsupported(_))), "{r:?}");
        }
        (backend, dir) => return Err(format!("{backend:?} with {dir:?}").into()),
    }
    Ok(())
}

#[test]
fn maintenance_on_sqlite() -> TestResult {
    support::on_sqlite("maintenance", story)
}

#[test]
fn maintenance_on_postgres() -> TestResult {
    support::on_postgres("maintenance", story)
}
