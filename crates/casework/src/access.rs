//! Who may do what, and access as a value. A child's record can be read or changed only through
//! a [`ChildScope`], which only [`Casework::read_child`] and [`Casework::change_child`] (and their
//! episode forms) create: they check the actor's role and that the actor's authority may see the
//! child, and a read scope has written its audit row before it is returned. The rule of who may
//! see a child ([`authorities_of`]) exists here once; the store keeps its answer, written with
//! every change to the child, so that lists can page through it.

use store::{
    AuditEntry, AuthorityId, ChildFile, ChildId, Episode, EpisodeId, Instant, Role, User, UserId,
};

use crate::{CaseError, Casework, Result};

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
    /// Change an authority's notification routing.
    Administer,
}

/// Whether a role grants a permission: the access policy.
pub fn allows(role: Role, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    let casework = matches!(
        role,
        SocialWorker | TeamManager | SeniorManager | Edt | PoliceMissingCoordinator | RhiProvider
    );
    match p {
        ReadChild | RecordEvent | ReadObligations => casework,
        OpenEpisode => matches!(
            role,
            SocialWorker | TeamManager | SeniorManager | Edt | PoliceMissingCoordinator
        ),
        EditChild => matches!(role, SocialWorker | TeamManager | SeniorManager | Edt),
        ReadDisclosures | RecordInterview => {
            matches!(
                role,
                SocialWorker | TeamManager | SeniorManager | RhiProvider
            )
        }
        SignOff => matches!(role, TeamManager | SeniorManager),
        // Pattern views name children of the caller's authority, so the roles that read
        // children; return-interview providers collate hotspots and links (SY 6.3.9).
        ReadPatterns => casework,
        ReadAudit => matches!(role, Auditor),
        Administer => matches!(role, Admin),
    }
}

/// Authorities with a reason to see a child: the current placement's responsible and host
/// authorities, and the responsible, host and finder authorities of every episode.
pub fn authorities_of(file: &ChildFile) -> Vec<AuthorityId> {
    let mut ids: Vec<AuthorityId> = file
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
    ids.sort();
    ids.dedup();
    ids
}

/// Someone acting: a signed-in user (through a session or an API token, or named on the
/// command line), with the address they act from. Only the casework layer's sign-in and
/// look-ups make one.
#[derive(Clone, Debug)]
pub struct Actor {
    user: User,
    remote_addr: String,
    session: Option<String>,
}

impl Actor {
    pub(crate) fn new(user: User, remote_addr: String, session: Option<String>) -> Self {
        Self {
            user,
            remote_addr,
            session,
        }
    }

    /// The user.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The user's ID.
    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// The user's role.
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The user's authority.
    pub fn authority(&self) -> AuthorityId {
        self.user.authority_id
    }

    /// The session ID hash when signed in with a cookie (for signing out).
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Whether the role grants a permission.
    pub fn may(&self, p: Permission) -> bool {
        allows(self.user.role, p)
    }

    /// Fails with `forbidden` unless the role grants the permission.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.may(p) {
            Ok(())
        } else {
            Err(CaseError::forbidden())
        }
    }

    /// An audit entry for something this actor did at `now`.
    pub(crate) fn audit(
        &self,
        action: &str,
        entity: &str,
        entity_id: Option<i64>,
        child: Option<ChildId>,
        now: Instant,
    ) -> AuditEntry {
        AuditEntry {
            at: now,
            user_id: Some(self.user.id),
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id,
            child_id: child,
            children: Vec::new(),
            remote_addr: self.remote_addr.clone(),
        }
    }
}

/// Leave to read or change one child, for one actor and purpose. Only the access check makes
/// one; a read scope's audit row is already written, a change scope's is written by the
/// command, in the change's transaction.
#[derive(Debug)]
pub struct ChildScope<'a> {
    actor: &'a Actor,
    child: ChildId,
    permission: Permission,
}

