//! Lists, on both backends: what the children list, My work, Missing now, the weekly list, the
//! charts and the home page counts read — from the tables every plan keeps current, filtered,
//! ordered and paged by the database, each authority seeing only the children its plans let it.

use protocol::vocabulary::{MeetingType, OwnerRole, RiskLevel};
use serde_json::json;
use store::*;

mod support;

use support::fixtures::{add_child, append, audit, event, event_with, open, placement, t, world};
use support::planner::planner;
use support::{Backing, TestResult};

/// A queue row as `Ada:REPORTED_MISSING` (first name, rule without its `TEST-` prefix).
fn label(child_name: &str, rule: &str) -> String {
    format!(
        "{}:{}",
        child_name.split(' ').next().unwrap_or_default(),
        rule.trim_start_matches("TEST-")
    )
}

/// The queue a filter lists, as labels.
async fn queue(
    store: &dyn Store,
    authority: AuthorityId,
    owner_role: Option<OwnerRole>,
    window: DueWindow,
    child: Option<ChildId>,
    (limit, offset): (i64, i64),
) -> Result<Vec<String>, StoreError> {
    Ok(store
        .queue(&QueueFilter {
            authority,
            owner_role,
            window,
            child,
            limit,
            offset,
        })
        .await?
        .iter()
        .map(|r| label(&r.child_name, &r.obligation.obligation.rule))
        .collect())
}

/// Names on a page of the children list.
async fn names(
    store: &dyn Store,
    authority: AuthorityId,
    search: Option<&str>,
    (limit, offset): (i64, i64),
) -> Result<Vec<String>, StoreError> {
    Ok(store
        .children_page(authority, search, limit, offset)
        .await?
        .into_iter()
        .map(|r| r.child.name)
        .collect())
}

