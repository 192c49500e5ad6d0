//! One test or more per rule family, each on a small timeline built for the purpose.

use serde_json::{Value, json};

use super::{evaluate, of};

/// A timeline for one protocol and role with a child whose fields are overridden by `child`.
fn timeline(protocol: &str, role: &str, child: Value, events: Value, at: &str) -> Value {
    let mut base = json!({
        "dob": "2010-06-01", "legal_status": "none", "placement_type": "family_home",
        "responsible_authority": "Sheffield City Council", "police_force": "South Yorkshire Police"
    });
    if let (Some(b), Some(c)) = (base.as_object_mut(), child.as_object()) {
        for (k, v) in c {
            b.insert(k.clone(), v.clone());
        }
    }
    json!({
        "format": "timeline-v1", "id": "T", "rulesets": [{"protocol": protocol, "role": role}],
        "child": base, "events": events, "evaluate_at": at
    })
}

fn ev(at: &str, kind: &str, data: Value) -> Value {
    json!({"at": at, "type": kind, "data": data})
}

fn hips_home() -> Value {
    json!({"responsible_authority": "Portsmouth City Council", "police_force": "Hampshire Constabulary"})
}

#[test]
fn notify_hips_police_to_la_by_day_of_report() {
    // AMB-05: a working-day report is due 24h later even on a Saturday.
    let fri = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        json!([ev(
            "2024-07-12T16:00:00+01:00",
            "reported_missing",
            json!({"to": "Hampshire Constabulary"})
        )]),
        "2024-07-12T17:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&fri), "HIPS-NOT-POL-LA"),
        vec![(Some("2024-07-13T16:00:00+01:00".into()), "open")]
    );
    // Reported on a Saturday: end of the next working day (Monday).
    let sat = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        json!([ev(
            "2024-07-13T10:00:00+01:00",
            "reported_missing",
            json!({"to": "Hampshire Constabulary"})
        )]),
        "2024-07-13T11:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&sat), "HIPS-NOT-POL-LA"),
        vec![(Some("2024-07-15T23:59:59+01:00".into()), "open")]
    );
    // Another force: no Hampshire police duty.
    let kent = timeline(
        "HIPS",
        "responsible",
        json!({"police_force": "Kent Police"}),
        json!([ev(
            "2024-07-13T10:00:00+01:00",
            "reported_missing",
            json!({"to": "Kent Police"})
        )]),
        "2024-07-13T11:00:00+01:00",
    );
    assert!(of(&evaluate(&kent), "HIPS-NOT-POL-LA").is_empty());
}

#[test]
fn escalation_thresholds_need_the_child_still_missing_and_then_persist() {
    let child = json!({"responsible_authority": "London Borough of Newham", "police_force": "Metropolitan Police"});
    let report = ev(
        "2024-03-27T10:00:00+00:00",
        "reported_missing",
        json!({"to": "Metropolitan Police"}),
    );
    // P7D is calendar time: 10:00 GMT on 27 March + 7 days = 10:00 BST on 3 April.
    let missing = timeline(
        "NEWHAM",
        "responsible",
        child.clone(),
        json!([report]),
        "2024-04-03T10:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&missing), "NEWHAM-ESC-HOME-7D"),
        vec![(Some("2024-04-03T10:00:00+01:00".into()), "open")]
    );
    // Found one minute before the threshold: never created.
    let found = timeline(
        "NEWHAM",
        "responsible",
        child.clone(),
        json!([
            report,
            ev("2024-04-03T09:59:00+01:00", "located", json!({}))
        ]),
        "2024-04-05T10:00:00+01:00",
    );
    assert!(of(&evaluate(&found), "NEWHAM-ESC-HOME-7D").is_empty());
    // Found after the threshold: the escalation persists (C9), now overdue.
    let later = timeline(
        "NEWHAM",
        "responsible",
        child,
        json!([
            report,
            ev("2024-04-03T12:00:00+01:00", "located", json!({}))
        ]),
        "2024-04-05T10:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&later), "NEWHAM-ESC-HOME-7D"),
        vec![(Some("2024-04-03T10:00:00+01:00".into()), "overdue")]
    );
}

