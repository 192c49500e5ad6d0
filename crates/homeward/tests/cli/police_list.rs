//! `homeward import police-list`: rows matched to children and episodes and recorded as events
//! with obligations recomputed; a file with any bad row is refused with its row and column and
//! leaves the store exactly as it was.

use std::path::Path;

use store::{Instant, SnapshotChildren};

use super::{demo, homeward, runtime, scratch};

/// Every episode opened from `from` on, read as the returns read them.
async fn views(
    store: &dyn store::Store,
    from: Instant,
    children: SnapshotChildren,
) -> Result<
    (
        store::ExchangeSnapshot,
        Vec<exchange::episodes::EpisodeView>,
    ),
    Box<dyn std::error::Error>,
> {
    let mut views = Vec::new();
    let snapshot = store
        .exchange_snapshot(
            from,
            Instant::from_micros(i64::MAX),
            children,
            &mut |e, events| views.push(exchange::episodes::view(e, events)),
        )
        .await?;
    Ok((snapshot, views))
}

type TestResult = Result<(), Box<dyn std::error::Error>>;

const HEADER: &str =
    "force,police_reference,child_reference,name,date_of_birth,reported_at,risk,status,found_at\n";

/// Counts of every table an import writes, and the audit chain head.
fn fingerprint(db: &Path) -> Result<String, Box<dyn std::error::Error>> {
    runtime()?.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default()).await?;
        let mut events = 0;
        let snap = store
            .exchange_snapshot(
                Instant::EPOCH,
                Instant::from_micros(i64::MAX),
                SnapshotChildren::All,
                &mut |_, e| events += e.len(),
            )
            .await?;
        let mut obligations = 0;
        for c in &snap.children {
            obligations += store.child_obligations(c.id).await?.len();
        }
        let (_, head) = store::AuditLog::audit_log(store.as_ref()).await?;
        Ok(format!(
            "{} episodes, {} events, {obligations} obligations, audit {head:?}",
            snap.episodes.len(),
            events
        ))
    })
}

/// A child of the demo with no open episode: (id, name, date of birth).
fn settled_child(
    db: &Path,
) -> Result<(store::ChildId, String, String), Box<dyn std::error::Error>> {
    runtime()?.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default()).await?;
        let (snap, views) = views(store.as_ref(), Instant::EPOCH, SnapshotChildren::All).await?;
        let child = snap
            .children
            .iter()
            .find(|c| {
                views
                    .iter()
                    .filter(|v| v.child_id == c.id)
                    .all(|v| v.ended_at.is_some())
            })
            .ok_or("every demo child is missing")?;
        Ok((child.id, child.name.clone(), child.dob.clone()))
    })
}

fn import(db: &Path, file: &Path) -> std::process::Output {
    homeward(&[
        "import",
        "police-list",
        file.to_str().unwrap_or_default(),
        "--as",
        "police-missing-coordinator.newham",
        "--database",
        db.to_str().unwrap_or_default(),
    ])
}