/// Episodes of a list, as `Ada:<risk>`, and their child's first name.
fn episodes(rows: &[EpisodeRow]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{}:{}",
                r.child_name.split(' ').next().unwrap_or_default(),
                r.status.risk.map_or("none", |l| l.as_str())
            )
        })
        .collect()
}

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;
    let (n, m, k) = (w.newham.id, w.merton.id, w.kent.id);
    let by = w.sw.id;
    let child = |name: &'static str, responsible, host| async move {
        add_child(
            store,
            name,
            &placement(responsible, host, "2024-01-01"),
            t(0),
        )
        .await
    };
    let ada = child("Ada Lovelace", n, n).await?;
    let ben = child("Ben Okri", n, m).await?;
    let cara = child("Cara Dune", m, m).await?;
    let dan = child("Dan Smith", n, n).await?;
    let eve = child("Eve Moneypenny", n, n).await?;
    let zed = child("Zed_Zero 100%", n, n).await?;

    // The children list: by name, paged, searched ignoring case with `%`, `_` and `\` taken
    // literally, and only the children an authority may see.
    let everyone = [
        "Ada Lovelace",
        "Ben Okri",
        "Dan Smith",
        "Eve Moneypenny",
        "Zed_Zero 100%",
    ];
    assert_eq!(names(store, n, None, (10, 0)).await?, everyone);
    assert_eq!(names(store, n, None, (2, 0)).await?, everyone[..2]);
    assert_eq!(names(store, n, None, (2, 2)).await?, everyone[2..4]);
    assert_eq!(names(store, n, None, (2, 4)).await?, everyone[4..]);
    assert!(names(store, n, None, (2, 6)).await?.is_empty());
    assert_eq!(
        names(store, m, None, (10, 0)).await?,
        ["Ben Okri", "Cara Dune"]
    );
    assert!(names(store, k, None, (10, 0)).await?.is_empty());
    for (search, found) in [
        ("ben", &["Ben Okri"][..]),
        ("BEN", &["Ben Okri"]),
        (
            "e",
            &[
                "Ada Lovelace",
                "Ben Okri",
                "Eve Moneypenny",
                "Zed_Zero 100%",
            ],
        ),
        ("_", &["Zed_Zero 100%"]),
        ("%", &["Zed_Zero 100%"]),
        ("0%", &["Zed_Zero 100%"]),
        ("d_n", &[]),
        ("a%e", &[]),
        ("\\", &[]),
        ("cara", &[]),
    ] {
        assert_eq!(
            names(store, n, Some(search), (10, 0)).await?,
            found,
            "{search}"
        );
    }
    assert_eq!(
        names(store, n, Some("e"), (2, 1)).await?,
        ["Ben Okri", "Eve Moneypenny"]
    );

    // Episodes. Each live event asks something of the episode's responsible authority, due an
    // hour later unless it says otherwise (see support::planner).
    let a1 = open(store, ada.id, t(1)).await?;
    append(store, a1.id, &event(t(1), "reported_missing", by)).await?;
    let graded = |level: &str, owner: &str, due_in: Option<i64>| json!({ "level": level, "owner": owner, "due_in": due_in });
    append(
        store,
        a1.id,
        &event_with(
            t(2),
            "risk_graded",
            graded("high", "team_manager", Some(6)),
            by,
        ),
    )
    .await?;
    append(
        store,
        a1.id,
        &event_with(t(3), "note", json!({ "due_in": null }), by),
    )
    .await?;
    let b1 = open(store, ben.id, t(4)).await?;
    append(store, b1.id, &event(t(4), "reported_missing", by)).await?;
    append(
        store,
        b1.id,
        &event_with(t(4), "risk_graded", graded("medium", "police", None), by),
    )
    .await?;
    let c1 = open(store, cara.id, t(2)).await?;
    append(store, c1.id, &event(t(2), "reported_missing", by)).await?;
    append(
        store,
        c1.id,
        &event_with(
            t(2),
            "risk_graded",
            graded("high", "social_worker", Some(1)),
            by,
        ),
    )
    .await?;
    let d1 = open(store, dan.id, t(0)).await?;
    append(store, d1.id, &event(t(0), "reported_missing", by)).await?;
    append(store, d1.id, &event(t(6), "found", by)).await?;
    let d2 = open(store, dan.id, t(20)).await?;
    append(store, d2.id, &event(t(20), "reported_missing", by)).await?;
    let e1 = open(store, eve.id, t(3)).await?;
    append(store, e1.id, &event(t(3), "reported_missing", by)).await?;
    append(
        store,
        e1.id,
        &event_with(t(3), "risk_graded", graded("high", "edt", Some(2)), by),
    )
    .await?;

    // The children list counts each child's episodes and says who is missing now.
    let rows = store.children_page(n, None, 10, 0).await?;
    assert_eq!(
        rows.iter()
            .map(|r| (r.child.id, r.episodes, r.missing))
            .collect::<Vec<_>>(),
        [
            (ada.id, 1, true),
            (ben.id, 1, true),
            (dan.id, 2, true),
            (eve.id, 1, true),
            (zed.id, 0, false)
        ]
    );
    assert_eq!(rows[0].child, store.child(ada.id).await?.ok_or("Ada")?);

    // My work. Newham's open obligations (Dan's first episode's was met when he was found):
    //   Ada  REPORTED_MISSING due 2 (social worker)   Ada  RISK_GRADED due 8 (team manager)
    //   Ada  NOTE undated, activated 3 (social worker)
    //   Ben  REPORTED_MISSING due 5 (social worker)   Ben  RISK_GRADED undated, activated 4 (police)
    //   Dan  REPORTED_MISSING due 21 (social worker)
    //   Eve  REPORTED_MISSING due 4 (social worker)   Eve  RISK_GRADED due 5 (EDT)
    let any = (50, 0);
    assert_eq!(
        queue(store, n, None, DueWindow::Any, None, any).await?,
        [
            "Ada:REPORTED_MISSING",
            "Eve:REPORTED_MISSING",
            "Ben:REPORTED_MISSING",
            "Eve:RISK_GRADED",
            "Ada:RISK_GRADED",
            "Dan:REPORTED_MISSING",
            "Ada:NOTE",
            "Ben:RISK_GRADED"
        ],
        "by due, undated last"
    );
    assert_eq!(
        queue(
            store,
            n,
            Some(OwnerRole::SocialWorker),
            DueWindow::Any,
            None,
            any
        )
        .await?,
        [
            "Ada:REPORTED_MISSING",
            "Eve:REPORTED_MISSING",
            "Ben:REPORTED_MISSING",
            "Dan:REPORTED_MISSING",
            "Ada:NOTE"
        ]
    );
    for (role, expected) in [
        (OwnerRole::TeamManager, &["Ada:RISK_GRADED"][..]),
        (OwnerRole::Police, &["Ben:RISK_GRADED"]),
        (OwnerRole::Edt, &["Eve:RISK_GRADED"]),
        (OwnerRole::Carer, &[]),
    ] {
        assert_eq!(
            queue(store, n, Some(role), DueWindow::Any, None, any).await?,
            expected,
            "{role}"
        );
    }
    assert_eq!(
        queue(store, n, None, DueWindow::Before(t(5)), None, any).await?,
        ["Eve:REPORTED_MISSING", "Ada:REPORTED_MISSING"],
        "overdue: the most recently overdue first"
    );
    assert_eq!(
        queue(store, n, None, DueWindow::Between(t(4), t(8)), None, any).await?,
        [
            "Eve:REPORTED_MISSING",
            "Ben:REPORTED_MISSING",
            "Eve:RISK_GRADED"
        ],
        "[from, to)"
    );
    assert_eq!(
        queue(store, n, None, DueWindow::From(t(5)), None, any).await?,
        [
            "Ben:REPORTED_MISSING",
            "Eve:RISK_GRADED",
            "Ada:RISK_GRADED",
            "Dan:REPORTED_MISSING"
        ]
    );
    assert_eq!(
        queue(store, n, None, DueWindow::Undated, None, any).await?,
        ["Ada:NOTE", "Ben:RISK_GRADED"],
        "by activation"
    );
    assert_eq!(
        queue(store, n, None, DueWindow::Any, Some(ben.id), any).await?,
        ["Ben:REPORTED_MISSING", "Ben:RISK_GRADED"]
    );
    assert_eq!(
        queue(
            store,
            n,
            Some(OwnerRole::Police),
            DueWindow::Any,
            Some(ben.id),
            any
        )
        .await?,
        ["Ben:RISK_GRADED"]
    );
    assert_eq!(
        queue(
            store,
            n,
            Some(OwnerRole::SocialWorker),
            DueWindow::Between(t(0), t(3)),
            Some(ada.id),
            any
        )
        .await?,
        ["Ada:REPORTED_MISSING"]
    );
    assert!(
        queue(store, n, None, DueWindow::Any, Some(cara.id), any)
            .await?
            .is_empty(),
        "Cara's obligations are Merton's"
    );
    assert_eq!(
        queue(store, n, None, DueWindow::Any, None, (3, 2)).await?,
        ["Ben:REPORTED_MISSING", "Eve:RISK_GRADED", "Ada:RISK_GRADED"]
    );
    assert_eq!(
        queue(store, m, None, DueWindow::Any, None, any).await?,
        ["Cara:REPORTED_MISSING", "Cara:RISK_GRADED"]
    );
    let row = &store
        .queue(&QueueFilter {
            authority: n,
            owner_role: Some(OwnerRole::Edt),
            window: DueWindow::Any,
            child: None,
            limit: 1,
            offset: 0,
        })
        .await?[0];
    assert_eq!(
        (
            row.child_name.as_str(),
            row.obligation.child_id,
            row.obligation.obligation.episode_id,
            row.obligation.obligation.due
        ),
        ("Eve Moneypenny", eve.id, e1.id, Some(t(5)))
    );

    // The home page's counts: overdue at 5, due before 9, and later or undated.
    assert_eq!(store.obligation_counts(n, t(5), t(9)).await?, (2, 3, 3));
    assert_eq!(store.obligation_counts(m, t(5), t(9)).await?, (2, 0, 0));
    assert_eq!(store.obligation_counts(k, t(5), t(9)).await?, (0, 0, 0));

    // The charts: obligations of some rules due in [from, to), met or not.
    let rm = || vec!["TEST-REPORTED_MISSING".to_owned()];
    let chart = store.obligations_due(n, &rm(), t(0), t(6)).await?;
    assert_eq!(
        chart
            .iter()
            .map(|c| (c.due, c.met_at, c.ended, c.responsible_authority_id))
            .collect::<Vec<_>>(),
        [
            (t(1), Some(t(6)), Some(Ended::Discharged), n),
            (t(2), None, None, n),
            (t(4), None, None, n),
            (t(5), None, None, n)
        ]
    );
    assert!(chart.iter().all(|c| c.rule == "TEST-REPORTED_MISSING"));
    let both = vec![
        "TEST-REPORTED_MISSING".to_owned(),
        "TEST-RISK_GRADED".to_owned(),
    ];
    assert_eq!(
        store
            .obligations_due(n, &both, t(5), t(6))
            .await?
            .iter()
            .map(|c| c.rule.as_str())
            .collect::<Vec<_>>(),
        ["TEST-REPORTED_MISSING", "TEST-RISK_GRADED"]
    );
    assert!(store.obligations_due(n, &[], t(0), t(99)).await?.is_empty());
    assert_eq!(store.obligations_due(m, &rm(), t(0), t(99)).await?.len(), 1);

    // Missing now: only children an authority may see, highest risk first, then the longest
    // missing; paged.
    assert_eq!(
        episodes(&store.missing_now(n, 10, 0).await?),
        ["Ada:high", "Eve:high", "Ben:medium", "Dan:none"]
    );
    assert_eq!(
        episodes(&store.missing_now(n, 2, 1).await?),
        ["Eve:high", "Ben:medium"]
    );
    assert_eq!(
        episodes(&store.missing_now(m, 10, 0).await?),
        ["Cara:high", "Ben:medium"]
    );
    assert!(store.missing_now(k, 10, 0).await?.is_empty());
    let first = &store.missing_now(n, 1, 0).await?[0].status;
    assert_eq!(
        first,
        &EpisodeStatus {
            episode_id: a1.id,
            child_id: ada.id,
            missing: true,
            since: t(1),
            found_at: None,
            risk: Some(RiskLevel::High),
            rhi_at: None,
            next_due: Some((t(2), "TEST-REPORTED_MISSING".into())),
        }
    );

    // One child's episodes as the lists show them, oldest first, and one episode.
    let dans = store.child_episodes(dan.id).await?;
    assert_eq!(
        dans.iter()
            .map(|r| (
                r.status.episode_id,
                r.status.missing,
                r.status.since,
                r.status.found_at,
                r.child_name.as_str()
            ))
            .collect::<Vec<_>>(),
        [
            (d1.id, false, t(0), Some(t(6)), "Dan Smith"),
            (d2.id, true, t(20), None, "Dan Smith")
        ]
    );
    assert!(store.child_episodes(zed.id).await?.is_empty());
    assert_eq!(store.episode_status(d2.id).await?.as_ref(), dans.get(1));
    assert_eq!(
        store.episode_status(a1.id).await?.map(|r| r.status),
        Some(first.clone())
    );
    assert_eq!(store.episode_status(EpisodeId(999_999)).await?, None);

    // The weekly list: episodes open at any time in the window (started by its end, not found
    // before its start), highest risk first, then by name.
    assert_eq!(
        episodes(&store.episodes_between(n, t(7), t(10)).await?),
        ["Ada:high", "Eve:high", "Ben:medium"]
    );
    let week = store.episodes_between(n, t(6), t(20)).await?;
    assert_eq!(
        week.iter().map(|r| r.status.episode_id).collect::<Vec<_>>(),
        [a1.id, e1.id, b1.id, d1.id, d2.id],
        "found at the start, started at the end"
    );
    assert_eq!(
        week[3].status.found_at,
        Some(t(6)),
        "Dan's first episode, found"
    );
    assert_eq!(
        store
            .episodes_between(n, t(0), t(0))
            .await?
            .iter()
            .map(|r| r.status.episode_id)
            .collect::<Vec<_>>(),
        [d1.id]
    );
    assert_eq!(
        episodes(&store.episodes_between(m, t(0), t(99)).await?),
        ["Cara:high", "Ben:medium"]
    );

    // Episodes an authority is involved in, opened since an instant (charts).
    assert_eq!(
        store.episodes_opened(n, t(3)).await?,
        [(n, t(3)), (n, t(4)), (n, t(20))]
    );
    assert_eq!(
        store.episodes_opened(m, t(0)).await?,
        [(m, t(2)), (n, t(4))]
    );
    assert!(store.episodes_opened(k, t(0)).await?.is_empty());

    // Ben comes to notice in Kent: Kent's lists show him, and only him.
    let ben_episode = store.episode(b1.id).await?.ok_or("Ben's episode")?;
    store
        .set_finder(
            b1.id,
            ben_episode.version,
            Some(k),
            t(7),
            &planner(t(7)),
            &audit("write", "episode"),
        )
        .await?;
    assert_eq!(names(store, k, None, (10, 0)).await?, ["Ben Okri"]);
    assert_eq!(
        episodes(&store.missing_now(k, 10, 0).await?),
        ["Ben:medium"]
    );
    assert_eq!(store.episodes_opened(k, t(0)).await?, [(n, t(4))]);

    // Meeting actions still to do, of children an authority may see, by due (none last).
    let meeting = |actions: Vec<(&str, Option<Instant>)>| NewMeeting {
        meeting_type: MeetingType::Strategy,
        held_at: t(6),
        chair: "Chair".into(),
        attendees: "[]".into(),
        decisions: "-".into(),
        actions: actions
            .into_iter()
            .map(|(d, due_at)| NewAction {
                description: d.into(),
                owner: "someone".into(),
                due_at,
            })
            .collect(),
    };
    let held = event(t(6), "meeting_held", by);
    let ada_meeting = store
        .record_meeting(
            a1.id,
            &meeting(vec![
                ("visit", Some(t(9))),
                ("call", None),
                ("search", Some(t(7))),
            ]),
            &held,
            &planner(held.recorded_at),
            &audit("write", "meeting"),
        )
        .await?;
    store
        .record_meeting(
            c1.id,
            &meeting(vec![("cara's", Some(t(1)))]),
            &held,
            &planner(held.recorded_at),
            &audit("write", "meeting"),
        )
        .await?;
    let actions = |rows: Vec<OpenAction>| {
        rows.into_iter()
            .map(|a| a.action.description)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        actions(store.open_actions(n, 10).await?),
        ["search", "visit", "call"]
    );
    assert_eq!(actions(store.open_actions(n, 1).await?), ["search"]);
    assert_eq!(actions(store.open_actions(m, 10).await?), ["cara's"]);
    assert!(store.open_actions(k, 10).await?.is_empty());
    store
        .complete_action(
            ada_meeting.actions[2].id,
            t(8),
            &audit("write", "meeting_action"),
        )
        .await?;
    let open_actions = store.open_actions(n, 10).await?;
    assert_eq!(
        open_actions
            .iter()
            .map(|a| (
                a.action.description.as_str(),
                a.episode_id,
                a.child_id,
                a.child_name.as_str()
            ))
            .collect::<Vec<_>>(),
        [
            ("visit", a1.id, ada.id, "Ada Lovelace"),
            ("call", a1.id, ada.id, "Ada Lovelace")
        ]
    );

    // Names beyond ASCII are found ignoring every letter's case, on both backends alike.
    let elodie = child("Élodie Ørsted", n, n).await?;
    for (search, found) in [
        ("Élodie", true),
        ("lodie Ø", true),
        ("ÉLODIE ØRSTED", true),
        ("élodie ørsted", true),
        ("ørsted", true),
        ("Elodie", false),
    ] {
        let expected = if found {
            vec![elodie.name.clone()]
        } else {
            Vec::new()
        };
        assert_eq!(
            names(store, n, Some(search), (10, 0)).await?,
            expected,
            "{search}"
        );
    }

    // A child from before the lists were kept has no lists state until the casework layer
    // rebuilds it; every child's ID can be paged through for that.
    assert!(store.children_without_lists(10).await?.is_empty());
    b.execute(
        "INSERT INTO children (version, name, dob, facts, created_at, updated_at) \
         VALUES (1, 'Old Record', '2009-01-01', '{}', 0, 0)",
    )
    .await?;
    let old = store.children_without_lists(10).await?;
    assert_eq!(old.len(), 1);
    let ids = [
        ada.id, ben.id, cara.id, dan.id, eve.id, zed.id, elodie.id, old[0],
    ];
    assert_eq!(store.child_ids(ChildId(0), 4).await?, ids[..4]);
    assert_eq!(store.child_ids(ids[3], 100).await?, ids[4..]);
    assert!(store.child_ids(old[0], 100).await?.is_empty());
    store.recompute(&old, t(30), &planner(t(30))).await?;
    assert!(store.children_without_lists(10).await?.is_empty());
    // (Where `Élodie` sorts among the others is the database collation's business.)
    let mut seen = names(store, n, None, (10, 0)).await?;
    seen.sort();
    assert_eq!(
        seen,
        [&everyone[..], &["Élodie Ørsted"]].concat(),
        "no placement: nobody may see the old record"
    );
    Ok(())
}

#[test]
fn lists_on_sqlite() -> TestResult {
    support::on_sqlite("lists", story)
}

#[test]
fn lists_on_postgres() -> TestResult {
    support::on_postgres("lists", story)
}
