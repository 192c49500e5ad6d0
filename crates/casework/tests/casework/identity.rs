//! Obligations keep their identity while the engine gives them: an ID read before an
//! unrelated change still discharges after it, and an ID that has ended is refused with why
//! and with what replaced it.

use casework::records::{Ended, ObligationId, ObligationRecord};
use casework::{ChildChange, Code, Facts, Permission};
use serde_json::json;

use super::support::{App, event, on_both};

const SW: &str = "social_worker.newham";

fn find<'a>(list: &'a [ObligationRecord], rule: &str) -> &'a ObligationRecord {
    list.iter()
        .find(|o| o.obligation.rule == rule)
        .unwrap_or_else(|| {
            unreachable!(
                "{rule} not among {:?}",
                list.iter().map(|o| &o.obligation.rule).collect::<Vec<_>>()
            )
        })
}

async fn stored(app: &App, id: ObligationId) -> ObligationRecord {
    app.store
        .obligation(id)
        .await
        .unwrap_or_else(|e| unreachable!("{e}"))
        .unwrap_or_else(|| unreachable!("obligation {id} is gone"))
}

#[test]
fn an_obligation_keeps_its_id_through_unrelated_changes_and_discharges_afterwards() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        app.set_now("2024-09-06T21:05:00Z").await;
        let reported = app
            .record(
                SW,
                episode.id,
                event(
                    "2024-09-06T22:00:00+01:00",
                    "reported_missing",
                    json!({"to": "Metropolitan Police"}),
                ),
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let strategy = find(&reported.obligations, "NEWHAM-STRAT-24H").clone();

        // Unrelated changes: a risk grading, the child's record, the clock moving on.
        app.set_now("2024-09-06T21:30:00Z").await;
        let graded = app
            .record(
                SW,
                episode.id,
                event(
                    "2024-09-06T22:20:00+01:00",
                    "risk_graded",
                    json!({"level": "medium"}),
                ),
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            find(&graded.obligations, "NEWHAM-STRAT-24H").id,
            strategy.id
        );
        let sw = app.actor(SW).await;
        let scope = app
            .casework
            .change_child(&sw, child, Permission::EditChild)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let (record, _) = app
            .casework
            .child_record(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.casework
            .update_child(
                &scope,
                record.version,
                &ChildChange {
                    name: record.name.clone(),
                    dob: record.dob.clone(),
                    facts: Facts {
                        flags: vec![
                            "open_to_csc".into(),
                            "allocated_sw".into(),
                            "cp_plan".into(),
                        ],
                        concerns: Vec::new(),
                    },
                },
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.set_now("2024-09-07T12:00:00Z").await;
        let open = app
            .casework
            .child_obligations(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let still = find(&open, "NEWHAM-STRAT-24H");
        assert_eq!(still.id, strategy.id);
        assert_eq!(still.obligation.due, strategy.obligation.due);

        // The ID read at the start discharges now.
        let done = app
            .casework
            .discharge(&sw, strategy.id, "strategy meeting held by phone", None)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(done.obligations.iter().all(|o| o.id != strategy.id));
        let ended = stored(&app, strategy.id).await;
        assert_eq!(ended.obligation.ended, Some(Ended::Discharged));
        assert_eq!(
            ended.obligation.met_at,
            Some(super::support::at("2024-09-07T12:00:00Z").into())
        );
        assert_eq!(ended.obligation.due, strategy.obligation.due);
    });
}

#[test]
fn an_ended_obligation_is_refused_with_why_and_what_replaced_it() {
    on_both(|app| async move {
        let (_, episode) = app.seed_child().await;
        let sw = app.actor(SW).await;
        app.set_now("2024-09-06T21:05:00Z").await;
        let reported = app
            .record(
                SW,
                episode.id,
                event(
                    "2024-09-06T22:00:00+01:00",
                    "reported_missing",
                    json!({"to": "Metropolitan Police"}),
                ),
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let strategy = find(&reported.obligations, "NEWHAM-STRAT-24H").clone();
        app.casework
            .discharge(&sw, strategy.id, "held", None)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let again = app
            .casework
            .discharge(&sw, strategy.id, "held again", None)
            .await
            .err()
            .unwrap_or_else(|| unreachable!("a met obligation was discharged twice"));
        assert_eq!(again.code(), Code::ObligationEnded, "{again}");
        let details = again.details().cloned().unwrap_or_default();
        assert_eq!(details["ended"], "discharged");
        assert_eq!(details["id"], strategy.id.get());
        assert!(details["met_at"].is_string(), "{details}");
        assert_eq!(details["replaced_by"], json!([]));

        // Three days on and still missing: the 72-hour safeguarding meeting is due; once the
        // child is found it no longer applies (it ends when found), and its ID says so.
        app.set_now("2024-09-09T21:30:00Z").await;
        let open = app
            .casework
            .change_child(&sw, reported.episode.child_id, Permission::ReadObligations)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let safeguarding = find(
            &app.casework
                .child_obligations(&open)
                .await
                .unwrap_or_else(|e| unreachable!("{e}")),
            "NEWHAM-SAFEG-72H",
        )
        .clone();
        app.record(
            SW,
            episode.id,
            event(
                "2024-09-09T22:00:00+01:00",
                "located",
                json!({"where": "Stratford, E15 1AZ"}),
            ),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
        let ended = stored(&app, safeguarding.id).await;
        assert_eq!(ended.obligation.ended, Some(Ended::NoLongerApplies));
        assert_eq!(ended.obligation.met_at, None);
        let refused = app
            .casework
            .discharge(&sw, safeguarding.id, "too late", None)
            .await
            .err()
            .unwrap_or_else(|| unreachable!("an ended obligation was discharged"));
        assert_eq!(refused.code(), Code::ObligationEnded);
        assert_eq!(
            refused.details().cloned().unwrap_or_default()["ended"],
            "no_longer_applies"
        );
        assert!(
            refused.message().contains("no longer asks"),
            "{}",
            refused.message()
        );
    });
}

#[test]
fn a_recurring_review_is_replaced_and_the_ended_one_names_its_successor() {
    const SW: &str = "social_worker.merton";
    on_both(|app| async move {
        let (_, episode) = app.seed_child_of(SW, "MERTON", "MERTON").await;
        let sw = app.actor(SW).await;
        app.set_now("2024-09-06T21:05:00Z").await;
        app.record(
            SW,
            episode.id,
            event(
                "2024-09-06T22:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"}),
            ),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
        // Merton asks for the Leadership Alert to be updated after each face-to-face strategy
        // meeting: one obligation per meeting.
        let meeting = |at: &str| {
            event(
                at,
                "meeting_held",
                json!({"meeting_type": "strategy", "chair": "Team manager", "face_to_face": true}),
            )
        };
        app.set_now("2024-09-07T12:00:00Z").await;
        app.record(SW, episode.id, meeting("2024-09-07T10:00:00+01:00"))
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let scope = app
            .casework
            .change_child(&sw, episode.child_id, Permission::ReadObligations)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let open = app
            .casework
            .child_obligations(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let first = find(&open, "MERTON-SLA-UPDATE").id;
        app.casework
            .discharge(&sw, first, "updated after the first meeting", None)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.set_now("2024-09-07T14:00:00Z").await;
        app.record(SW, episode.id, meeting("2024-09-07T14:30:00+01:00"))
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let open = app
            .casework
            .child_obligations(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let second = find(&open, "MERTON-SLA-UPDATE").id;
        assert_ne!(second, first);
        let refused = app
            .casework
            .discharge(&sw, first, "again", None)
            .await
            .err()
            .unwrap_or_else(|| unreachable!("discharged twice"));
        assert_eq!(refused.code(), Code::ObligationEnded);
        assert_eq!(
            refused.details().cloned().unwrap_or_default()["replaced_by"],
            json!([second.get()])
        );
        assert!(
            refused
                .message()
                .contains(&format!("replaced by obligation {second}")),
            "{}",
            refused.message()
        );
    });
}
