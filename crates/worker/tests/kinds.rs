//! Each message the seeds name, produced by the scheduler at chosen instants (the casework
//! layer's test clock, moved by the test), addressed through the authority's routing;
//! acknowledgement stopping re-escalation; dead letters raising an alert; template snapshots.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use casework::records::{Authority, Instant, MessageId};
use casework::routing::Routing;
use casework::{Clock, MessageStatus, OutboxRecord};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use support::{NEWHAM, TestResult, authority, child, event, load, outbox};
use worker::{Config, Shared, Templates, Transport, scheduler};

const MERTON: (&str, &str, &str, &str) = (
    "MERTON",
    "London Borough of Merton",
    "MERTON",
    "Metropolitan Police",
);
const HAMPSHIRE: (&str, &str, &str, &str) = (
    "HAMPSHIRE",
    "Hampshire County Council",
    "HIPS",
    "Hampshire Constabulary",
);
const BARNSLEY: (&str, &str, &str, &str) = (
    "BARNSLEY",
    "Barnsley Metropolitan Borough Council",
    "SY",
    "South Yorkshire Police",
);

fn t(s: &str) -> Result<Timestamp, jiff::Error> {
    s.parse()
}

/// The worker's shared state over a new store, on a test clock standing at `start`.
async fn shared(name: &str, start: Timestamp) -> Result<Arc<Shared>, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("homeward-kinds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let casework = support::casework(&dir.join("db.sqlite"), Clock::fixed(start)).await?;
    let transport = Transport::mailbox(dir.join("mailbox"), "homeward@example.invalid")?;
    let config = Config::new(
        transport,
        Templates::default(),
        "http://homeward.test".into(),
    );
    Ok(Arc::new(Shared::new(casework, config).await?))
}

/// Moves the test clock to `to`.
fn set_clock(shared: &Shared, to: Timestamp) {
    if let Clock::Fixed(t) = shared.casework.clock() {
        *t.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

fn demo_routing(code: &str) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(Routing::demo(code))
}

/// Runs the scheduler once at `now` and returns the messages it wrote.
async fn tick(
    shared: &Shared,
    now: Timestamp,
) -> Result<Vec<OutboxRecord>, Box<dyn std::error::Error>> {
    let before: HashSet<MessageId> = all(shared).await?.iter().map(|r| r.id).collect();
    set_clock(shared, now);
    // No 08:00 list unless a test asks for one.
    let mut daily = Some(scheduler_eight(shared, now));
    scheduler::tick(shared, &mut daily, &mut HashSet::new()).await?;
    Ok(all(shared)
        .await?
        .into_iter()
        .filter(|r| !before.contains(&r.id))
        .collect())
}

fn scheduler_eight(shared: &Shared, now: Timestamp) -> Timestamp {
    scheduler::latest_eight(shared.casework.calendar(), now)
}

async fn all(shared: &Shared) -> Result<Vec<OutboxRecord>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for a in shared.casework.authorities().await? {
        out.extend(outbox(&shared.casework, &a, None, 100_000).await?);
    }
    out.sort_by_key(|r| r.id);
    Ok(out)
}

fn about<'a>(messages: &'a [OutboxRecord], kind: &str, rule: &str) -> Vec<&'a OutboxRecord> {
    messages
        .iter()
        .filter(|r| {
            r.message.kind == kind && r.message.context.contains(&format!("\"rule\":\"{rule}\""))
        })
        .collect()
}

fn recipients(messages: &[&OutboxRecord]) -> Vec<String> {
    let mut r: Vec<String> = messages
        .iter()
        .map(|m| m.message.recipient.clone())
        .collect();
    r.sort();
    r
}

/// A looked-after Newham child reported missing at `reported` (London time, Monday 10:00).
async fn newham_child(
    shared: &Shared,
    reported: Timestamp,
) -> Result<Authority, Box<dyn std::error::Error>> {
    let newham = authority(&shared.casework, NEWHAM, &demo_routing("NEWHAM")?).await?;
    let c = child(
        "Ada Newham",
        &newham,
        &newham,
        vec![
            event(
                reported,
                "reported_missing",
                json!({"to": "Metropolitan Police", "police_ref": "N-1"}),
            ),
            event(
                reported + SignedDuration::from_mins(10),
                "risk_graded",
                json!({"level": "medium"}),
            ),
        ],
    )?;
    load(&shared.casework, &newham, &[c]).await?;
    shared.casework.seed_schedule().await?;
    Ok(newham)
}

