//! Notifications as people see them: an authority's outbox, and its routing document (who
//! receives what), which only the authority's admin changes.

use store::{AuditEntry, Authority, MessageStatus, OutboxRecord};

use crate::routing::Routing;
use crate::{Actor, CaseError, Casework, Permission, Result};

impl Casework {
    /// The actor's authority's messages, newest first, optionally of one status; audited as one
    /// read naming every child the messages concern.
    pub async fn notifications(
        &self,
        actor: &Actor,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>> {
        actor.require(Permission::ReadObligations)?;
        let rows = self
            .store()
            .notifications(actor.authority(), status, limit)
            .await?;
        self.audit_list(
            actor,
            "notification_list",
            rows.iter().filter_map(|r| r.message.child_id),
        )
        .await?;
        Ok(rows)
    }

    /// The authority an admin administers, by code.
    async fn administered(&self, actor: &Actor, code: &str) -> Result<Authority> {
        actor.require(Permission::Administer)?;
        let authority = self
            .authorities()
            .await?
            .into_iter()
            .find(|a| a.code == code)
            .ok_or_else(CaseError::not_found)?;
        if authority.id != actor.authority() {
            return Err(CaseError::forbidden());
        }
        Ok(authority)
    }

    /// An authority's routing document, for its admin.
    pub async fn routing(&self, actor: &Actor, code: &str) -> Result<Routing> {
        let authority = self.administered(actor, code).await?;
        Routing::parse(&authority.routing).map_err(CaseError::internal)
    }

    /// Replaces an authority's routing document (checked; errors name the field), for its
    /// admin.
    pub async fn set_routing(&self, actor: &Actor, code: &str, document: &str) -> Result<Routing> {
        let authority = self.administered(actor, code).await?;
        let routing = Routing::parse(document)
            .map_err(|e| CaseError::validation(format!("$.{}", e.field), e.message))?;
        let audit = actor.audit(
            "write",
            "routing",
            Some(authority.id.get()),
            None,
            self.now_instant(),
        );
        self.store_routing(&authority, &routing, audit).await?;
        Ok(routing)
    }

    /// Replaces an authority's routing document from the command line (the operating-system
    /// account `who` named in the audit row).
    pub async fn set_routing_from_cli(
        &self,
        code: &str,
        routing: &Routing,
        who: &str,
    ) -> Result<Authority> {
        let authority = self.authority_by_code(code, "CODE").await?;
        let audit = AuditEntry {
            at: self.now_instant(),
            user_id: None,
            action: "write".into(),
            entity: "routing".into(),
            entity_id: Some(authority.id.get()),
            child_id: None,
            children: Vec::new(),
            remote_addr: who.into(),
        };
        self.store_routing(&authority, routing, audit).await
    }

    async fn store_routing(
        &self,
        authority: &Authority,
        routing: &Routing,
        audit: AuditEntry,
    ) -> Result<Authority> {
        let json = serde_json::to_string(routing).map_err(CaseError::internal)?;
        Ok(self
            .store()
            .set_routing(authority.id, &json, &audit)
            .await?)
    }
}
