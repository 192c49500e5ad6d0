//! The scheduler: sleeps until the earliest instant anything changes (a child's next change as
//! the engine answers it, an unacknowledged message's re-escalation, 08:00), or until the store
//! signals a recorded event, then has each due child's plan and the messages for what fell due
//! written in one transaction ([`casework::Casework::schedule_child`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use casework::evaluation::Evaluated;
use casework::records::{ChildFile, ChildId};
use casework::{CaseError, NewOutbox};
use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::{Shared, messages};

/// How many due children are read per query.
const BATCH: i64 = 256;

/// The most recent 08:00 (local) at or before `now`: the daily list it is time for.
pub fn latest_eight(calendar: &protocol::Calendar, now: Timestamp) -> Timestamp {
    let today = calendar.local_date(now);
    let eight = calendar.instant(today.to_datetime(Time::constant(8, 0, 0, 0)));
    if eight <= now {
        eight
    } else {
        let yesterday = today.checked_sub(1.day()).unwrap_or(today);
        calendar.instant(yesterday.to_datetime(Time::constant(8, 0, 0, 0)))
    }
}

fn next_eight(calendar: &protocol::Calendar, now: Timestamp) -> Timestamp {
    let latest = calendar.local_date(latest_eight(calendar, now));
    let tomorrow = latest.checked_add(1.day()).unwrap_or(latest);
    calendar.instant(tomorrow.to_datetime(Time::constant(8, 0, 0, 0)))
}

/// Runs the scheduler for ever.
pub async fn run(shared: Arc<Shared>) {
    let casework = &shared.casework;
    let changed = casework.schedule_changed();
    let mut daily_done: Option<Timestamp> = None;
    let mut failing: HashSet<ChildId> = HashSet::new();
    if let Err(e) = casework.seed_schedule().await {
        tracing::warn!("scheduler: {e}");
    }
    loop {
        let now = casework.now();
        match tick(&shared, &mut daily_done, &mut failing).await {
            Ok(added) if added > 0 => shared.outbox_ready.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::warn!("scheduler: {e}"),
        }
        let mut wake = next_eight(casework.calendar(), now);
        match casework.next_wake().await {
            Ok(Some(t)) => wake = wake.min(t),
            Ok(None) => {}
            Err(e) => tracing::warn!("scheduler: {e}"),
        }
        // Children whose evaluation fails stay due; look at them again only after a pause.
        if !failing.is_empty() || wake <= now {
            wake = wake.max(now + SignedDuration::from_secs(1));
        }
        let wait = wake
            .duration_since(casework.now())
            .clamp(SignedDuration::ZERO, shared.config.max_sleep);
        tokio::select! {
            () = tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()) => {}
            () = changed.notified() => { failing.clear(); }
        }
    }
}

/// One pass: due children, due re-escalations, the 08:00 list. The casework clock is read once
/// for the pass and again for each child, so each child is evaluated at the instant its
/// transaction starts (tests stand a test clock at chosen instants). Returns how many messages
/// were written.
pub async fn tick(
    shared: &Shared,
    daily_done: &mut Option<Timestamp>,
    failing: &mut HashSet<ChildId>,
) -> Result<u64, CaseError> {
    let casework = &shared.casework;
    let now = casework.now();
    let said = |file: &ChildFile, evaluated: &Evaluated, at: Timestamp| -> Vec<NewOutbox> {
        messages::child_messages(casework.catalog(), casework.calendar(), file, evaluated, at)
    };
    let mut added = 0;
    loop {
        let due: Vec<ChildId> = casework
            .due_children(now, BATCH + failing.len() as i64)
            .await?
            .into_iter()
            .filter(|c| !failing.contains(c))
            .collect();
        if due.is_empty() {
            break;
        }
        for child in due {
            let at = casework.now().max(now);
            match casework.schedule_child(child, at, &said).await {
                Ok(n) => added += n,
                Err(e) => {
                    tracing::warn!(%child, "scheduler: child not evaluated: {e}");
                    failing.insert(child);
                }
            }
        }
        if added > 0 {
            // Let the dispatcher start on what is ready while the rest is computed.
            shared.outbox_ready.notify_one();
        }
    }
    let authorities = casework.authorities().await?;
    let mut settled = HashSet::new();
    for r in casework.reescalations_due(now, 1000).await? {
        if !settled.insert(r.message.topic.clone()) {
            continue;
        }
        let next = authorities
            .iter()
            .find(|a| a.id == r.message.authority_id)
            .map(|a| messages::reescalation(casework.calendar(), a, &r, now))
            .unwrap_or_default();
        added += casework.enqueue(&next, Some(&r.message.topic)).await?;
    }
    let eight = latest_eight(casework.calendar(), now);
    if *daily_done != Some(eight) {
        for a in &authorities {
            let list = messages::daily_list(
                casework.calendar(),
                a,
                &casework.daily_list(a).await?,
                eight,
            );
            added += casework.enqueue(&list, None).await?;
        }
        *daily_done = Some(eight);
    }
    Ok(added)
}
