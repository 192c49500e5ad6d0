//! The pattern views (repeat cohort, hotspots, children missing together) over every child the
//! actor's authority may see, read in bulk. The analytics crate computes; this layer reads,
//! and audits what a view shows — one row naming the children a view names, or one read of a
//! report that names none.

use analytics::ChildInput;
use analytics::hotspots::{GroupBy, Hotspot};
use analytics::repeat::Cohort;
use analytics::together::Graph;
use jiff::Timestamp;
use store::ChildId;

use crate::{Actor, Casework, Permission, Result};

/// All three pattern views from one read, for the patterns page.
#[derive(Debug)]
pub struct Patterns {
    /// When they were computed.
    pub now: Timestamp,
    /// The repeat-missing cohort.
    pub cohort: Cohort,
    /// The hotspot table.
    pub hotspots: Vec<Hotspot>,
    /// The missing-together graph.
    pub graph: Graph,
    /// Each child's ID and name.
    pub names: Vec<(i64, String)>,
}

impl Casework {
    /// The actor's children as the analytics read them.
    async fn pattern_children(&self, actor: &Actor) -> Result<Vec<ChildInput>> {
        actor.require(Permission::ReadPatterns)?;
        Ok(self
            .store()
            .pattern_files(actor.authority())
            .await?
            .iter()
            .map(ChildInput::from_store)
            .collect())
    }

    /// Now, to the second (the views show when they were computed, not to the nanosecond).
    fn views_now(&self) -> Timestamp {
        let t = self.now();
        Timestamp::from_second(t.as_second()).unwrap_or(t)
    }

    /// The repeat-missing cohort now: children meeting their protocol's threshold (the rule
    /// pack's `parameters.repeat`), each child listed audited as read.
    pub async fn repeat_cohort(&self, actor: &Actor) -> Result<(Timestamp, Cohort)> {
        let kids = self.pattern_children(actor).await?;
        let now = self.views_now();
        let cohort = analytics::repeat::cohort(&kids, self.catalog(), self.calendar(), now);
        self.audit_list(
            actor,
            "patterns_repeat",
            cohort.children.iter().map(|c| ChildId(c.child_id)),
        )
        .await?;
        Ok((now, cohort))
    }

    /// Places the actor's children were found and places they frequent, busiest first; the
    /// report (which names no child) is audited as read.
    pub async fn hotspots(&self, actor: &Actor, by: GroupBy) -> Result<Vec<Hotspot>> {
        let kids = self.pattern_children(actor).await?;
        self.record_reads(vec![actor.audit(
            "read",
            "patterns_hotspots",
            None,
            None,
            self.now_instant(),
        )])
        .await?;
        Ok(analytics::hotspots::hotspots(&kids, by))
    }

    /// Children missing together and shared associates, as a graph, with each child's name;
    /// each child shown audited as read.
    pub async fn together(&self, actor: &Actor) -> Result<(Timestamp, Graph, Vec<(i64, String)>)> {
        let kids = self.pattern_children(actor).await?;
        let now = self.views_now();
        let graph = analytics::together::graph(&kids, now);
        self.audit_list(
            actor,
            "patterns_together",
            graph.nodes.iter().filter_map(|n| n.child_id.map(ChildId)),
        )
        .await?;
        let names = kids.into_iter().map(|k| (k.id, k.name)).collect();
        Ok((now, graph, names))
    }

    /// All three views from one read of the actor's children, audited as one row naming the
    /// children the page shows.
    pub async fn patterns(&self, actor: &Actor, by: GroupBy) -> Result<Patterns> {
        let kids = self.pattern_children(actor).await?;
        let now = self.views_now();
        let cohort = analytics::repeat::cohort(&kids, self.catalog(), self.calendar(), now);
        let graph = analytics::together::graph(&kids, now);
        let hotspots = analytics::hotspots::hotspots(&kids, by);
        let shown = cohort
            .children
            .iter()
            .map(|c| ChildId(c.child_id))
            .chain(graph.nodes.iter().filter_map(|n| n.child_id.map(ChildId)));
        self.audit_list(actor, "patterns_page", shown).await?;
        Ok(Patterns {
            now,
            cohort,
            hotspots,
            graph,
            names: kids.into_iter().map(|k| (k.id, k.name)).collect(),
        })
    }
}
