//! The hash chain of the audit log: each row's hash covers the previous row's hash and its own
//! fields, so altering or removing a row breaks every later link.

use sha2::{Digest, Sha256};

use crate::model::{AuditEntry, AuditRecord};

/// The hash of a row with this position, content and predecessor.
pub fn row_hash(id: i64, prev_hash: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        id.to_string(),
        prev_hash.to_owned(),
        e.at.to_string(),
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
        let entry = AuditEntry {
            at: r.at,
            user_id: r.user_id,
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_id: r.entity_id,
            child_id: r.child_id,
            remote_addr: r.remote_addr.clone(),
        };
        if row_hash(r.id, &r.prev_hash, &entry) != r.hash {
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