#[test]
fn review_cadence_restarts_from_the_latest_update_and_ends_when_found() {
    let report = ev(
        "2024-07-01T10:00:00+01:00",
        "reported_missing",
        json!({"to": "Hampshire Constabulary"}),
    );
    let mut update = ev(
        "2024-07-02T16:00:00+01:00",
        "notification_sent",
        json!({"to": "Portsmouth CSC"}),
    );
    update["satisfies"] = json!(["HIPS-ESC-HOME-DAILY"]);
    let daily = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        json!([report, update]),
        "2024-07-03T12:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&daily), "HIPS-ESC-HOME-DAILY"),
        vec![(Some("2024-07-03T16:00:00+01:00".into()), "open")]
    );
    let found = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        json!([
            report,
            update,
            ev("2024-07-03T11:00:00+01:00", "located", json!({}))
        ]),
        "2024-07-03T12:00:00+01:00",
    );
    assert!(of(&evaluate(&found), "HIPS-ESC-HOME-DAILY").is_empty());
}

#[test]
fn meetings_status_trigger_persists_and_needs_face_to_face() {
    let child = json!({"dob": "2013-06-01", "responsible_authority": "London Borough of Merton", "police_force": "Metropolitan Police"});
    let report = ev(
        "2024-07-01T10:00:00+01:00",
        "reported_missing",
        json!({"to": "Metropolitan Police"}),
    );
    let back = ev("2024-07-01T15:00:00+01:00", "returned", json!({}));
    let phone = ev(
        "2024-07-02T10:00:00+01:00",
        "meeting_held",
        json!({"meeting_type": "strategy", "face_to_face": false}),
    );
    // Aged 11 (under 12): the strategy meeting exists from the report and survives the return;
    // a meeting by telephone does not discharge it.
    let t = timeline(
        "MERTON",
        "responsible",
        child.clone(),
        json!([report, back, phone]),
        "2024-07-05T10:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&t), "MERTON-STRAT"),
        vec![(Some("2024-07-04T23:59:59+01:00".into()), "overdue")]
    );
    let f2f = ev(
        "2024-07-02T10:00:00+01:00",
        "meeting_held",
        json!({"meeting_type": "strategy"}),
    );
    let t = timeline(
        "MERTON",
        "responsible",
        child,
        json!([report, back, f2f]),
        "2024-07-05T10:00:00+01:00",
    );
    assert!(of(&evaluate(&t), "MERTON-STRAT").is_empty());
}

#[test]
fn interviews_a_refusal_discharges_only_for_a_child_not_in_care() {
    let events = json!([
        ev(
            "2024-07-01T10:00:00+01:00",
            "reported_missing",
            json!({"to": "Hampshire Constabulary"})
        ),
        ev("2024-07-02T12:00:00+01:00", "returned", json!({})),
        ev("2024-07-03T12:00:00+01:00", "rhi_declined", json!({}))
    ]);
    let home = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        events.clone(),
        "2024-07-04T12:00:00+01:00",
    );
    assert!(of(&evaluate(&home), "HIPS-RHI-72H").is_empty());
    let mut care = hips_home();
    care["legal_status"] = json!("s20");
    care["placement_type"] = json!("foster");
    let care = timeline(
        "HIPS",
        "responsible",
        care,
        events,
        "2024-07-04T12:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&care), "HIPS-RHI-72H"),
        vec![(Some("2024-07-05T12:00:00+01:00".into()), "open")]
    );
}

#[test]
fn interviews_missing_exactly_24_hours_is_not_over_24_hours() {
    let events = |ret: &str| {
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Hampshire Constabulary"})
            ),
            ev(ret, "returned", json!({}))
        ])
    };
    let exact = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        events("2024-07-02T10:00:00+01:00"),
        "2024-07-02T11:00:00+01:00",
    );
    assert!(of(&evaluate(&exact), "HIPS-RHI-72H").is_empty());
    let over = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        events("2024-07-02T10:00:01+01:00"),
        "2024-07-02T11:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&over), "HIPS-RHI-72H"),
        vec![(Some("2024-07-05T10:00:01+01:00".into()), "open")]
    );
}

