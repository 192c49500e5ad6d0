//! The lists: My work, Missing now, the weekly list and the children list. Each reads the
//! store's indexed tables (kept current by every change, in its own transaction), paged by the
//! database, and its read is audited as one row naming every child it showed.

use jiff::{SignedDuration, Timestamp};
use protocol::vocabulary::OwnerRole;
use store::{
    ChildId, ChildRow, DueWindow, EpisodeRow, Instant, OpenAction, QueueFilter, QueueRow, Role,
};

use crate::{Actor, Casework, Permission, Result};

/// Rows per section of a list page.
pub const PAGE: usize = 25;
/// Children per page of the children list.
pub const CHILDREN_PAGE: usize = 50;
/// Episodes per page of Missing now.
pub const BOARD_PAGE: usize = 100;
/// "Due soon": within the next 24 hours.
pub const SOON: SignedDuration = SignedDuration::from_hours(24);

/// The owner roles (catalogue vocabulary) whose obligations land in a user role's queue.
/// Managers see their team's work as well as their own.
pub fn owner_roles(role: Role) -> &'static [OwnerRole] {
    use OwnerRole as O;
    match role {
        Role::SocialWorker => &[O::SocialWorker],
        Role::TeamManager => &[O::TeamManager, O::SocialWorker],
        Role::SeniorManager => &[O::SeniorManager, O::TeamManager],
        Role::Edt => &[O::Edt, O::Mash],
        Role::PoliceMissingCoordinator => &[O::Police, O::PoliceMissingCoordinator],
        Role::RhiProvider => &[O::RhiProvider],
        Role::Admin | Role::Auditor => &[],
    }
}

/// A section of My work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueSection {
    /// The deadline has passed (most recently overdue first).
    Overdue,
    /// Due within [`SOON`].
    Soon,
    /// Due later, or no deadline stated.
    Later,
}

/// My work: the actor's queue by section, a page at a time, the meeting actions still to do
/// and the children of the authority missing now.
#[derive(Clone, Debug)]
pub struct MyWork {
    /// The owner roles listed.
    pub owner_roles: &'static [OwnerRole],
    /// Overdue obligations.
    pub overdue: Vec<QueueRow>,
    /// Obligations due within 24 hours.
    pub soon: Vec<QueueRow>,
    /// Obligations due later or undated.
    pub later: Vec<QueueRow>,
    /// Whether any section has rows after this page.
    pub more: bool,
    /// Meeting actions not done yet.
    pub actions: Vec<OpenAction>,
    /// Episodes of the authority's children missing now.
    pub missing: Vec<EpisodeRow>,
}

impl Casework {
    /// Records the read of a list as one audit row naming every child it showed.
    pub(crate) async fn audit_list(
        &self,
        actor: &Actor,
        entity: &str,
        children: impl IntoIterator<Item = ChildId>,
    ) -> Result<()> {
        let mut children: Vec<ChildId> = children.into_iter().collect();
        children.sort();
        children.dedup();
        let mut row = actor.audit("read", entity, None, None, self.now_instant());
        row.children = children;
        self.record_reads(vec![row]).await
    }

    /// One section of the actor's queue: the open obligations of their owner roles in the
    /// section's window, `page` (from 0) of [`PAGE`] rows, merged across roles in the
    /// section's order; and whether more follow.
    async fn section(
        &self,
        actor: &Actor,
        section: QueueSection,
        page: usize,
        now: Timestamp,
    ) -> Result<(Vec<QueueRow>, bool)> {
        let soon = Instant::from(now + SOON);
        let windows: &[DueWindow] = match section {
            QueueSection::Overdue => &[DueWindow::Before(now.into())],
            QueueSection::Soon => &[DueWindow::Between(now.into(), soon)],
            QueueSection::Later => &[DueWindow::From(soon), DueWindow::Undated],
        };
        // Each role's rows come in the section's order from its own index range; the first
        // (page + 1) × PAGE + 1 of each suffice to cut the page and see whether more follow.
        let wanted = (page + 1) * PAGE + 1;
        let mut rows: Vec<QueueRow> = Vec::new();
        for role in owner_roles(actor.role()) {
            // A role's windows follow each other in the section's order: the next is read
            // only if the ones before it did not fill the page.
            let mut theirs = 0;
            for window in windows {
                if theirs >= wanted {
                    break;
                }
                let got = self
                    .store()
                    .queue(&QueueFilter {
                        authority: actor.authority(),
                        owner_role: Some(*role),
                        window: *window,
                        child: None,
                        limit: (wanted - theirs) as i64,
                        offset: 0,
                    })
                    .await?;
                theirs += got.len();
                rows.extend(got);
            }
        }
        let key = |r: &QueueRow| {
            let o = &r.obligation.obligation;
            match section {
                QueueSection::Overdue => (
                    false,
                    -o.due.map_or(0, Instant::micros),
                    r.obligation.id.get(),
                ),
                _ => (
                    o.due.is_none(),
                    o.due.map_or(o.activation.micros(), Instant::micros),
                    r.obligation.id.get(),
                ),
            }
        };
        rows.sort_by_key(key);
        let more = rows.len() > (page + 1) * PAGE;
        Ok((
            rows.into_iter().skip(page * PAGE).take(PAGE).collect(),
            more,
        ))
    }

