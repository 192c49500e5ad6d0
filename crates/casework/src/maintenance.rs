//! Running an installation: loading synthetic data in bulk, consistent backups, and checking
//! the audit log's hash chain.

use store::{AuditEntry, BulkChild, UserId};

use crate::{CaseError, Casework, Result};

impl Casework {
    /// Loads whole children in one transaction (the synthetic demo and scale data), recorded
    /// by `loader`, each with its plan at now, audited as one write by the demo loader.
    pub async fn bulk_load(&self, children: &[BulkChild], loader: UserId) -> Result<()> {
        let now = self.now();
        let audit = AuditEntry {
            at: now.into(),
            user_id: None,
            action: "write".into(),
            entity: "demo".into(),
            entity_id: None,
            child_id: None,
            children: Vec::new(),
            remote_addr: "demo loader".into(),
        };
        Ok(self
            .store()
            .bulk_load(children, loader, &self.planner(now), &audit)
            .await?)
    }

    /// Writes a consistent copy of the database to a file while it is in use (SQLite).
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        Ok(self.store().backup_to(path).await?)
    }

    /// Checks the audit log's hash chain; the number of rows verified.
    pub async fn verify_audit(
        &self,
    ) -> Result<std::result::Result<usize, store::audit::ChainBreak>> {
        let (rows, head) = self.store().audit_log().await?;
        Ok(store::audit::verify(&rows, (head.0, &head.1)))
    }

    /// The whole audit log, in order (tests and investigations).
    pub async fn audit_log(&self) -> Result<Vec<store::AuditRecord>> {
        Ok(self.store().audit_log().await?.0)
    }

    /// A user by sign-in name.
    pub async fn user_by_username(&self, username: &str) -> Result<store::User> {
        self.store()
            .user_by_username(username)
            .await?
            .ok_or_else(|| CaseError::validation("username", format!("no user `{username}`")))
    }
}