#[tokio::test]
async fn newham_escalates_at_24_hours_72_hours_and_7_days() -> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?; // a Monday, in office hours
    let shared = shared("newham", reported).await?;
    newham_child(&shared, reported).await?;
    let day1 = tick(&shared, reported + SignedDuration::from_secs(24 * 3600 + 1)).await?;
    assert_eq!(
        recipients(&about(&day1, "escalation", "NEWHAM-ESC-LAC-24H")),
        ["duty.newham@example.invalid"]
    );
    let day3 = tick(&shared, reported + SignedDuration::from_secs(72 * 3600 + 1)).await?;
    assert_eq!(
        recipients(&about(&day3, "escalation", "NEWHAM-ESC-LAC-72H")),
        ["senior-manager.newham@example.invalid"]
    );
    assert!(
        about(&day3, "escalation", "NEWHAM-ESC-LAC-24H").is_empty(),
        "not said twice"
    );
    let day7 = tick(
        &shared,
        reported + SignedDuration::from_secs(7 * 24 * 3600 + 1),
    )
    .await?;
    assert_eq!(
        recipients(&about(&day7, "escalation", "NEWHAM-ESC-LAC-7D")),
        ["senior-manager.newham@example.invalid"]
    );
    Ok(())
}

#[tokio::test]
async fn out_of_hours_the_social_workers_messages_go_to_the_emergency_duty_team() -> TestResult {
    let reported = t("2026-11-20T20:00:00Z")?; // Friday evening: the 24 hours end on Saturday
    let shared = shared("edt", reported).await?;
    newham_child(&shared, reported).await?;
    let day1 = tick(&shared, reported + SignedDuration::from_secs(24 * 3600 + 1)).await?;
    let esc = about(&day1, "escalation", "NEWHAM-ESC-LAC-24H");
    assert_eq!(recipients(&esc), ["edt.newham@example.invalid"]);
    assert_eq!(esc[0].message.owner_role, "edt");
    Ok(())
}

#[tokio::test]
async fn merton_leadership_alert_at_24_and_48_hours() -> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?;
    let shared = shared("merton", reported).await?;
    let merton = authority(&shared.casework, MERTON, &demo_routing("MERTON")?).await?;
    let c = child(
        "Ben Merton",
        &merton,
        &merton,
        vec![event(
            reported,
            "reported_missing",
            json!({"to": "Metropolitan Police", "police_ref": "M-1"}),
        )],
    )?;
    load(&shared.casework, &merton, &[c]).await?;
    shared.casework.seed_schedule().await?;
    let first = tick(&shared, reported + SignedDuration::from_secs(1)).await?;
    assert_eq!(
        recipients(&about(&first, "escalation", "MERTON-SLA-24H")),
        ["duty.merton@example.invalid"]
    );
    let day1 = tick(&shared, reported + SignedDuration::from_secs(24 * 3600 + 1)).await?;
    assert_eq!(
        recipients(&about(&day1, "overdue", "MERTON-SLA-24H")),
        ["duty.merton@example.invalid"],
        "the alert not recorded in 24 hours is overdue"
    );
    let day2 = tick(&shared, reported + SignedDuration::from_secs(48 * 3600 + 1)).await?;
    assert_eq!(
        recipients(&about(&day2, "escalation", "MERTON-SLA-48H")),
        ["senior-manager.merton@example.invalid"]
    );
    Ok(())
}

#[tokio::test]
async fn hips_tells_the_senior_manager_at_48_hours() -> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?;
    let shared = shared("hips", reported).await?;
    let hampshire = authority(&shared.casework, HAMPSHIRE, &demo_routing("HAMPSHIRE")?).await?;
    let c = child(
        "Cal Hampshire",
        &hampshire,
        &hampshire,
        vec![event(
            reported,
            "reported_missing",
            json!({"to": "Hampshire Constabulary", "police_ref": "H-1"}),
        )],
    )?;
    load(&shared.casework, &hampshire, &[c]).await?;
    shared.casework.seed_schedule().await?;
    let before = tick(
        &shared,
        reported + SignedDuration::from_secs(48 * 3600 - 60),
    )
    .await?;
    assert!(
        about(&before, "escalation", "HIPS-ESC-CIC-48H").is_empty(),
        "not before 48 hours"
    );
    let day2 = tick(&shared, reported + SignedDuration::from_secs(48 * 3600 + 1)).await?;
    assert_eq!(
        recipients(&about(&day2, "escalation", "HIPS-ESC-CIC-48H")),
        ["duty.hampshire@example.invalid"]
    );
    Ok(())
}

