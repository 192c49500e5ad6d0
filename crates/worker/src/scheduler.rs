//! The scheduler: sleeps until the earliest instant anything changes (a child's next change as
//! the engine answers it, an unacknowledged message's re-escalation, 08:00), or until the store
//! signals a recorded event, then stores each due child's obligations and the messages for what
//! fell due in one transaction.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp, ToSpan};
use store::Repository;
use web::{instant, micros};

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
    let store = shared.store.clone();
    let changed = store.schedule_changed();
    let mut daily_done: Option<Timestamp> = None;
    let mut failing: HashSet<i64> = HashSet::new();
    if let Err(e) = store.seed_schedule(micros(Timestamp::now())).await {
        tracing::warn!("scheduler: {e}");
    }
    loop {
        let now = Timestamp::now();
        match tick(&shared, &Timestamp::now, &mut daily_done, &mut failing).await {
            Ok(added) if added > 0 => shared.outbox_ready.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::warn!("scheduler: {e}"),
        }
        let mut wake = next_eight(&shared.calendar, now);
        match store.next_wake().await {
            Ok(Some(t)) => wake = wake.min(instant(t)),
            Ok(None) => {}
            Err(e) => tracing::warn!("scheduler: {e}"),
        }
        // Children whose evaluation fails stay due; look at them again only after a pause.
        if !failing.is_empty() || wake <= now {
            wake = wake.max(now + SignedDuration::from_secs(1));
        }
        let wait = wake
            .duration_since(Timestamp::now())
            .clamp(SignedDuration::ZERO, shared.config.max_sleep);
        tokio::select! {
            () = tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()) => {}
            () = changed.notified() => { failing.clear(); }
        }
    }
}

/// One pass: due children, due re-escalations, the 08:00 list. `clock` is read once for the
/// pass and again for each child, so each child is evaluated at the instant its transaction
/// starts (tests pass a fixed instant). Returns how many messages were written.
pub async fn tick(
    shared: &Shared,
    clock: &(dyn Fn() -> Timestamp + Sync),
    daily_done: &mut Option<Timestamp>,
    failing: &mut HashSet<i64>,
) -> Result<u64, store::StoreError> {
    let store: &dyn Repository = shared.store.as_ref();
    let now = clock();
    let now_us = micros(now);
    let mut added = 0;
    loop {
        let due: Vec<i64> = store
            .due_children(now_us, BATCH + failing.len() as i64)
            .await?
            .into_iter()
            .filter(|c| !failing.contains(c))
            .collect();
        if due.is_empty() {
            break;
        }
        for child in due {
            let at = clock().max(now);
            let schedule = |file: &store::ChildFile| {
                messages::child_outcome(&shared.catalog, &shared.calendar, file, at)
            };
            match store.schedule_child(child, micros(at), &schedule).await {
                Ok(n) => added += n,
                Err(e) => {
                    tracing::warn!(child, "scheduler: child not evaluated: {e}");
                    failing.insert(child);
                }
            }
        }
        if added > 0 {
            // Let the dispatcher start on what is ready while the rest is computed.
            shared.outbox_ready.notify_one();
        }
    }
    let authorities = store.authorities().await?;
    let mut settled = HashSet::new();
    for r in store.reescalations_due(now_us, 1000).await? {
        if !settled.insert(r.message.topic.clone()) {
            continue;
        }
        let next = authorities
            .iter()
            .find(|a| a.id == r.message.authority_id)
            .map(|a| messages::reescalation(&shared.calendar, a, &r, now))
            .unwrap_or_default();
        added += store.enqueue(&next, Some(&r.message.topic), now_us).await?;
    }
    let eight = latest_eight(&shared.calendar, now);
    if *daily_done != Some(eight) {
        for a in &authorities {
            let list = messages::daily_list(
                &shared.calendar,
                a,
                &store.open_episodes(a.id).await?,
                eight,
            );
            added += store.enqueue(&list, None, now_us).await?;
        }
        *daily_done = Some(eight);
    }
    Ok(added)
}
