//! The snapshot indexed by id, as every per-episode export needs it: one place builds the maps so
//! the returns cannot drift apart in how they find a child, its placements or an authority code.

use std::collections::HashMap;

use store::{AuthorityId, Child, ChildId, ExchangeSnapshot, Placement};

/// The snapshot's authorities, children and placements keyed by id.
pub(crate) struct Lookup<'a> {
    /// Authority id → its code.
    pub codes: HashMap<AuthorityId, &'a str>,
    /// Child id → the child.
    pub children: HashMap<ChildId, &'a Child>,
    /// Child id → its placements, in snapshot order.
    pub placements: HashMap<ChildId, Vec<&'a Placement>>,
}

impl<'a> Lookup<'a> {
    /// Indexes `snapshot`.
    pub(crate) fn of(snapshot: &'a ExchangeSnapshot) -> Self {
        Lookup {
            codes: snapshot
                .authorities
                .iter()
                .map(|a| (a.id, a.code.as_str()))
                .collect(),
            children: snapshot.children.iter().map(|c| (c.id, c)).collect(),
            placements: placements_by_child(snapshot),
        }
    }
}

/// Child id → its placements, in snapshot order.
pub(crate) fn placements_by_child(
    snapshot: &ExchangeSnapshot,
) -> HashMap<ChildId, Vec<&Placement>> {
    let mut placements: HashMap<ChildId, Vec<&Placement>> = HashMap::new();
    for p in &snapshot.placements {
        placements.entry(p.child_id).or_default().push(p);
    }
    placements
}
