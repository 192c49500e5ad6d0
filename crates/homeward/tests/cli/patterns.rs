//! The demo partnership gives the pattern views something to show: places found, profiles with
//! places frequented and associates, and groups of children missing together.

use analytics::hotspots::{GroupBy, hotspots};
use analytics::together::{Trigger, graph};

use super::homeward;

#[test]
fn the_demo_has_hotspots_and_children_missing_together() {
    let dir = std::env::temp_dir().join(format!("homeward-patterns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("{e}"));
    let db = dir.join("demo.db");
    // 39 children: three per partnership authority, the first missing-together group of each.
    let out = homeward(&[
        "demo",
        "--database",
        db.to_str().unwrap_or_default(),
        "--children",
        "39",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| unreachable!("{e}"));
    rt.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default())
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let authorities = store.authorities().await.unwrap_or_default();
        let newham = authorities
            .iter()
            .find(|a| a.code == "NEWHAM")
            .map_or(0, |a| a.id);
        let files = store.pattern_files(newham).await.unwrap_or_default();
        assert!(files.len() >= 3, "Newham's three children at least");
        let kids: Vec<analytics::ChildInput> = files
            .iter()
            .map(analytics::ChildInput::from_store)
            .collect();
        assert!(
            kids.iter()
                .any(|k| !k.associates.is_empty() && !k.frequented.is_empty())
        );
        let rows = hotspots(&kids, GroupBy::District);
        assert!(
            rows.iter()
                .any(|r| r.place.starts_with('E') && r.children >= 3),
            "the group found together in a Newham district: {rows:?}"
        );
        let now = jiff::Timestamp::now();
        let g = graph(&kids, now);
        let group = g
            .groups
            .iter()
            .find(|g| g.trigger == Trigger::MissingTogether && g.newham && g.children.len() >= 3)
            .unwrap_or_else(|| unreachable!("a Newham group missing together: {:?}", g.groups));
        assert!(
            group.unflagged.is_empty(),
            "the first group is recorded as missing with others"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
