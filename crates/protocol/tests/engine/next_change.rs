//! The next-change instant: nothing the engine answers changes before it (what the scheduler
//! relies on to sleep), checked on every scenario file and on a small worked case.

use jiff::{SignedDuration, Timestamp};
use protocol::{Engine, Obligation};
use serde_json::json;

type Answer = Vec<(
    protocol::RuleKey,
    Option<protocol::vocabulary::Share>,
    usize,
    Option<Timestamp>,
)>;

fn answer(obligations: &[Obligation]) -> Answer {
    let mut a: Answer = obligations
        .iter()
        .map(|o| (o.rule, o.share, o.episode, o.due))
        .collect();
    a.sort();
    a.dedup();
    a
}

pub(crate) fn scenario_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files = Vec::new();
    for dir in ["acceptance", "own"] {
        for e in std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            files.push(e.path());
        }
    }
    files.sort();
    files
}

#[test]
fn nothing_changes_before_the_next_change_on_any_scenario() {
    let (catalog, calendar) = super::setup();
    let engine = Engine::new(catalog, calendar);
    let files = scenario_files();
    assert!(files.len() >= 50);
    let mut with_change = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let timeline = protocol::timeline::parse(&text, catalog)
            .unwrap_or_else(|e| unreachable!("{}: {e}", file.display()));
        let now = timeline.evaluate_at;
        let first = engine.evaluate_with_next_change(&timeline, now);
        let until = first
            .next_change
            .unwrap_or(now + SignedDuration::from_hours(24 * 400));
        assert!(until > now, "{}", file.display());
        with_change += usize::from(first.next_change.is_some());
        let span = until.duration_since(now);
        for t in [
            now + SignedDuration::from_secs(1),
            now + span / 2,
            until - SignedDuration::from_secs(1),
        ] {
            if t <= now || t >= until {
                continue;
            }
            let later = engine.evaluate(&timeline, t);
            assert_eq!(
                answer(&later),
                answer(&first.obligations),
                "{}: the answer changed at {t}, before {until}",
                file.display()
            );
            for o in &later {
                let overdue = o.due.is_some_and(|d| d < t);
                assert_eq!(o.status == protocol::Status::Overdue, overdue);
            }
        }
    }
    assert!(
        with_change > 20,
        "most scenarios have something still to come"
    );
}

#[test]
fn the_next_change_of_a_newham_child_missing_in_care() {
    let (catalog, calendar) = super::setup();
    let engine = Engine::new(catalog, calendar);
    let doc = |events: serde_json::Value, at: &str| {
        json!({"format": "timeline-v1", "id": "N", "rulesets": [{"protocol": "NEWHAM", "role": "responsible"}],
               "child": {"dob": "2010-05-12", "legal_status": "s31_care_order", "placement_type": "residential",
                         "responsible_authority": "London Borough of Newham", "police_force": "Metropolitan Police"},
               "events": events, "evaluate_at": at})
        .to_string()
    };
    let report = json!({"at": "2024-10-24T22:00:00+01:00", "type": "reported_missing", "data": {"to": "Metropolitan Police"}});
    let next = |events: serde_json::Value, at: &str| {
        let t = protocol::timeline::parse(&doc(events, at), catalog)
            .unwrap_or_else(|e| unreachable!("{e}"));
        engine
            .evaluate_with_next_change(&t, t.evaluate_at)
            .next_change
            .map(|n| protocol::output::format_instant(calendar, n))
    };
    // Half an hour after the report: the 24-hour strategy meeting and escalation come next.
    assert_eq!(
        next(json!([report]), "2024-10-24T22:30:00+01:00").as_deref(),
        Some("2024-10-25T22:00:00+01:00")
    );
    // After them: the 72-hour point, across the clock change.
    assert_eq!(
        next(json!([report]), "2024-10-26T12:00:00+01:00").as_deref(),
        Some("2024-10-27T21:00:00+00:00")
    );
    // Returned: only the interview deadline is still to come.
    let back = json!({"at": "2024-10-25T08:00:00+01:00", "type": "returned", "data": {}});
    assert_eq!(
        next(json!([report, back]), "2024-10-25T09:00:00+01:00").as_deref(),
        Some("2024-10-28T07:00:00+00:00")
    );
    // An event recorded ahead of time counts from its own instant.
    let planned = json!({"at": "2024-10-24T23:00:00+01:00", "type": "notification_sent", "data": {"to": "IRO"}});
    assert_eq!(
        next(json!([report, planned]), "2024-10-24T22:30:00+01:00").as_deref(),
        Some("2024-10-24T23:00:00+01:00")
    );
}