    /// My work, page `page` (from 0) of each section.
    pub async fn my_work(&self, actor: &Actor, page: usize) -> Result<MyWork> {
        actor.require(Permission::ReadObligations)?;
        let now = self.now();
        let (overdue, a) = self
            .section(actor, QueueSection::Overdue, page, now)
            .await?;
        let (soon, b) = self.section(actor, QueueSection::Soon, page, now).await?;
        let (later, c) = self.section(actor, QueueSection::Later, page, now).await?;
        let actions = self
            .store()
            .open_actions(actor.authority(), PAGE as i64)
            .await?;
        let missing = self
            .store()
            .missing_now(actor.authority(), BOARD_PAGE as i64, 0)
            .await?;
        let shown = overdue
            .iter()
            .chain(&soon)
            .chain(&later)
            .map(|r| r.obligation.child_id)
            .chain(actions.iter().map(|a| a.child_id))
            .chain(missing.iter().map(|e| e.status.child_id));
        self.audit_list(actor, "my_work", shown).await?;
        Ok(MyWork {
            owner_roles: owner_roles(actor.role()),
            overdue,
            soon,
            later,
            more: a || b || c,
            actions,
            missing,
        })
    }

    /// Missing now: every episode of a child the actor's authority may see in which the child
    /// is missing, highest risk first, then longest missing; page `page` (from 0) and whether
    /// more follow.
    pub async fn missing_now(&self, actor: &Actor, page: usize) -> Result<(Vec<EpisodeRow>, bool)> {
        actor.require(Permission::ReadChild)?;
        let mut rows = self
            .store()
            .missing_now(
                actor.authority(),
                BOARD_PAGE as i64 + 1,
                (page * BOARD_PAGE) as i64,
            )
            .await?;
        let more = rows.len() > BOARD_PAGE;
        rows.truncate(BOARD_PAGE);
        self.audit_list(actor, "missing_now", rows.iter().map(|e| e.status.child_id))
            .await?;
        Ok((rows, more))
    }

    /// The weekly missing meeting list: every episode of a child the actor's authority may see
    /// in which the child was missing at any time in the 7 days to `now`.
    pub async fn weekly(&self, actor: &Actor) -> Result<(Vec<EpisodeRow>, Timestamp, Timestamp)> {
        actor.require(Permission::ReadChild)?;
        let now = self.now();
        let from = now - SignedDuration::from_hours(24 * 7);
        let rows = self
            .store()
            .episodes_between(actor.authority(), from.into(), now.into())
            .await?;
        self.audit_list(actor, "weekly_list", rows.iter().map(|e| e.status.child_id))
            .await?;
        Ok((rows, from, now))
    }

    /// The children the actor's authority may see, by name, optionally those whose name
    /// contains `search`; page `page` (from 0) of `per_page`, and whether more follow.
    pub async fn children(
        &self,
        actor: &Actor,
        search: Option<&str>,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<ChildRow>, bool)> {
        actor.require(Permission::ReadChild)?;
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        let mut rows = self
            .store()
            .children_page(
                actor.authority(),
                search,
                per_page as i64 + 1,
                (page * per_page) as i64,
            )
            .await?;
        let more = rows.len() > per_page;
        rows.truncate(per_page);
        self.audit_list(actor, "child_list", rows.iter().map(|c| c.child.id))
            .await?;
        Ok((rows, more))
    }
}
