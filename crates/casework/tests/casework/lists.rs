//! The lists read what every change keeps current, and a list view is audited as one row naming
//! every child it showed; reading writes nothing else.

use casework::records::ChildId;
use serde_json::json;

use super::support::{event, on_both};

#[test]
fn a_list_view_writes_one_audit_row_naming_the_children_shown() {
    on_both(|app| async move {
        let (first, a) = app.seed_child().await;
        let (second, b) = app.seed_child().await;
        app.set_now("2024-09-06T21:05:00Z").await;
        for episode in [a.id, b.id] {
            app.record(
                "social_worker.newham",
                episode,
                event(
                    "2024-09-06T22:00:00+01:00",
                    "reported_missing",
                    json!({"to": "Metropolitan Police"}),
                ),
            )
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        }
        let tm = app.actor("team_manager.newham").await;
        let before = app
            .casework
            .audit_log()
            .await
            .unwrap_or_else(|e| unreachable!("{e}"))
            .len();
        let (rows, more) = app
            .casework
            .missing_now(&tm, 0)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!more);
        let shown: Vec<ChildId> = rows.iter().map(|r| r.status.child_id).collect();
        assert_eq!(shown.len(), 2);
        let log = app
            .casework
            .audit_log()
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(log.len(), before + 1, "one row for the whole list");
        let row = &log[before].entry;
        assert_eq!(row.entity, "missing_now");
        assert_eq!(row.action, "read");
        assert_eq!(row.user_id, Some(tm.id()));
        let mut expected = vec![first, second];
        expected.sort();
        assert_eq!(row.children, expected);
        assert!(matches!(app.casework.verify_audit().await, Ok(Ok(_))));

        // My work and the children list likewise.
        let work = app
            .casework
            .my_work(&tm, 0)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!work.overdue.is_empty() || !work.soon.is_empty() || !work.later.is_empty());
        let (children, _) = app
            .casework
            .children(&tm, None, 0, 50)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(children.len(), 2);
        let log = app
            .casework
            .audit_log()
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(log.len(), before + 3);
        assert_eq!(log[before + 1].entry.entity, "my_work");
        assert_eq!(log[before + 1].entry.children, expected);
        assert_eq!(log[before + 2].entry.entity, "child_list");
        assert_eq!(log[before + 2].entry.children, expected);
    });
}

#[test]
fn reading_the_lists_and_the_timeline_writes_nothing_but_audit_rows() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        app.set_now("2024-09-06T21:05:00Z").await;
        app.record(
            "social_worker.newham",
            episode.id,
            event(
                "2024-09-06T22:00:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"}),
            ),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
        let tables = [
            "obligations",
            "episode_status",
            "child_status",
            "child_visibility",
            "child_schedule",
            "events",
            "episodes",
        ];
        let mut before = Vec::new();
        for t in tables {
            before.push(app.rows(t).await);
        }
        // A day later, unplanned: the escalation that activated is not stored until the
        // scheduler (or a change) plans the child, and reading does not plan it.
        if let casework::Clock::Fixed(t) = app.casework.clock() {
            *t.lock().unwrap_or_else(|p| p.into_inner()) =
                super::support::at("2024-09-07T22:00:00Z");
        }
        let tm = app.actor("team_manager.newham").await;
        app.casework
            .my_work(&tm, 0)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.casework
            .missing_now(&tm, 0)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.casework
            .weekly(&tm)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.casework
            .charts(&tm)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let scope = app
            .casework
            .read_child(&tm, child, "timeline", child.get())
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        app.casework
            .timeline(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let mut after = Vec::new();
        for t in tables {
            after.push(app.rows(t).await);
        }
        assert_eq!(after, before);
    });
}
