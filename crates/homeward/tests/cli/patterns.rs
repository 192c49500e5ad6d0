//! The demo partnership gives the pattern views something to show: places found, profiles with
//! places frequented and associates, and groups of children missing together.

use analytics::hotspots::{GroupBy, hotspots};
use analytics::together::{Trigger, graph};

use super::{demo, runtime};

#[test]
fn the_demo_has_hotspots_and_children_missing_together() {
    // 39 children: three per partnership authority, the first missing-together group of each.
    let (dir, db) = demo("patterns", "demo", 39).unwrap_or_else(|e| unreachable!("{e}"));
    let rt = runtime().unwrap_or_else(|e| unreachable!("{e}"));
    rt.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default())
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let authorities = store.authorities().await.unwrap_or_default();
        let newham = authorities
            .iter()
            .find(|a| a.code == "NEWHAM")
            .map_or(store::AuthorityId(0), |a| a.id);
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
        let now = casework::Clock::System.now();
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