impl<'a> ChildScope<'a> {
    /// Who acts.
    pub fn actor(&self) -> &'a Actor {
        self.actor
    }

    /// The child.
    pub fn child(&self) -> ChildId {
        self.child
    }

    /// Whether the actor's role also grants another permission on this child (disclosures,
    /// say), given leave already to see the child.
    pub fn may(&self, p: Permission) -> bool {
        self.actor.may(p)
    }

    /// The audit entry of a change made under this scope.
    pub(crate) fn audit(&self, entity: &str, entity_id: Option<i64>, now: Instant) -> AuditEntry {
        debug_assert!(self.permission != Permission::ReadChild);
        self.actor
            .audit("write", entity, entity_id, Some(self.child), now)
    }

    /// Fails unless `episode` is this scope's child's.
    pub(crate) fn owns(&self, episode: &Episode) -> Result<()> {
        if episode.child_id == self.child {
            Ok(())
        } else {
            Err(CaseError::not_found())
        }
    }
}

impl Casework {
    /// The one access check: the actor's role grants `p` and the actor's authority may see the
    /// child. A child the actor may not see is "not found", so its existence does not leak.
    async fn check<'a>(
        &self,
        actor: &'a Actor,
        child: ChildId,
        p: Permission,
    ) -> Result<ChildScope<'a>> {
        actor.require(p)?;
        if !self.store().visible_to(child, actor.authority()).await? {
            return Err(CaseError::not_found());
        }
        Ok(ChildScope {
            actor,
            child,
            permission: p,
        })
    }

    /// Leave to read a child, with the read of `entity` (`entity_id`) audited before it is
    /// returned.
    pub async fn read_child<'a>(
        &self,
        actor: &'a Actor,
        child: ChildId,
        entity: &str,
        entity_id: i64,
    ) -> Result<ChildScope<'a>> {
        let scope = self.check(actor, child, Permission::ReadChild).await?;
        self.record_reads(vec![actor.audit(
            "read",
            entity,
            Some(entity_id),
            Some(child),
            self.now_instant(),
        )])
        .await?;
        Ok(scope)
    }

    /// Leave to change a child under permission `p` (the command writes the audit row).
    pub async fn change_child<'a>(
        &self,
        actor: &'a Actor,
        child: ChildId,
        p: Permission,
    ) -> Result<ChildScope<'a>> {
        debug_assert!(p != Permission::ReadChild);
        self.check(actor, child, p).await
    }

    /// An episode and leave to read it (audited as a read of `entity`).
    pub async fn read_episode<'a>(
        &self,
        actor: &'a Actor,
        episode: EpisodeId,
        entity: &str,
    ) -> Result<(ChildScope<'a>, Episode)> {
        actor.require(Permission::ReadChild)?;
        let e = self
            .store()
            .episode(episode)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let scope = self
            .read_child(actor, e.child_id, entity, episode.get())
            .await?;
        Ok((scope, e))
    }

    /// An episode and leave to change it under permission `p`.
    pub async fn change_episode<'a>(
        &self,
        actor: &'a Actor,
        episode: EpisodeId,
        p: Permission,
    ) -> Result<(ChildScope<'a>, Episode)> {
        actor.require(p)?;
        let e = self
            .store()
            .episode(episode)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let scope = self.change_child(actor, e.child_id, p).await?;
        Ok((scope, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_and_auditors_see_no_child() {
        for role in [Role::Admin, Role::Auditor] {
            for p in [
                Permission::ReadChild,
                Permission::EditChild,
                Permission::RecordEvent,
                Permission::ReadPatterns,
            ] {
                assert!(!allows(role, p), "{role} {p:?}");
            }
        }
        assert!(allows(Role::Admin, Permission::Administer));
        assert!(!allows(Role::TeamManager, Permission::Administer));
    }

    #[test]
    fn only_managers_sign_off_and_police_see_no_disclosures() {
        for role in Role::ALL {
            assert_eq!(
                allows(*role, Permission::SignOff),
                matches!(role, Role::TeamManager | Role::SeniorManager)
            );
        }
        assert!(!allows(
            Role::PoliceMissingCoordinator,
            Permission::ReadDisclosures
        ));
        assert!(!allows(Role::Edt, Permission::ReadDisclosures));
    }
}
