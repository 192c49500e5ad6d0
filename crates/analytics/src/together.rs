//! Children missing together and shared associates, as a graph, with the groups that meet
//! Newham's complex strategy meeting trigger (002 §11.8: "young people believed to be missing
//! with other young people or where there are concerns about a network of young people
//! experiencing exploitation").
//!
//! **Missing together.** Two children's episodes are taken as one joint absence when
//! 1. their missing periods overlap (start to `T_found`, or to `now` while still missing),
//! 2. they started within [`START_WITHIN`] of each other, and
//! 3. something links them beyond coincidence in time: they were found at the same place (same
//!    named place, or same postcode district when either has no name), or both records carry
//!    the `missing_with_others` flag, or their profiles name a common associate.
//!
//! **Groups.** Each joint absence (episodes joined by missing-together links) is a group, the
//! trigger's first limb. Children joined by shared associates form a network group when at least one of them
//! has an exploitation concern (`cse`, `cce`, `exploitation`, `network_exploitation`), the
//! second limb. The engine creates `NEWHAM-COMPLEX-STRAT` only for a child whose record says
//! `missing_with_others` (or has the `network_exploitation` concern); each group lists its
//! children whose record does not, so a practitioner can record it and the engine then sets the deadline. Nothing
//! here computes a deadline.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::input::{ChildInput, EpisodeInput};
use crate::place::name_key;

/// Most time between two children's going missing for them to count as missing together.
pub const START_WITHIN: SignedDuration = SignedDuration::from_hours(24);
/// The flag the engine reads for 11.8's first limb.
pub const FLAG: &str = "missing_with_others";
/// Concerns that make a shared-associate group a network of exploitation.
pub const EXPLOITATION: [&str; 4] = ["cse", "cce", "exploitation", "network_exploitation"];

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A child on record.
    Child,
    /// An associate named in a profile.
    Associate,
}

/// A node of the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    /// `child-<id>` or `associate-<n>`.
    pub id: String,
    /// Child or associate.
    pub kind: NodeKind,
    /// Name (an associate's as first written).
    pub label: String,
    /// The child's store ID.
    pub child_id: Option<i64>,
    /// The child's responsible authority (code).
    pub authority: Option<String>,
}

/// Why two episodes count as missing together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// Found at the same place.
    SamePlace,
    /// Both records say the child is believed missing with others.
    BothFlagged,
    /// Their profiles name a common associate.
    SharedAssociate,
}

/// What an edge stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Two children missing together (one or more times).
    MissingTogether,
    /// A child and an associate their profile names.
    Associate,
}

/// An edge of the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Node ID.
    pub from: String,
    /// Node ID.
    pub to: String,
    /// Kind.
    pub kind: EdgeKind,
    /// Pairs of episode IDs missing together (missing-together edges).
    pub episodes: Vec<(i64, i64)>,
    /// Why (missing-together edges).
    pub links: Vec<Link>,
}

/// Which limb of 11.8 a group meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Young people missing with other young people.
    MissingTogether,
    /// A network of young people (shared associates) with exploitation concerns.
    ExploitationNetwork,
}

/// A group meeting the complex strategy meeting trigger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Limb met.
    pub trigger: Trigger,
    /// Children, by ID.
    pub children: Vec<i64>,
    /// Associates shared within the group (network groups), as first written.
    pub associates: Vec<String>,
    /// When the group's first joint absence started (missing-together groups).
    pub first_missing: Option<Timestamp>,
    /// Children whose record has neither the `missing_with_others` flag nor the
    /// `network_exploitation` concern (so the engine has no `NEWHAM-COMPLEX-STRAT` for them).
    pub unflagged: Vec<i64>,
    /// Whether any child of the group is under Newham's protocol (responsible or host).
    pub newham: bool,
}