#[tokio::test]
async fn south_yorkshire_reports_and_returns_go_to_responsible_and_host_children_services()
-> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?;
    let shared = shared("sy", reported).await?;
    let barnsley = authority(&shared.casework, BARNSLEY, &demo_routing("BARNSLEY")?).await?;
    let newham = authority(&shared.casework, NEWHAM, &demo_routing("NEWHAM")?).await?;
    let found = reported + SignedDuration::from_hours(5);
    // A Newham child placed in Barnsley, missing there, found five hours later.
    let c = child(
        "Dee Placed",
        &newham,
        &barnsley,
        vec![
            event(
                reported,
                "reported_missing",
                json!({"to": "South Yorkshire Police", "police_ref": "S-1"}),
            ),
            event(found, "located", json!({"where": "known address"})),
        ],
    )?;
    load(&shared.casework, &newham, &[c]).await?;
    shared.casework.seed_schedule().await?;
    let first = tick(&shared, reported + SignedDuration::from_secs(1)).await?;
    let report = about(&first, "missing_report", "SY-NOT-AUTO");
    assert_eq!(
        recipients(&report),
        [
            "mash.barnsley@example.invalid",
            "mash.newham@example.invalid"
        ]
    );
    let back = tick(&shared, found + SignedDuration::from_secs(1)).await?;
    let notice = about(&back, "return_notice", "SY-RET-AUTO");
    assert_eq!(
        recipients(&notice),
        [
            "mash.barnsley@example.invalid",
            "mash.newham@example.invalid"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn unacknowledged_messages_climb_the_manager_chain_and_acknowledgement_stops_them()
-> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?;
    let shared = shared("reescalate", reported).await?;
    newham_child(&shared, reported).await?;
    let due = reported + SignedDuration::from_secs(24 * 3600 + 1);
    let first = tick(&shared, due).await?;
    let esc = about(&first, "escalation", "NEWHAM-ESC-LAC-24H");
    assert_eq!(esc.len(), 1);
    let topic = esc[0].message.topic.clone();
    let of_topic = |ms: &[OutboxRecord]| -> Vec<(i64, String)> {
        ms.iter()
            .filter(|r| r.message.topic == topic)
            .map(|r| (r.message.level, r.message.recipient.clone()))
            .collect()
    };
    // An hour later nobody has acknowledged: the team manager is told.
    let hour = tick(&shared, due + SignedDuration::from_mins(61)).await?;
    assert_eq!(
        of_topic(&hour),
        [(1, "team-manager.newham@example.invalid".to_owned())]
    );
    assert!(hour.iter().all(|r| r.message.kind == "reescalation"));
    // Another hour: the senior manager.
    let two = tick(&shared, due + SignedDuration::from_mins(122)).await?;
    assert_eq!(
        of_topic(&two),
        [(2, "senior-manager.newham@example.invalid".to_owned())]
    );
    // The senior manager acknowledges (through the message's link): nothing more, ever.
    let Some(senior) = two.iter().find(|r| r.message.topic == topic) else {
        return Err("no level-2 message".into());
    };
    set_clock(&shared, due + SignedDuration::from_mins(130));
    let token = casework::ack::token(&shared.secret, senior.id, &senior.message.idempotency_key);
    let acknowledged = shared.casework.acknowledge_link(&token, "test").await?;
    assert!(acknowledged.is_some(), "the link is genuine");
    for hours in [3, 6, 24] {
        let later = tick(&shared, due + SignedDuration::from_hours(hours)).await?;
        assert!(
            of_topic(&later).is_empty(),
            "re-escalated after acknowledgement at +{hours}h: {:?}",
            of_topic(&later)
        );
    }
    let acknowledged = all(&shared).await?;
    assert!(
        acknowledged
            .iter()
            .filter(|r| r.message.topic == topic)
            .all(|r| r.acknowledged_at.is_some())
    );
    Ok(())
}

#[tokio::test]
async fn the_daily_list_names_each_missing_child_with_risk() -> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?;
    let shared = shared("daily", reported).await?;
    newham_child(&shared, reported).await?;
    let at = t("2026-11-17T08:00:30Z")?;
    let mut daily = None;
    set_clock(&shared, at);
    scheduler::tick(&shared, &mut daily, &mut HashSet::new()).await?;
    let lists: Vec<OutboxRecord> = all(&shared)
        .await?
        .into_iter()
        .filter(|r| r.message.kind == "daily_list")
        .collect();
    assert_eq!(lists.len(), 1);
    assert_eq!(
        lists[0].message.recipient,
        "missing-list.newham@example.invalid"
    );
    assert_eq!(
        lists[0].message.due_at,
        Instant::from(t("2026-11-17T08:00:00Z")?)
    );
    let context: serde_json::Value = serde_json::from_str(&lists[0].message.context)?;
    assert_eq!(context["children"][0]["name"], "Ada Newham");
    assert_eq!(context["children"][0]["risk"], "medium");
    // Again the same day (a restart): nothing new.
    let mut restarted = None;
    set_clock(&shared, at + SignedDuration::from_mins(5));
    scheduler::tick(&shared, &mut restarted, &mut HashSet::new()).await?;
    assert_eq!(
        all(&shared)
            .await?
            .iter()
            .filter(|r| r.message.kind == "daily_list")
            .count(),
        1
    );
    Ok(())
}

