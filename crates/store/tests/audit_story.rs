//! The audit log, on both backends: every write carries its row in its own transaction, reads
//! are appended (a list as one row naming every child it showed), and the hash chain — over
//! every field, the children included — verifies, and breaks where a row is altered, removed
//! or cut off. Concurrent writers extend one chain.

use store::audit::{ChainBreak, verify};
use store::*;

mod support;

use support::fixtures::{add_child, audit, audit_at, fields, placement, t, world};
use support::planner::planner;
use support::{Backing, TestResult};

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    assert_eq!(store.audit_log().await?, (Vec::new(), (0, String::new())));
    let w = world(store).await?;
    let home = placement(w.newham.id, w.newham.id, "2024-01-01");
    let ada = add_child(store, "Ada Lovelace", &home, t(0)).await?;
    let ben = add_child(store, "Ben Okri", &home, t(0)).await?;
    let cara = add_child(store, "Cara Dune", &home, t(0)).await?;

    // A write that fails leaves no row.
    let stale = store
        .update_child(
            ada.id,
            7,
            &fields("Ada"),
            t(1),
            &planner(t(1)),
            &audit("write", "child"),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: 1 })),
        "{stale:?}"
    );
    assert_eq!(store.audit_log().await?.0.len(), 3);

    // Reads: the children list as one row naming every child it showed, in order, and a
    // child's record; both read back exactly as written. Nothing to append is nothing.
    let list = AuditEntry {
        user_id: Some(w.sw.id),
        children: vec![cara.id, ada.id, ben.id],
        remote_addr: "10.0.0.7".into(),
        ..audit_at(t(2), "read", "children_list")
    };
    let record = AuditEntry {
        user_id: Some(w.sw.id),
        entity_id: Some(ada.id.get()),
        child_id: Some(ada.id),
        ..audit_at(t(2), "read", "child")
    };
    store.audit(&[list.clone(), record.clone()]).await?;
    store.audit(&[]).await?;
    let (rows, head) = store.audit_log().await?;
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[3].entry, list);
    assert_eq!(rows[4].entry, record);
    assert_eq!(
        rows[..3]
            .iter()
            .map(|r| (r.entry.entity_id, r.entry.child_id, r.entry.children.len()))
            .collect::<Vec<_>>(),
        [ada.id, ben.id, cara.id]
            .iter()
            .map(|c| (Some(c.get()), Some(*c), 0))
            .collect::<Vec<_>>(),
        "each child's creation, naming it"
    );

    // The chain: numbered from 1, each row naming its predecessor's hash, the head naming the
    // last; it verifies.
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(rows[0].prev_hash, "");
    assert!(rows.windows(2).all(|p| p[1].prev_hash == p[0].hash));
    assert_eq!(head, (5, rows[4].hash.clone()));
    for r in &rows {
        assert_eq!(audit::row_hash(r.id, &r.prev_hash, &r.entry), r.hash);
    }
    assert_eq!(verify(&rows, (head.0, &head.1)), Ok(5));

    // Altering who a list showed — another child, one fewer, another order — breaks the chain
    // at that row; so does altering any other field.
    for children in [
        vec![cara.id, ada.id, ChildId(999)],
        vec![cara.id, ada.id],
        vec![ada.id, cara.id, ben.id],
        Vec::new(),
    ] {
        let mut tampered = rows.clone();
        tampered[3].entry.children = children;
        assert_eq!(
            verify(&tampered, (head.0, &head.1)),
            Err(ChainBreak::Altered(4))
        );
    }
    let mut tampered = rows.clone();
    tampered[4].entry.children = vec![ada.id];
    assert_eq!(
        verify(&tampered, (head.0, &head.1)),
        Err(ChainBreak::Altered(5)),
        "a row that named no children cannot be made to name one"
    );
    let mut tampered = rows.clone();
    tampered[1].entry.remote_addr = "elsewhere".into();
    assert_eq!(
        verify(&tampered, (head.0, &head.1)),
        Err(ChainBreak::Altered(2))
    );
    let mut tampered = rows.clone();
    tampered[2].entry.user_id = Some(w.manager.id);
    assert_eq!(
        verify(&tampered, (head.0, &head.1)),
        Err(ChainBreak::Altered(3))
    );
    let mut removed = rows.clone();
    removed.remove(2);
    assert_eq!(
        verify(&removed, (head.0, &head.1)),
        Err(ChainBreak::Missing(4))
    );
    let mut cut = rows.clone();
    cut.truncate(3);
    assert_eq!(
        verify(&cut, (head.0, &head.1)),
        Err(ChainBreak::Truncated(2))
    );
    assert_eq!(
        verify(&rows, (head.0, "another head")),
        Err(ChainBreak::Altered(5))
    );

    // A list of thousands of children, and hundreds of rows in one call (more than one
    // statement holds), and writers at the same time: one chain, which verifies.
    let many: Vec<ChildId> = (1..=5_000).map(ChildId).collect();
    let reads: Vec<AuditEntry> = (0..300)
        .map(|i| AuditEntry {
            children: if i == 0 {
                many.clone()
            } else {
                vec![ChildId(i)]
            },
            ..audit_at(t(3), "read", "missing_now")
        })
        .collect();
    store.audit(&reads).await?;
    let mut writers = Vec::new();
    for i in 0..8 {
        let store = b.store.clone();
        writers.push(tokio::spawn(async move {
            store
                .audit(&[
                    audit_at(t(4 + i), "read", "queue"),
                    audit_at(t(4 + i), "read", "child"),
                ])
                .await
        }));
    }
    for writer in writers {
        writer.await??;
    }
    let (rows, head) = store.audit_log().await?;
    assert_eq!(rows.len(), 5 + 300 + 16);
    assert_eq!(rows[5].entry.children, many);
    assert_eq!(rows[6].entry.children, [ChildId(1)]);
    assert_eq!(verify(&rows, (head.0, &head.1)), Ok(rows.len()));
    Ok(())
}

#[test]
fn audit_on_sqlite() -> TestResult {
    support::on_sqlite("audit", story)
}

#[test]
fn audit_on_postgres() -> TestResult {
    support::on_postgres("audit", story)
}