#[test]
fn repeat_windows_are_closed_and_count_only_police_reports() {
    let with_first = |first: &str| {
        let mut child = json!({"prior_episodes": [
            {"reported_missing_at": first},
            {"reported_missing_at": "2024-02-14T21:00:00+00:00"}
        ]});
        child["legal_status"] = json!("s20");
        timeline(
            "SY",
            "responsible",
            child,
            json!([ev(
                "2024-02-29T21:00:00+00:00",
                "reported_missing",
                json!({"to": "South Yorkshire Police"})
            )]),
            "2024-03-01T09:00:00+00:00",
        )
    };
    // Exactly 28 days earlier counts…
    assert_eq!(
        of(
            &evaluate(&with_first("2024-02-01T21:00:00+00:00")),
            "SY-STRAT-REPEAT"
        )
        .len(),
        1
    );
    // …one second more does not.
    assert!(
        of(
            &evaluate(&with_first("2024-02-01T20:59:59+00:00")),
            "SY-STRAT-REPEAT"
        )
        .is_empty()
    );
    // An unreported away-from-placement episode in the file does not count either.
    let mut child = json!({"legal_status": "s20", "prior_episodes": [{"reported_missing_at": "2024-02-10T21:00:00+00:00"}]});
    child["placement_type"] = json!("foster");
    let t = timeline(
        "SY",
        "responsible",
        child,
        json!([
            ev(
                "2024-02-20T21:00:00+00:00",
                "absence_noticed",
                json!({"status": "awol", "whereabouts_known": true, "contactable": true})
            ),
            ev("2024-02-21T08:00:00+00:00", "returned", json!({})),
            ev(
                "2024-02-29T21:00:00+00:00",
                "reported_missing",
                json!({"to": "South Yorkshire Police"})
            )
        ]),
        "2024-03-01T09:00:00+00:00",
    );
    assert!(of(&evaluate(&t), "SY-STRAT-REPEAT").is_empty());
}

#[test]
fn risk_grading_constraint_follows_the_latest_grade() {
    let report = ev(
        "2024-07-01T10:00:00+01:00",
        "reported_missing",
        json!({"to": "Hampshire Constabulary"}),
    );
    let low = ev(
        "2024-07-01T10:05:00+01:00",
        "risk_graded",
        json!({"level": "low"}),
    );
    let t = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        json!([report, low]),
        "2024-07-01T11:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&t), "HIPS-RISK-HOME-HM"),
        vec![(Some("2024-07-01T10:05:00+01:00".into()), "overdue")]
    );
    let medium = ev(
        "2024-07-01T10:30:00+01:00",
        "risk_graded",
        json!({"level": "medium"}),
    );
    let t = timeline(
        "HIPS",
        "responsible",
        hips_home(),
        json!([report, low, medium]),
        "2024-07-01T11:00:00+01:00",
    );
    assert!(of(&evaluate(&t), "HIPS-RISK-HOME-HM").is_empty());
}

#[test]
fn out_of_hours_overnight_rule_is_immediate_in_the_small_hours() {
    let mut child = hips_home();
    child["legal_status"] = json!("s31_care_order");
    child["placement_type"] = json!("residential");
    let t = timeline(
        "HIPS",
        "responsible",
        child,
        json!([ev(
            "2024-07-02T02:00:00+01:00",
            "absence_noticed",
            json!({"status": "unauthorised_absence", "whereabouts_known": false, "contactable": false})
        )]),
        "2024-07-02T02:30:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&t), "HIPS-CLS-OVERNIGHT"),
        vec![(Some("2024-07-02T02:00:00+01:00".into()), "overdue")]
    );
}

#[test]
fn shares_are_discharged_separately() {
    let mut child = hips_home();
    child["legal_status"] = json!("s20");
    child["placement_type"] = json!("foster");
    let mut carer = ev(
        "2024-07-01T16:00:00+01:00",
        "notification_sent",
        json!({"to": "Hampshire Constabulary"}),
    );
    carer["satisfies"] = json!(["HIPS-RET-CIC-CONFIRM/CARER"]);
    let t = timeline(
        "HIPS",
        "responsible",
        child,
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Hampshire Constabulary"})
            ),
            ev("2024-07-01T15:00:00+01:00", "returned", json!({})),
            carer
        ]),
        "2024-07-01T17:00:00+01:00",
    );
    let (catalog, calendar) = super::setup();
    let timeline =
        protocol::timeline::parse(&t.to_string(), catalog).unwrap_or_else(|e| unreachable!("{e}"));
    let open: Vec<_> = protocol::Engine::new(catalog, calendar)
        .evaluate(&timeline, timeline.evaluate_at)
        .into_iter()
        .filter(|o| catalog.rule(o.rule).id.get_ref().as_str() == "HIPS-RET-CIC-CONFIRM")
        .map(|o| o.share)
        .collect();
    assert_eq!(open, vec![Some(protocol::vocabulary::Share::Police)]);
}