#[tokio::test]
async fn a_message_that_cannot_be_delivered_dies_and_alerts_the_admins() -> TestResult {
    let reported = t("2026-11-16T10:00:00Z")?;
    let shared = shared("dead", reported).await?;
    let newham = newham_child(&shared, reported).await?;
    tick(&shared, reported + SignedDuration::from_secs(24 * 3600 + 1)).await?;
    // An SMTP relay that is not there, and one attempt only.
    let port = support::free_port()?;
    let mut config = Config::new(
        Transport::smtp(
            &format!("smtp://127.0.0.1:{port}"),
            worker::SmtpTls::None,
            "homeward@example.invalid",
        )?,
        Templates::default(),
        "http://homeward.test".into(),
    );
    config.max_attempts = 1;
    let failing = Arc::new(Shared::new(shared.casework.clone(), config).await?);
    while worker::dispatcher::dispatch(&failing).await? > 0 {}
    let outbox = outbox(&shared.casework, &newham, None, 1000).await?;
    let alerts: Vec<_> = outbox
        .iter()
        .filter(|r| r.message.kind == "dead_letter")
        .collect();
    let failed = outbox
        .iter()
        .filter(|r| r.message.kind != "dead_letter")
        .count();
    assert!(failed > 0);
    assert!(
        outbox.iter().all(|r| r.status == MessageStatus::Dead),
        "every message (alerts too) is dead"
    );
    assert_eq!(
        alerts.len(),
        failed,
        "one alert per dead message, none for a dead alert"
    );
    assert!(
        alerts
            .iter()
            .all(|r| r.message.recipient == "admin.newham@example.invalid")
    );
    Ok(())
}

#[test]
fn each_kind_renders_from_its_template() -> TestResult {
    let templates = Templates::default();
    let context = json!({
        "authority": "London Borough of Newham",
        "authority_code": "NEWHAM",
        "child_id": 7,
        "child_name": "Ada Newham",
        "episode_id": 12,
        "rule": "NEWHAM-ESC-LAC-24H",
        "action": "Notify Head of Service and Head of Corporate Parenting (Strategic Missing Person Notification Form)",
        "citation": "002_8e6e12699bd9dd46.txt §9.2",
        "owner_role": "social worker",
        "instant": "2026-11-17T10:00:00+00:00",
        "due": "2026-11-17T10:00:00+00:00",
        "level": 1,
        "escalated_from": "social worker",
        "first_kind": "escalation",
        "ack_url": "http://homeward.test/ack/1.abc",
        "date": "2026-11-17",
        "children": [{"child_id": 7, "name": "Ada Newham", "since": "2026-11-16T10:00:00+00:00", "risk": "medium"}],
        "failed_kind": "overdue",
        "failed_recipient": "duty.newham@example.invalid",
        "failed_key": "0123456789abcdef0123456789abcdef",
        "attempts": 8,
        "error": "smtp: connection refused",
    });
    for (kind, _) in worker::templates::DEFAULTS {
        let r = templates.render("newham", kind, &context)?;
        insta::assert_snapshot!(kind, format!("Subject: {}\n{}", r.subject, r.body));
    }
    Ok(())
}
