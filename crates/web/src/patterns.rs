//! The children behind the pattern views: every child the caller's authority may see (the rule
//! of `access.rs`, applied again to each loaded file), read in bulk, and the audit rows for what
//! a view shows. A view that names children records a read of each child it names; the hotspot
//! table, which names none, records one read of the report.

use analytics::ChildInput;

use crate::AppState;
use crate::access::{Permission, file_authorities};
use crate::auth::Caller;
use crate::error::ApiError;

/// The caller's children as the analytics read them (needs [`Permission::ReadPatterns`]).
pub async fn children(state: &AppState, caller: &Caller) -> Result<Vec<ChildInput>, ApiError> {
    caller.require(Permission::ReadPatterns)?;
    let authority = caller.user.authority_id;
    Ok(state
        .store
        .pattern_files(authority)
        .await?
        .iter()
        .filter(|p| file_authorities(&p.file).contains(&authority))
        .map(ChildInput::from_store)
        .collect())
}

/// Records that a view showed these children (`entity` names the view).
pub async fn audit_children(
    state: &AppState,
    caller: &Caller,
    entity: &str,
    ids: impl IntoIterator<Item = i64>,
) -> Result<(), ApiError> {
    let now = state.now();
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = ids
        .into_iter()
        .map(|id| caller.audit("read", entity, Some(id), Some(id), now))
        .collect();
    state.audit.record(rows).await
}

/// Records that a report naming no child was read.
pub async fn audit_report(state: &AppState, caller: &Caller, entity: &str) -> Result<(), ApiError> {
    state
        .audit
        .record(vec![caller.audit("read", entity, None, None, state.now())])
        .await
}