/// Imports `file` into `db`, which must succeed; its summary.
fn imported(db: &Path, file: &Path) -> Result<String, String> {
    let out = import(db, file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(stdout)
}

#[test]
fn a_good_list_opens_episodes_and_recomputes_obligations() -> TestResult {
    let (dir, db) = demo("police", "good", 12)?;
    let (id, name, dob) = settled_child(&db)?;
    let now = casework::Clock::System.now();
    let reported = (now - jiff::SignedDuration::from_hours(5)).to_string();
    let found_at = now - jiff::SignedDuration::from_hours(1);
    let found = found_at.to_string();
    let list = dir.join("list.csv");
    // The same report twice (by reference, then by name and date of birth, now found): one new
    // episode, reported, graded, then located.
    std::fs::write(
        &list,
        format!(
            "{HEADER}Metropolitan Police,MP-77,{id},,,{reported},high,missing,\nMetropolitan Police,MP-77,,{name},{dob},{reported},high,found,{found}\n"
        ),
    )?;
    let before = fingerprint(&db)?;
    let stdout = imported(&db, &list)?;
    assert!(
        stdout.contains("2 rows; 1 children updated, 1 episodes opened, 3 events recorded"),
        "{stdout}"
    );
    assert_ne!(fingerprint(&db)?, before);
    runtime()?.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default()).await?;
        let file = store.child_file(id).await?.ok_or("child")?;
        let episode = file.episodes.last().ok_or("episode")?;
        let (_, views) = views(
            store.as_ref(),
            episode.opened_at,
            SnapshotChildren::WithEpisodes,
        )
        .await?;
        let v = views.iter().find(|v| v.id == episode.id).ok_or("view")?;
        assert_eq!(v.police_ref.as_deref(), Some("MP-77"));
        assert_eq!(v.risk.as_deref(), Some("high"));
        assert_eq!(
            v.ended_at.map(|t| t.micros() / 1_000_000),
            Some(found_at.as_second())
        );
        // The engine recomputed the child's obligations for the new episode.
        let obligations = store.child_obligations(id).await?;
        assert!(
            obligations
                .iter()
                .any(|o| o.obligation.episode_id == episode.id),
            "{obligations:?}"
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    // The same list again adds nothing new.
    let again = import(&db, &list);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 children updated"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn a_list_with_bad_rows_is_refused_by_row_and_column_and_changes_nothing() -> TestResult {
    let (dir, db) = demo("police", "bad", 12)?;
    let (id, _, _) = settled_child(&db)?;
    let reported =
        (casework::Clock::System.now() - jiff::SignedDuration::from_hours(5)).to_string();
    let list = dir.join("list.csv");
    std::fs::write(
        &list,
        format!(
            "{HEADER}Metropolitan Police,MP-1,{id},,,{reported},high,missing,\n\
             Metropolitan Police,MP-2,{id},,,{reported},severe,missing,\n\
             Metropolitan Police,MP-3,424242,,,{reported},low,missing,\n\
             Metropolitan Police,MP-4,,Nobody Known,2010-01-01,{reported},low,returned,\n"
        ),
    )?;
    let before = fingerprint(&db)?;
    let out = import(&db, &list);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(stderr.contains("row 3, column risk"), "{stderr}");
    assert!(stderr.contains("row 5, column found_at"), "{stderr}");
    assert_eq!(fingerprint(&db)?, before);
    // Cells that check out but match nothing are refused the same way, with nothing written.
    std::fs::write(
        &list,
        format!(
            "{HEADER}Metropolitan Police,MP-1,{id},,,{reported},high,missing,\nMetropolitan Police,MP-3,424242,,,{reported},low,missing,\n"
        ),
    )?;
    let out = import(&db, &list);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("row 3, column child_reference: no child 424242"),
        "{stderr}"
    );
    assert_eq!(fingerprint(&db)?, before);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// A list naming every child of the demo (some reported, some also found), imported in bulk:
/// every child's stored obligations are then exactly what the engine computes from its file at
/// the instant they were computed, and each child written has one audit row.
#[test]
fn a_long_list_leaves_every_child_with_the_engines_obligations() -> TestResult {
    let (dir, db) = demo("police", "long", 40)?;
    let now = casework::Clock::System.now();
    let reported = (now - jiff::SignedDuration::from_hours(3)).to_string();
    let found = (now - jiff::SignedDuration::from_hours(1)).to_string();
    let children: Vec<store::ChildId> = runtime()?.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default()).await?;
        let (snap, _) = views(store.as_ref(), Instant::EPOCH, SnapshotChildren::All).await?;
        Ok::<_, Box<dyn std::error::Error>>(snap.children.iter().map(|c| c.id).collect())
    })?;
    let mut text = HEADER.to_owned();
    for (i, id) in children.iter().enumerate() {
        let (status, found) = if i % 3 == 0 {
            ("returned", found.as_str())
        } else {
            ("missing", "")
        };
        text.push_str(&format!(
            "Metropolitan Police,LONG-{id},{id},,,{reported},high,{status},{found}\n"
        ));
    }
    let list = dir.join("list.csv");
    std::fs::write(&list, text)?;
    let stdout = imported(&db, &list)?;
    assert!(
        stdout.contains(&format!("{} children updated", children.len())),
        "{stdout}"
    );
    let catalog = protocol::Catalog::bundled()?;
    let calendar = protocol::Calendar::bundled()?;
    runtime()?.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default()).await?;
        let (log, _) = store::AuditLog::audit_log(store.as_ref()).await?;
        for id in &children {
            let file = store.child_file(*id).await?.ok_or("child")?;
            let rows: Vec<_> = log
                .iter()
                .filter(|r| r.entry.entity == "import:police-list" && r.entry.child_id == Some(*id))
                .collect();
            assert_eq!(rows.len(), 1, "child {id}");
            // Planned at the import's instant: what is stored open is what the engine gives.
            let when = rows[0].entry.at.timestamp();
            let evaluated = casework::evaluation::evaluate(&catalog, &calendar, &file, when)?;
            let mut engine: Vec<String> = evaluated
                .open
                .iter()
                .map(|(o, e)| {
                    format!(
                        "{:?}",
                        casework::evaluation::open_obligation(&catalog, &file, o, *e)
                    )
                })
                .collect();
            let mut kept: Vec<String> = store
                .child_obligations(*id)
                .await?
                .iter()
                .filter(|o| o.is_open())
                .map(|o| format!("{:?}", o.obligation))
                .collect();
            assert!(!kept.is_empty(), "no obligations after a report");
            engine.sort();
            kept.sort();
            assert_eq!(kept, engine, "child {id}");
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn bank_holidays_are_checked_before_they_are_kept() -> TestResult {
    let dir = scratch("police", "holidays")?;
    let out = dir.join("kept.json");
    let good = super::repo().join("../shared/data/bank-holidays-england-and-wales.json");
    let good = if good.exists() {
        good
    } else {
        let path = dir.join("good.json");
        std::fs::write(
            &path,
            r#"{"england-and-wales": {"division": "england-and-wales", "events": [{"title": "New Year’s Day", "date": "2026-01-01", "notes": "", "bunting": true}]}}"#,
        )?;
        path
    };
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"england-and-wales": {"division": "england-and-wales", "events": [{"title": "x", "date": "2026-13-01"}]}}"#,
    )?;
    let refused = homeward(&[
        "import",
        "bank-holidays",
        bad.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 1 column") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert!(!out.exists());
    let kept = homeward(&[
        "import",
        "bank-holidays",
        good.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert!(
        kept.status.success(),
        "{}",
        String::from_utf8_lossy(&kept.stderr)
    );
    assert_eq!(std::fs::read(&out)?, std::fs::read(&good)?);
    // The kept file is what --bank-holidays reads.
    let rules = homeward(&[
        "--bank-holidays",
        out.to_str().unwrap_or_default(),
        "rules",
        "list",
    ]);
    assert!(
        rules.status.success(),
        "{}",
        String::from_utf8_lossy(&rules.stderr)
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