#[test]
fn forms_follow_the_return_interview() {
    let child = json!({"responsible_authority": "London Borough of Newham", "police_force": "Metropolitan Police"});
    let t = timeline(
        "NEWHAM",
        "responsible",
        child,
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"})
            ),
            ev("2024-07-01T15:00:00+01:00", "returned", json!({})),
            ev("2024-07-02T15:00:00+01:00", "rhi_completed", json!({}))
        ]),
        "2024-07-02T16:00:00+01:00",
    );
    let out = evaluate(&t);
    assert_eq!(of(&out, "NEWHAM-RHI-RECORD"), vec![(None, "open")]);
    assert_eq!(of(&out, "NEWHAM-RHI-INTEL"), vec![(None, "open")]);
    assert!(of(&out, "NEWHAM-RHI-72H").is_empty());
}

#[test]
fn a_second_episode_counts_the_first_and_both_keep_their_obligations() {
    let child = json!({"responsible_authority": "London Borough of Newham", "police_force": "Metropolitan Police"});
    let t = timeline(
        "NEWHAM",
        "responsible",
        child,
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"})
            ),
            ev("2024-07-01T15:00:00+01:00", "returned", json!({})),
            ev(
                "2024-07-03T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"})
            )
        ]),
        "2024-07-03T11:00:00+01:00",
    );
    let out = evaluate(&t);
    // The first episode's interview is still owed; the second episode has a prior episode, so a
    // trigger plan is needed.
    assert_eq!(
        of(&out, "NEWHAM-RHI-72H"),
        vec![(Some("2024-07-04T15:00:00+01:00".into()), "open")]
    );
    assert_eq!(of(&out, "NEWHAM-TRIGGER-PLAN"), vec![(None, "open")]);
    assert_eq!(
        of(&out, "NEWHAM-STRAT-24H"),
        vec![(Some("2024-07-04T10:00:00+01:00".into()), "open")]
    );
}

#[test]
fn roles_limit_what_a_host_or_finder_evaluates() {
    let child = json!({"responsible_authority": "Kent County Council", "host_authority": "London Borough of Newham", "police_force": "Metropolitan Police", "legal_status": "s20", "placement_type": "foster"});
    let t = timeline(
        "NEWHAM",
        "host",
        child,
        json!([ev(
            "2024-07-01T10:00:00+01:00",
            "reported_missing",
            json!({"to": "Metropolitan Police"})
        )]),
        "2024-07-02T11:00:00+01:00",
    );
    let out = evaluate(&t);
    let rules: Vec<&str> = out.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(rules, vec!["NEWHAM-NONRES-LETTER"]);
}

#[test]
fn events_after_the_evaluation_instant_have_not_happened() {
    let child = json!({"responsible_authority": "London Borough of Newham", "police_force": "Metropolitan Police"});
    let t = timeline(
        "NEWHAM",
        "responsible",
        child,
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"})
            ),
            ev("2024-07-09T10:00:00+01:00", "located", json!({}))
        ]),
        "2024-07-04T10:00:00+01:00",
    );
    let out = evaluate(&t);
    assert_eq!(
        of(&out, "NEWHAM-SAFEG-72H"),
        vec![(Some("2024-07-04T10:00:00+01:00".into()), "open")]
    );
}

#[test]
fn checks_ask_for_a_correction_of_what_was_recorded() {
    let t = timeline(
        "SY",
        "responsible",
        json!({}),
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "South Yorkshire Police"})
            ),
            ev(
                "2024-07-01T10:10:00+01:00",
                "risk_graded",
                json!({"level": "no_apparent_risk"})
            )
        ]),
        "2024-07-01T11:00:00+01:00",
    );
    let out = evaluate(&t);
    assert_eq!(
        of(&out, "SY-RISK-CAT"),
        vec![(Some("2024-07-01T10:10:00+01:00".into()), "overdue")]
    );
    assert_eq!(
        of(&out, "SY-NAR-REVIEWTIME"),
        vec![(Some("2024-07-01T10:10:00+01:00".into()), "overdue")]
    );
}

