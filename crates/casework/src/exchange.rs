//! The reads and writes behind the returns, exports and imports (the `exchange` crate builds
//! the files; this layer reads and writes the store, audited).

use store::{
    AuditEntry, ChildFile, ChildId, EpisodeVisitor, ExchangeSnapshot, ImportCandidates,
    ImportChild, ImportOutcome, Instant, SnapshotChildren,
};

use crate::{Actor, Casework, Result};

/// Who runs an export: a user named with `--as`, or the operating-system account that ran the
/// command.
#[derive(Debug)]
pub enum ExportReader {
    /// A Homeward user.
    User(Actor),
    /// The operating-system account's name.
    Account(String),
}

impl Casework {
    /// Reads the snapshot an export needs (the episodes opened in `[from, to)` handed to
    /// `visit` with their events), audited as one read of `export:{what}` by `reader`.
    pub async fn export_snapshot(
        &self,
        reader: &ExportReader,
        what: &str,
        from: Instant,
        to: Instant,
        children: SnapshotChildren,
        visit: EpisodeVisitor<'_>,
    ) -> Result<ExchangeSnapshot> {
        let snapshot = self
            .store()
            .exchange_snapshot(from, to, children, visit)
            .await?;
        let now = self.now_instant();
        let entity = format!("export:{what}");
        let row = match reader {
            ExportReader::User(actor) => AuditEntry {
                remote_addr: "command line".into(),
                ..actor.audit("read", &entity, None, None, now)
            },
            ExportReader::Account(account) => AuditEntry {
                at: now,
                user_id: None,
                action: "read".into(),
                entity,
                entity_id: None,
                child_id: None,
                children: Vec::new(),
                remote_addr: format!("command line (operating-system account {account})"),
            },
        };
        self.store().audit(&[row]).await?;
        Ok(snapshot)
    }

    /// Whole files of children an export has already read (and audited), for a return that
    /// asks the engine about them (compliance).
    pub async fn export_files(&self, children: &[ChildId]) -> Result<Vec<ChildFile>> {
        let mut files = Vec::with_capacity(children.len());
        for id in children {
            if let Some(f) = self.store().child_file(*id).await? {
                files.push(f);
            }
        }
        Ok(files)
    }

    /// What matching an imported list needs: the children it names by ID or name and their
    /// episodes opened since `opened_from`.
    pub async fn import_candidates(
        &self,
        child_ids: &[ChildId],
        names: &[String],
        opened_from: Instant,
    ) -> Result<ImportCandidates> {
        Ok(self
            .store()
            .import_candidates(child_ids, names, opened_from)
            .await?)
    }

    /// Records an imported list in one all-or-nothing transaction: its events, the episodes it
    /// opens, each child's new plan, one audit row per child, by `actor`.
    pub async fn import_events(
        &self,
        actor: &Actor,
        what: &str,
        children: &[ImportChild],
    ) -> Result<ImportOutcome> {
        let now = self.now();
        let audit = AuditEntry {
            remote_addr: "command line".into(),
            ..actor.audit("write", what, None, None, now.into())
        };
        Ok(self
            .store()
            .import_events(children, &self.planner(now), &audit)
            .await?)
    }
}
