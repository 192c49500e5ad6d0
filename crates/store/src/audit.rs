//! The audit log ([`crate::AuditLog`]) and its hash chain: each row's hash covers the previous
//! row's hash and its own fields, so altering or removing a row breaks every later link.

use sha2::{Digest, Sha256};

use crate::model::{AuditEntry, AuditRecord};

/// The hash of a row with this position, content and predecessor.
pub fn row_hash(id: i64, prev_hash: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        id.to_string(),
        prev_hash.to_owned(),
        e.at.micros().to_string(),
        e.user_id.map(|u| u.to_string()).unwrap_or_default(),
        e.action.clone(),
        e.entity.clone(),
        e.entity_id.map(|u| u.to_string()).unwrap_or_default(),
        e.child_id.map(|u| u.to_string()).unwrap_or_default(),
        e.remote_addr.clone(),
    ] {
        h.update(part.len().to_le_bytes());
        h.update(part.as_bytes());
    }
    // The children a list showed; rows without any hash as they did before lists named them.
    if !e.children.is_empty() {
        let list = crate::rows::child_list(&e.children);
        h.update(list.len().to_le_bytes());
        h.update(list.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// A row's content no longer matches its hash.
    #[error("audit row {0} was altered: its hash does not match its content")]
    Altered(i64),
    /// Rows are missing before this one.
    #[error("audit rows are missing before row {0}")]
    Missing(i64),
    /// The chain head records more rows than there are.
    #[error("the last {0} audit row(s) were removed")]
    Truncated(i64),
}

/// Checks a whole chain (rows in id order) against the recorded head (last id and hash).
pub fn verify(rows: &[AuditRecord], head: (i64, &str)) -> Result<usize, ChainBreak> {
    let mut prev = String::new();
    let mut expected_id = 1;
    for r in rows {
        if r.id != expected_id || r.prev_hash != prev {
            return Err(ChainBreak::Missing(r.id));
        }
        if row_hash(r.id, &r.prev_hash, &r.entry) != r.hash {
            return Err(ChainBreak::Altered(r.id));
        }
        prev = r.hash.clone();
        expected_id += 1;
    }
    let last = expected_id - 1;
    if head.0 > last {
        return Err(ChainBreak::Truncated(head.0 - last));
    }
    if head.0 == last && head.1 != prev {
        return Err(ChainBreak::Altered(last));
    }
    Ok(rows.len())
}

/// Implements [`crate::AuditLog`] for a store type with a `pool` field and `begin_write`.
macro_rules! impl_audit_log {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::AuditLog for $store {
            async fn audit(&self, entries: &[AuditEntry]) -> Result<()> {
                let mut tx = self.begin_write().await?;
                append_audits(&mut tx, entries).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit_log(&self) -> Result<(Vec<AuditRecord>, (i64, String))> {
                let rows = sqlx::query(
                    "SELECT id, at, user_id, action, entity, entity_id, child_id, children, remote_addr, prev_hash, hash FROM audit_log ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                let records = rows
                    .iter()
                    .map(|r| {
                        Ok(AuditRecord {
                            id: r.try_get("id")?,
                            entry: AuditEntry {
                                at: r.try_get("at")?,
                                user_id: r.try_get("user_id")?,
                                action: r.try_get("action")?,
                                entity: r.try_get("entity")?,
                                entity_id: r.try_get("entity_id")?,
                                child_id: r.try_get("child_id")?,
                                children: crate::rows::parse_child_list(r.try_get("children")?)?,
                                remote_addr: r.try_get("remote_addr")?,
                            },
                            prev_hash: r.try_get("prev_hash")?,
                            hash: r.try_get("hash")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE only_row = 1").fetch_one(&self.pool).await?;
                Ok((records, (head.try_get("last_id")?, head.try_get("last_hash")?)))
            }
        }
    };
}

pub(crate) use impl_audit_log;
