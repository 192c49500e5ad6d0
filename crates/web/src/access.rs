//! Who may do what: roles, their permissions, and the one place that checks a caller's access
//! to a child and writes the audit row for it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Children's social worker.
    SocialWorker,
    /// Team manager / practice lead.
    TeamManager,
    /// Service manager, head of service, director.
    SeniorManager,
    /// Emergency duty team.
    Edt,
    /// Police missing-person coordinator.
    PoliceMissingCoordinator,
    /// Return-interview provider.
    RhiProvider,
    /// Administers users and authorities; sees no child data.
    Admin,
    /// Reads the audit log; sees no child data.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::SocialWorker,
        Role::TeamManager,
        Role::SeniorManager,
        Role::Edt,
        Role::PoliceMissingCoordinator,
        Role::RhiProvider,
        Role::Admin,
        Role::Auditor,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SocialWorker => "social_worker",
            Role::TeamManager => "team_manager",
            Role::SeniorManager => "senior_manager",
            Role::Edt => "edt",
            Role::PoliceMissingCoordinator => "police_missing_coordinator",
            Role::RhiProvider => "rhi_provider",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Whether the role grants a permission.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ReadChild | RecordEvent | ReadObligations => {
                matches!(
                    self,
                    SocialWorker
                        | TeamManager
                        | SeniorManager
                        | Edt
                        | PoliceMissingCoordinator
                        | RhiProvider
                )
            }
            OpenEpisode => matches!(
                self,
                SocialWorker | TeamManager | SeniorManager | Edt | PoliceMissingCoordinator
            ),
            EditChild => matches!(self, SocialWorker | TeamManager | SeniorManager | Edt),
            ReadDisclosures | RecordInterview => {
                matches!(
                    self,
                    SocialWorker | TeamManager | SeniorManager | RhiProvider
                )
            }
            SignOff => matches!(self, TeamManager | SeniorManager),
            // Pattern views name children of the caller's authority, so the roles that read
            // children; return-interview providers collate hotspots and links (SY 6.3.9).
            ReadPatterns => matches!(
                self,
                SocialWorker
                    | TeamManager
                    | SeniorManager
                    | Edt
                    | PoliceMissingCoordinator
                    | RhiProvider
            ),
            ReadAudit => matches!(self, Auditor),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role `{s}`; one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })
    }
}

/// Something a role may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read a child's record, timeline and obligations.
    ReadChild,
    /// Create or change a child's record, placements and profile documents.
    EditChild,
    /// Open a missing episode.
    OpenEpisode,
    /// Record an event on an episode.
    RecordEvent,
    /// List obligations.
    ReadObligations,
    /// See sensitive disclosures from return interviews.
    ReadDisclosures,
    /// Record a return interview outcome.
    RecordInterview,
    /// Sign off a return interview (a manager's check).
    SignOff,
    /// Read and verify the audit log.
    ReadAudit,
    /// Read the pattern views (repeat cohort, hotspots, children missing together) over the
    /// children of the caller's authority.
    ReadPatterns,
}

/// Checks the caller's role and that their authority has a reason to see the child
/// (responsible, host, or where an episode ended). A child the caller may not see is reported
/// as not found, so its existence does not leak.
pub async fn child_access(
    state: &AppState,
    caller: &Caller,
    child_id: i64,
    p: Permission,
) -> Result<(), ApiError> {
    caller.require(p)?;
    let authorities = state.store.child_authorities(child_id).await?;
    if !authorities.contains(&caller.user.authority_id) {
        return Err(ApiError::not_found());
    }
    Ok(())
}

/// Checks access as [`child_access`] and records the read in the audit log.
pub async fn audited_read(
    state: &AppState,
    caller: &Caller,
    child_id: i64,
    entity: &str,
    entity_id: i64,
) -> Result<(), ApiError> {
    child_access(state, caller, child_id, Permission::ReadChild).await?;
    state
        .audit
        .record(vec![caller.audit(
            "read",
            entity,
            Some(entity_id),
            Some(child_id),
            state.now(),
        )])
        .await
}

/// Authorities with a reason to see the child of a loaded file (the same rule as
/// `Repository::child_authorities`, without another query).
pub fn file_authorities(file: &store::ChildFile) -> Vec<i64> {
    let mut ids: Vec<i64> = file
        .placement
        .iter()
        .flat_map(|p| [p.responsible_authority_id, p.host_authority_id])
        .collect();
    for e in &file.episodes {
        ids.extend(
            [
                Some(e.responsible_authority_id),
                Some(e.host_authority_id),
                e.finder_authority_id,
            ]
            .into_iter()
            .flatten(),
        );
    }
    ids
}

/// Checks read access to a loaded child file and records the read.
pub async fn audited_file_read(
    state: &AppState,
    caller: &Caller,
    file: &store::ChildFile,
    entity: &str,
) -> Result<(), ApiError> {
    caller.require(Permission::ReadChild)?;
    if !file_authorities(file).contains(&caller.user.authority_id) {
        return Err(ApiError::not_found());
    }
    let id = file.child.id;
    state
        .audit
        .record(vec![caller.audit(
            "read",
            entity,
            Some(id),
            Some(id),
            state.now(),
        )])
        .await
}
