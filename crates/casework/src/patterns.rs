//! The children behind the pattern views (repeat cohort, hotspots, children missing together):
//! every child the actor's authority may see, read in bulk, and the audit of what a view
//! shows — one row naming the children a view names, or one read of a report that names none.

use analytics::ChildInput;
use store::ChildId;

use crate::{Actor, Casework, Permission, Result};

impl Casework {
    /// The actor's children as the analytics read them.
    pub async fn pattern_children(&self, actor: &Actor) -> Result<Vec<ChildInput>> {
        actor.require(Permission::ReadPatterns)?;
        Ok(self
            .store()
            .pattern_files(actor.authority())
            .await?
            .iter()
            .map(ChildInput::from_store)
            .collect())
    }

    /// Records that a pattern view (`entity`) showed these children.
    pub async fn audit_pattern_view(
        &self,
        actor: &Actor,
        entity: &str,
        children: impl IntoIterator<Item = ChildId>,
    ) -> Result<()> {
        self.audit_list(actor, entity, children).await
    }

    /// Records that a report naming no child was read.
    pub async fn audit_report(&self, actor: &Actor, entity: &str) -> Result<()> {
        self.record_reads(vec![actor.audit(
            "read",
            entity,
            None,
            None,
            self.now_instant(),
        )])
        .await
    }
}
