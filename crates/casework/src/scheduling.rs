//! What the scheduler and dispatcher (the `worker` crate) do to the store, and keeping the
//! stored plans current outside a change of their own: moving a test clock, rebuilding the
//! lists of a store from before they were kept. The worker decides what is said to whom; this
//! layer evaluates, plans and writes.

use jiff::Timestamp;
use store::{
    Authority, ChildFile, ChildId, EpisodeRow, Instant, MessageId, NewOutbox, ObligationRecord,
    OutboxRecord,
};

use crate::evaluation::{self, Evaluated};
use crate::{CaseError, Casework, Result};

/// What the worker says about a child evaluated at an instant: the messages for what fell due.
pub type Messages<'a> = &'a (dyn Fn(&ChildFile, &Evaluated, Timestamp) -> Vec<NewOutbox> + Sync);

/// How many children one transaction replans when the whole store is replanned.
const REPLAN_CHUNK: usize = 500;

impl Casework {
    /// Signalled after every commit that changes a child's plan, so a scheduler in the same
    /// process looks again at once instead of waiting for its next look.
    pub fn schedule_changed(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.store().schedule_changed()
    }

    /// Schedules every child the scheduler has never looked at for now; returns how many.
    pub async fn seed_schedule(&self) -> Result<u64> {
        Ok(self.store().seed_schedule(self.now_instant()).await?)
    }

    /// Children due for the scheduler at `now`, earliest first.
    pub async fn due_children(&self, now: Timestamp, limit: i64) -> Result<Vec<ChildId>> {
        Ok(self.store().due_children(now.into(), limit).await?)
    }

    /// Evaluates a due child at `at` and writes, in one transaction, its plan (looking again at
    /// the engine's next change) and the messages `messages` gives; returns how many messages
    /// were new. A child no longer due (another worker took it) writes nothing.
    pub async fn schedule_child(
        &self,
        child: ChildId,
        at: Timestamp,
        messages: Messages<'_>,
    ) -> Result<u64> {
        let schedule = |file: &ChildFile, stored: &[ObligationRecord]| {
            let evaluated = evaluation::evaluate(self.catalog(), self.calendar(), file, at)
                .map_err(|e| e.to_string())?;
            let next_check = evaluated.next_change.map(Instant::from);
            let plan = crate::plan::plan_evaluated(
                self.catalog(),
                file,
                stored,
                &evaluated,
                at,
                next_check,
            );
            Ok((plan, messages(file, &evaluated, at)))
        };
        Ok(self
            .store()
            .schedule_child(child, at.into(), &schedule)
            .await?)
    }

    /// Writes messages (skipping known idempotency keys), settling a topic's re-escalation
    /// when asked; returns how many were new.
    pub async fn enqueue(&self, messages: &[NewOutbox], settle_topic: Option<&str>) -> Result<u64> {
        Ok(self
            .store()
            .enqueue(messages, settle_topic, self.now_instant())
            .await?)
    }

    /// The earliest next check of any child or re-escalation.
    pub async fn next_wake(&self) -> Result<Option<Timestamp>> {
        Ok(self.store().next_wake().await?.map(Instant::timestamp))
    }

    /// The earliest instant a pending message may be (re)tried.
    pub async fn next_attempt(&self) -> Result<Option<Timestamp>> {
        Ok(self.store().next_attempt().await?.map(Instant::timestamp))
    }

    /// Leases up to `limit` messages due at `now` until `lease_until`.
    pub async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>> {
        Ok(self
            .store()
            .claim_outbox(now.into(), lease_until.into(), limit)
            .await?)
    }

    /// Marks a message delivered.
    pub async fn outbox_delivered(&self, id: MessageId, now: Timestamp) -> Result<()> {
        Ok(self.store().outbox_delivered(id, now.into()).await?)
    }

    /// Records a failed attempt: retried at `retry_at`, or dead (with `alert`) when `None`.
    pub async fn outbox_failed(
        &self,
        id: MessageId,
        retry_at: Option<Timestamp>,
        error: &str,
        alert: &[NewOutbox],
        now: Timestamp,
    ) -> Result<()> {
        Ok(self
            .store()
            .outbox_failed(id, retry_at.map(Instant::from), error, alert, now.into())
            .await?)
    }

    /// Unacknowledged messages whose re-escalation is due at `now`.
    pub async fn reescalations_due(&self, now: Timestamp, limit: i64) -> Result<Vec<OutboxRecord>> {
        Ok(self.store().reescalations_due(now.into(), limit).await?)
    }

    /// One message.
    pub async fn outbox_message(&self, id: MessageId) -> Result<Option<OutboxRecord>> {
        Ok(self.store().outbox_message(id).await?)
    }

    /// The children of an authority missing now, for its 08:00 list (the system reads it; the
    /// list goes to the authority's own recipients).
    pub async fn daily_list(&self, authority: &Authority) -> Result<Vec<EpisodeRow>> {
        Ok(self.store().missing_now(authority.id, 10_000, 0).await?)
    }

    /// Replans these children at `now` (in transactions of a few hundred).
    async fn replan(&self, children: &[ChildId], now: Timestamp) -> Result<()> {
        for chunk in children.chunks(REPLAN_CHUNK) {
            self.store()
                .recompute(chunk, now.into(), &self.planner(now))
                .await?;
        }
        Ok(())
    }

    /// Replans every child at `now`; returns how many.
    pub async fn replan_all(&self) -> Result<usize> {
        let now = self.now();
        let mut after = ChildId(0);
        let mut n = 0;
        loop {
            let ids = self.store().child_ids(after, REPLAN_CHUNK as i64).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            self.replan(&ids, now).await?;
            n += ids.len();
            after = last;
        }
        Ok(n)
    }

    /// Writes the plans of children whose lists were never written (a store from before the
    /// lists were kept); returns how many. The server and the worker run it at start.
    pub async fn rebuild_lists(&self) -> Result<usize> {
        let now = self.now();
        let mut n = 0;
        loop {
            let ids = self
                .store()
                .children_without_lists(REPLAN_CHUNK as i64)
                .await?;
            if ids.is_empty() {
                break;
            }
            self.replan(&ids, now).await?;
            n += ids.len();
        }
        Ok(n)
    }

    /// Moves a test clock forwards to `to` and replans every child at the new instant, so the
    /// lists show what the engine answers then; returns how many children were replanned.
    pub async fn move_test_clock(&self, to: Timestamp) -> Result<usize> {
        if !self.clock().is_fixed() {
            return Err(CaseError::not_found());
        }
        if self.clock().set(to).is_none() {
            return Err(CaseError::validation(
                "$",
                "the test clock only moves forwards",
            ));
        }
        self.replan_all().await
    }
}