#[test]
fn definitions_newham_absent_is_capped_at_24_hours_and_ends_when_seen_or_found() {
    let child = json!({"dob": "2010-01-10", "responsible_authority": "London Borough of Newham", "police_force": "Metropolitan Police"});
    let absent = ev(
        "2024-05-03T20:00:00+01:00",
        "absence_noticed",
        json!({"status": "absent", "whereabouts_known": false, "contactable": true}),
    );
    let t = timeline(
        "NEWHAM",
        "responsible",
        child.clone(),
        json!([absent]),
        "2024-05-04T19:59:00+01:00",
    );
    assert!(
        of(&evaluate(&t), "NEWHAM-DEF-ABSENT").is_empty(),
        "not before 24 hours"
    );
    let t = timeline(
        "NEWHAM",
        "responsible",
        child.clone(),
        json!([absent]),
        "2024-05-04T20:00:00+01:00",
    );
    assert_eq!(
        of(&evaluate(&t), "NEWHAM-DEF-ABSENT"),
        vec![(Some("2024-05-04T20:00:00+01:00".into()), "open")]
    );
    let seen = ev(
        "2024-05-04T18:00:00+01:00",
        "child_seen",
        json!({"mode": "in_person"}),
    );
    let t = timeline(
        "NEWHAM",
        "responsible",
        child.clone(),
        json!([absent, seen]),
        "2024-05-04T21:00:00+01:00",
    );
    assert!(
        of(&evaluate(&t), "NEWHAM-DEF-ABSENT").is_empty(),
        "seen by the informant"
    );
    // A child known to be at risk of CCE is never 'absent': report to police at once instead.
    let mut cce = child;
    cce["concerns"] = json!(["cce"]);
    let t = timeline(
        "NEWHAM",
        "responsible",
        cce,
        json!([absent]),
        "2024-05-04T21:00:00+01:00",
    );
    let out = evaluate(&t);
    assert!(of(&out, "NEWHAM-DEF-ABSENT").is_empty());
    assert_eq!(
        of(&out, "NEWHAM-CLS-CSE-CCE"),
        vec![(Some("2024-05-03T20:00:00+01:00".into()), "overdue")]
    );
}

#[test]
fn information_sharing_host_authority_tracks_children_placed_in_it() {
    let child = json!({"responsible_authority": "London Borough of Newham", "host_authority": "London Borough of Merton", "police_force": "Metropolitan Police", "legal_status": "s20", "placement_type": "residential"});
    let t = timeline(
        "MERTON",
        "host",
        child,
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"})
            ),
            ev("2024-07-01T15:00:00+01:00", "returned", json!({}))
        ]),
        "2024-07-02T16:00:00+01:00",
    );
    let out = evaluate(&t);
    let rules: Vec<&str> = out.iter().map(|o| o.0.as_str()).collect();
    // No Merton return interview for a child another borough placed here (AMB-37).
    assert_eq!(
        rules,
        vec!["MERTON-SAW-24H", "MERTON-INBOUND", "MERTON-WEEKLY"]
    );
    assert_eq!(
        of(&out, "MERTON-SAW-24H"),
        vec![(Some("2024-07-02T15:00:00+01:00".into()), "overdue")]
    );
}

#[test]
fn operations_high_risk_response_persists_after_the_return() {
    let t = timeline(
        "SY",
        "responsible",
        json!({}),
        json!([
            ev(
                "2024-07-01T10:00:00+01:00",
                "reported_missing",
                json!({"to": "South Yorkshire Police"})
            ),
            ev(
                "2024-07-01T10:10:00+01:00",
                "risk_graded",
                json!({"level": "high"})
            ),
            ev(
                "2024-07-01T10:20:00+01:00",
                "risk_graded",
                json!({"level": "medium"})
            ),
            ev("2024-07-01T12:00:00+01:00", "located", json!({}))
        ]),
        "2024-07-01T13:00:00+01:00",
    );
    let out = evaluate(&t);
    assert_eq!(of(&out, "SY-HIGH-RESPONSE"), vec![(None, "open")]);
    assert_eq!(
        of(&out, "SY-HIGH-CS"),
        vec![(Some("2024-07-01T10:10:00+01:00".into()), "overdue")]
    );
    assert!(
        of(&out, "SY-RISK-REVIEW-8H").is_empty(),
        "reviews end when the child is found"
    );
}