/// The graph and its flagged groups.
#[derive(Clone, Debug, Serialize)]
pub struct Graph {
    /// Children with at least one edge, and the associates they share.
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// Groups meeting 11.8: each joint absence (latest first), then each network.
    pub groups: Vec<Group>,
}

/// Two children's joint absences: episode ID pairs and why.
type Pair = (Vec<(i64, i64)>, BTreeSet<Link>);

fn end(e: &EpisodeInput, now: Timestamp) -> Timestamp {
    e.found.unwrap_or(now)
}

fn same_place(a: &EpisodeInput, b: &EpisodeInput) -> bool {
    let (Some(pa), Some(pb)) = (&a.found_at, &b.found_at) else {
        return false;
    };
    match (pa.name_key(), pb.name_key()) {
        (Some(x), Some(y)) => x == y,
        _ => pa.district.is_some() && pa.district == pb.district,
    }
}

/// Connected components over `n` items joined by `pairs`, each sorted, ignoring singletons.
fn components(n: usize, pairs: impl Iterator<Item = (usize, usize)>) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (a, b) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}

/// The graph at `now`.
pub fn graph(children: &[ChildInput], now: Timestamp) -> Graph {
    // Associates by comparison key: label as first written, and the children naming them.
    let mut associates: BTreeMap<String, (String, BTreeSet<usize>)> = BTreeMap::new();
    for (i, c) in children.iter().enumerate() {
        for a in &c.associates {
            associates
                .entry(name_key(a))
                .or_insert_with(|| (a.trim().to_owned(), BTreeSet::new()))
                .1
                .insert(i);
        }
    }
    associates.retain(|_, (_, who)| who.len() > 1);
    let shares = |a: usize, b: usize| {
        associates
            .values()
            .any(|(_, who)| who.contains(&a) && who.contains(&b))
    };

    // Sweep episodes by start: only those starting within START_WITHIN can pair.
    let mut eps: Vec<(usize, &EpisodeInput)> = children
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.episodes.iter().map(move |e| (i, e)))
        .filter(|(_, e)| e.started <= now)
        .collect();
    eps.sort_by_key(|(_, e)| e.started);
    let mut pairs: BTreeMap<(usize, usize), Pair> = BTreeMap::new();
    // Joint absences as pairs of positions in `eps`: a group is one incident, not every
    // child ever linked to another.
    let mut joint: Vec<(usize, usize)> = Vec::new();
    for (k, (i, a)) in eps.iter().enumerate() {
        for (k2, (j, b)) in eps.iter().enumerate().skip(k + 1) {
            if b.started.duration_since(a.started) > START_WITHIN {
                break;
            }
            if i == j || b.started > end(a, now) {
                continue;
            }
            let mut links = BTreeSet::new();
            if same_place(a, b) {
                links.insert(Link::SamePlace);
            }
            if children[*i].flagged(FLAG) && children[*j].flagged(FLAG) {
                links.insert(Link::BothFlagged);
            }
            if shares(*i, *j) {
                links.insert(Link::SharedAssociate);
            }
            if links.is_empty() {
                continue;
            }
            let (key, ids) = if i < j {
                ((*i, *j), (a.id, b.id))
            } else {
                ((*j, *i), (b.id, a.id))
            };
            let p = pairs.entry(key).or_default();
            p.0.push(ids);
            joint.push((k, k2));
            p.1.extend(links);
        }
    }

    let mut groups = Vec::new();
    for incident in components(eps.len(), joint.into_iter()) {
        let mut members: Vec<usize> = incident.iter().map(|&x| eps[x].0).collect();
        members.sort_unstable();
        members.dedup();
        let first = incident.iter().map(|&x| eps[x].1.started).min();
        groups.push(group(
            children,
            Trigger::MissingTogether,
            &members,
            vec![],
            first,
        ));
    }
    let shared_pairs = associates.values().flat_map(|(_, who)| {
        let who: Vec<usize> = who.iter().copied().collect();
        (1..who.len()).map(move |k| (who[0], who[k]))
    });
    for members in components(children.len(), shared_pairs) {
        let exploited = members.iter().any(|&m| {
            children[m]
                .concerns
                .iter()
                .any(|c| EXPLOITATION.contains(&c.as_str()))
        });
        if exploited {
            let names = associates
                .values()
                .filter(|(_, who)| who.iter().any(|w| members.contains(w)))
                .map(|(label, _)| label.clone())
                .collect();
            groups.push(group(
                children,
                Trigger::ExploitationNetwork,
                &members,
                names,
                None,
            ));
        }
    }
    // Latest incident first (a network, having no start, after them); then largest.
    groups.sort_by(|a, b| {
        b.first_missing
            .cmp(&a.first_missing)
            .then(b.children.len().cmp(&a.children.len()))
            .then(a.children.cmp(&b.children))
    });

    // Nodes: children on an edge, and shared associates.
    let mut on_edge: BTreeSet<usize> = pairs.keys().flat_map(|(a, b)| [*a, *b]).collect();
    on_edge.extend(associates.values().flat_map(|(_, who)| who.iter().copied()));
    let child_node = |i: usize| format!("child-{}", children[i].id);
    let mut nodes: Vec<Node> = on_edge
        .iter()
        .map(|&i| Node {
            id: child_node(i),
            kind: NodeKind::Child,
            label: children[i].name.clone(),
            child_id: Some(children[i].id),
            authority: Some(children[i].responsible.clone()),
        })
        .collect();
    let mut edges: Vec<Edge> = pairs
        .iter()
        .map(|((a, b), (episodes, links))| Edge {
            from: child_node(*a),
            to: child_node(*b),
            kind: EdgeKind::MissingTogether,
            episodes: episodes.clone(),
            links: links.iter().copied().collect(),
        })
        .collect();
    for (n, (label, who)) in associates.values().enumerate() {
        let id = format!("associate-{}", n + 1);
        nodes.push(Node {
            id: id.clone(),
            kind: NodeKind::Associate,
            label: label.clone(),
            child_id: None,
            authority: None,
        });
        edges.extend(who.iter().map(|&i| Edge {
            from: child_node(i),
            to: id.clone(),
            kind: EdgeKind::Associate,
            episodes: vec![],
            links: vec![],
        }));
    }
    Graph {
        nodes,
        edges,
        groups,
    }
}

