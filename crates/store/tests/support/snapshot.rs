//! Everything the store holds about a child, read through the store's own capabilities, so that
//! a change that must leave nothing behind can be compared before and after.

use store::*;

/// What the store holds about one child, and the audit chain's length and head.
#[derive(Debug, PartialEq)]
pub struct Committed {
    /// The record.
    pub child: Option<Child>,
    /// Every placement.
    pub placements: Vec<Placement>,
    /// Episodes, as the file reads them.
    pub episodes: Vec<Episode>,
    /// Events, as the file reads them.
    pub events: Vec<EventRecord>,
    /// Every episode's meetings.
    pub meetings: Vec<Meeting>,
    /// Every episode's interviews.
    pub interviews: Vec<Interview>,
    /// Profile documents.
    pub documents: Vec<Document>,
    /// Stored obligations, open and ended.
    pub obligations: Vec<ObligationRecord>,
    /// The authorities (of those asked about) that may see the child.
    pub visible: Vec<AuthorityId>,
    /// The child's row in each of those authorities' children list.
    pub rows: Vec<ChildRow>,
    /// The child's episodes on each of those authorities' Missing now.
    pub missing: Vec<EpisodeRow>,
    /// Whether the scheduler has the child at all.
    pub scheduled: bool,
    /// When the engine's answer next changes, as the last plan said.
    pub next_change: Option<Instant>,
    /// How many audit rows there are, and the chain head.
    pub audit: (usize, (i64, String)),
}

/// Reads everything about `child` that `authorities` might see.
pub async fn committed(
    store: &dyn Store,
    child: ChildId,
    authorities: &[AuthorityId],
) -> Result<Committed, StoreError> {
    let file = store.child_file(child).await?;
    let episodes = file
        .as_ref()
        .map(|f| f.episodes.clone())
        .unwrap_or_default();
    let (mut meetings, mut interviews) = (Vec::new(), Vec::new());
    for e in &episodes {
        meetings.extend(store.meetings(e.id).await?);
        interviews.extend(store.interviews(e.id).await?);
    }
    let (mut visible, mut rows, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    for a in authorities {
        if store.visible_to(child, *a).await? {
            visible.push(*a);
        }
        rows.extend(
            store
                .children_page(*a, None, 1_000, 0)
                .await?
                .into_iter()
                .filter(|r| r.child.id == child),
        );
        missing.extend(
            store
                .missing_now(*a, 1_000, 0)
                .await?
                .into_iter()
                .filter(|r| r.status.child_id == child),
        );
    }
    let (log, head) = store.audit_log().await?;
    Ok(Committed {
        child: store.child(child).await?,
        placements: store.placements(child).await?,
        events: file.map(|f| f.events).unwrap_or_default(),
        episodes,
        meetings,
        interviews,
        documents: store.documents(child).await?,
        obligations: store.child_obligations(child).await?,
        visible,
        rows,
        missing,
        scheduled: store
            .due_children(Instant::from_micros(i64::MAX), 100_000)
            .await?
            .contains(&child),
        next_change: store.next_change(child).await?,
        audit: (log.len(), head),
    })
}
