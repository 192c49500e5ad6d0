//! Patterns, on both backends: the pattern views' bulk read holds, for each child an authority
//! may see (as its plans say), the whole file the engine reads and the latest version of each
//! profile document — and nobody else's.

use store::*;

mod support;

use support::fixtures::{add_child, append, audit, event, open, placement, t, world};
use support::planner::visible_only;
use support::{Backing, TestResult};

/// The children of a pattern read, by ID.
fn ids(files: &[PatternFile]) -> Vec<ChildId> {
    files.iter().map(|p| p.file.child.id).collect()
}

fn authorities(file: &ChildFile) -> Vec<AuthorityId> {
    let mut ids: Vec<AuthorityId> = file.authorities.iter().map(|a| a.id).collect();
    ids.sort();
    ids
}

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let (n, m, k) = (w.newham.id, w.merton.id, w.kent.id);
    let ada = add_child(store, "Ada Lovelace", &placement(n, m, "2024-01-01"), t(0)).await?;
    let ben = add_child(store, "Ben Okri", &placement(m, m, "2024-01-01"), t(0)).await?;
    let cara = add_child(store, "Cara Dune", &placement(n, n, "2024-01-01"), t(0)).await?;
    for (i, episode_at) in [t(1), t(10)].into_iter().enumerate() {
        let episode = open(store, ada.id, episode_at).await?;
        append(
            store,
            episode.id,
            &event(episode_at, "reported_missing", w.sw.id),
        )
        .await?;
        if i == 0 {
            append(store, episode.id, &event(t(2), "found", w.sw.id)).await?;
        }
    }
    let bens = open(store, ben.id, t(3)).await?;
    append(store, bens.id, &event(t(3), "reported_missing", w.sw.id)).await?;
    for (kind, body) in [
        ("philomena_profile", r#"{"associates":["A"]}"#),
        ("trigger_plan", r#"{"n":1}"#),
        ("philomena_profile", r#"{"associates":["A","B"]}"#),
    ] {
        store
            .add_document(
                ada.id,
                kind,
                body,
                w.sw.id,
                t(4),
                &audit("write", "document"),
            )
            .await?;
    }
    // Only Kent may see Cara, because her plan says so.
    let current = store.child(cara.id).await?.ok_or("Cara")?;
    store
        .update_child(
            cara.id,
            current.version,
            &support::fixtures::fields("Cara Dune"),
            t(5),
            &visible_only(t(5), vec![k]),
            &audit("write", "child"),
        )
        .await?;

    assert_eq!(ids(&store.pattern_files(n).await?), [ada.id]);
    assert_eq!(ids(&store.pattern_files(m).await?), [ada.id, ben.id]);
    assert_eq!(ids(&store.pattern_files(k).await?), [cara.id]);
    assert!(store.pattern_files(AuthorityId(999_999)).await?.is_empty());

    // Each file is the file the engine reads, with the latest version of each document.
    for p in store.pattern_files(m).await? {
        let whole = store.child_file(p.file.child.id).await?.ok_or("file")?;
        assert_eq!(p.file.child, whole.child);
        assert_eq!(p.file.placement, whole.placement);
        assert_eq!(p.file.episodes, whole.episodes);
        assert_eq!(p.file.events, whole.events);
        assert_eq!(authorities(&p.file), authorities(&whole));
    }
    let merton = store.pattern_files(m).await?;
    let adas = &merton[0];
    assert_eq!((adas.file.episodes.len(), adas.file.events.len()), (2, 3));
    assert_eq!(authorities(&adas.file), [n, m]);
    assert_eq!(
        adas.documents
            .iter()
            .map(|d| (d.kind.as_str(), d.version, d.body.as_str()))
            .collect::<Vec<_>>(),
        [
            ("philomena_profile", 2, r#"{"associates":["A","B"]}"#),
            ("trigger_plan", 1, r#"{"n":1}"#)
        ]
    );
    assert!(merton[1].documents.is_empty());
    assert_eq!(authorities(&merton[1].file), [m]);
    Ok(())
}

#[test]
fn patterns_on_sqlite() -> TestResult {
    support::on_sqlite("patterns", story)
}

#[test]
fn patterns_on_postgres() -> TestResult {
    support::on_postgres("patterns", story)
}