/// Whether the engine already has the trigger of `NEWHAM-COMPLEX-STRAT` for the child.
fn engine_triggered(c: &ChildInput) -> bool {
    c.flagged(FLAG) || c.concerns.iter().any(|x| x == "network_exploitation")
}

fn group(
    children: &[ChildInput],
    trigger: Trigger,
    members: &[usize],
    associates: Vec<String>,
    first_missing: Option<Timestamp>,
) -> Group {
    let of = |f: &dyn Fn(&ChildInput) -> bool| -> Vec<i64> {
        members
            .iter()
            .map(|&m| &children[m])
            .filter(|c| f(c))
            .map(|c| c.id)
            .collect()
    };
    Group {
        trigger,
        children: of(&|_| true),
        associates,
        first_missing,
        unflagged: of(&|c| !engine_triggered(c)),
        newham: members
            .iter()
            .any(|&m| children[m].protocols.iter().any(|p| p == "NEWHAM")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::place::Place;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// A child with one episode: start, found (if any) and where.
    fn child(id: i64, start: &str, found: Option<&str>, place: Option<&str>) -> ChildInput {
        ChildInput {
            id,
            name: format!("Child {id}"),
            responsible: "NEWHAM".into(),
            host: "NEWHAM".into(),
            protocols: vec!["NEWHAM".into()],
            flags: vec![],
            concerns: vec![],
            episodes: vec![EpisodeInput {
                id: id * 10,
                host: "NEWHAM".into(),
                started: at(start),
                reported: Some(at(start)),
                found: found.map(at),
                found_at: place.and_then(Place::parse),
            }],
            frequented: vec![],
            associates: vec![],
        }
    }

    const NOW: &str = "2026-03-01T12:00:00Z";

    #[test]
    fn found_together_at_the_same_place_is_a_group() {
        let kids = vec![
            child(
                1,
                "2026-02-01T20:00:00Z",
                Some("2026-02-02T09:00:00Z"),
                Some("Stratford Bus Station, E15 1AZ"),
            ),
            child(
                2,
                "2026-02-01T22:30:00Z",
                Some("2026-02-02T09:10:00Z"),
                Some("stratford bus station"),
            ),
            // Same place, but went missing after child 1 was found: not together.
            child(
                3,
                "2026-02-02T10:00:00Z",
                Some("2026-02-02T12:00:00Z"),
                Some("Stratford bus station"),
            ),
            // Overlapping, different place, no flag or associate: not together.
            child(
                4,
                "2026-02-01T21:00:00Z",
                Some("2026-02-02T08:00:00Z"),
                Some("Beckton, E6"),
            ),
        ];
        let g = graph(&kids, at(NOW));
        assert_eq!(g.groups.len(), 1);
        let grp = &g.groups[0];
        assert_eq!(
            (grp.trigger, grp.children.clone()),
            (Trigger::MissingTogether, vec![1, 2])
        );
        assert_eq!(grp.unflagged, vec![1, 2]);
        assert!(grp.newham);
        assert_eq!(grp.first_missing, Some(at("2026-02-01T20:00:00Z")));
        assert_eq!(g.edges.len(), 1);
        assert_eq!(g.edges[0].episodes, vec![(10, 20)]);
        assert_eq!(g.edges[0].links, vec![Link::SamePlace]);
        assert_eq!(g.nodes.len(), 2);
    }

    #[test]
    fn district_links_only_when_a_name_is_missing() {
        let kids = vec![
            child(
                1,
                "2026-02-01T20:00:00Z",
                Some("2026-02-02T09:00:00Z"),
                Some("e15 1ab"),
            ),
            child(
                2,
                "2026-02-01T21:00:00Z",
                Some("2026-02-02T09:00:00Z"),
                Some("Westfield, E15 2XX"),
            ),
            child(
                3,
                "2026-02-01T21:00:00Z",
                Some("2026-02-02T09:00:00Z"),
                Some("Library, E15 3YY"),
            ),
        ];
        let g = graph(&kids, at(NOW));
        // 1–2 and 1–3 by district (1 has no name); 2–3 have different names.
        let pairs: Vec<_> = g
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(pairs, vec![("child-1", "child-2"), ("child-1", "child-3")]);
        assert_eq!(g.groups[0].children, vec![1, 2, 3]);
    }

    #[test]
    fn flags_and_the_start_window_bound_joint_absences() {
        let mut kids = vec![
            child(1, "2026-02-01T00:00:00Z", None, None),
            child(2, "2026-02-01T23:59:00Z", None, None),
            child(3, "2026-02-02T00:01:00Z", None, None),
        ];
        for k in &mut kids {
            k.flags.push(FLAG.into());
        }
        let g = graph(&kids, at(NOW));
        // 1–3 started more than 24 hours apart; all still missing so the periods overlap.
        let pairs: Vec<_> = g
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.links.clone()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("child-1", "child-2", vec![Link::BothFlagged]),
                ("child-2", "child-3", vec![Link::BothFlagged]),
            ]
        );
        assert_eq!(g.groups[0].children, vec![1, 2, 3]);
        assert!(g.groups[0].unflagged.is_empty());
        // One flagged child alone does not link.
        kids[1].flags.clear();
        assert!(graph(&kids, at(NOW)).groups.is_empty());
    }

    #[test]
    fn shared_associates_make_a_network_only_with_exploitation_concerns() {
        let mut kids = vec![
            child(
                1,
                "2025-06-01T00:00:00Z",
                Some("2025-06-01T05:00:00Z"),
                None,
            ),
            child(
                2,
                "2025-09-01T00:00:00Z",
                Some("2025-09-01T05:00:00Z"),
                None,
            ),
            child(
                3,
                "2025-12-01T00:00:00Z",
                Some("2025-12-01T05:00:00Z"),
                None,
            ),
        ];
        kids[0].associates = vec!["'Big J'".into(), "Aunt May".into()];
        kids[1].associates = vec!["  'big   j' ".into()];
        kids[2].associates = vec!["Aunt May".into()];
        let g = graph(&kids, at(NOW));
        assert!(
            g.groups.is_empty(),
            "no exploitation concern, no 11.8 network"
        );
        assert_eq!(
            g.nodes
                .iter()
                .filter(|n| n.kind == NodeKind::Associate)
                .count(),
            2
        );
        assert_eq!(
            g.edges
                .iter()
                .filter(|e| e.kind == EdgeKind::Associate)
                .count(),
            4
        );
        kids[1].concerns.push("cce".into());
        kids[2].concerns.push("network_exploitation".into());
        let g = graph(&kids, at(NOW));
        assert_eq!(g.groups.len(), 1);
        let grp = &g.groups[0];
        assert_eq!(
            (grp.trigger, grp.children.clone()),
            (Trigger::ExploitationNetwork, vec![1, 2, 3])
        );
        assert_eq!(
            grp.associates,
            vec!["'Big J'".to_owned(), "Aunt May".to_owned()]
        );
        assert_eq!(grp.unflagged, vec![1, 2]);
    }

    #[test]
    fn each_joint_absence_is_its_own_group() {
        let mut kids = vec![
            child(
                1,
                "2025-01-01T20:00:00Z",
                Some("2025-01-02T08:00:00Z"),
                Some("Meadowhall"),
            ),
            child(
                2,
                "2025-01-01T21:00:00Z",
                Some("2025-01-02T08:00:00Z"),
                Some("meadowhall"),
            ),
            child(
                3,
                "2026-02-01T20:00:00Z",
                Some("2026-02-02T08:00:00Z"),
                Some("Sheffield Interchange"),
            ),
        ];
        kids[1].episodes.push(EpisodeInput {
            id: 21,
            host: "NEWHAM".into(),
            started: at("2026-02-01T22:00:00Z"),
            reported: None,
            found: Some(at("2026-02-02T08:30:00Z")),
            found_at: Place::parse("Sheffield interchange"),
        });
        let g = graph(&kids, at(NOW));
        let groups: Vec<_> = g
            .groups
            .iter()
            .map(|g| (g.children.clone(), g.first_missing))
            .collect();
        // Child 2 was missing with 1 last year and with 3 this year: two incidents, latest first.
        assert_eq!(
            groups,
            vec![
                (vec![2, 3], Some(at("2026-02-01T20:00:00Z"))),
                (vec![1, 2], Some(at("2025-01-01T20:00:00Z"))),
            ]
        );
    }

    #[test]
    fn a_shared_associate_links_overlapping_absences() {
        let mut kids = vec![
            child(1, "2026-02-01T20:00:00Z", None, None),
            child(2, "2026-02-01T21:00:00Z", None, None),
        ];
        kids[0].associates = vec!["Dee".into()];
        kids[1].associates = vec!["dee".into()];
        kids[0].protocols = vec!["SY".into()];
        kids[1].protocols = vec!["SY".into()];
        let g = graph(&kids, at(NOW));
        assert_eq!(g.groups.len(), 1);
        assert_eq!(g.groups[0].trigger, Trigger::MissingTogether);
        assert!(!g.groups[0].newham);
        assert_eq!(g.edges[0].links, vec![Link::SharedAssociate]);
    }
}
