//! One transaction per change: a change whose plan cannot be made (here a stored event an old
//! release left that the timeline reader now refuses) is refused and nothing of it is stored —
//! not the change, not its audit row, not the lists.

use casework::records::Instant;
use casework::{ChildChange, Code, Facts, Permission};
use serde_json::json;

use super::support::{event, on_both, placement};

#[test]
fn a_change_whose_plan_fails_commits_nothing() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        app.record(
            "social_worker.newham",
            episode.id,
            event(
                "2024-09-06T20:30:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"}),
            ),
        )
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
        let user = app.user("social_worker.newham").await;
        let at = Instant::from(super::support::at("2024-09-06T19:40:00Z")).micros();
        app.execute(&format!(
            "INSERT INTO events (episode_id, at, body, recorded_by, recorded_at) VALUES ({}, {at}, \
             '{{\"at\": \"2024-09-06T20:40:00+01:00\", \"type\": \"no_such_event\", \"data\": {{}}}}', {}, {at})",
            episode.id, user.id
        ))
        .await;
        let sw = app.actor("social_worker.newham").await;
        let scope = app
            .casework
            .change_child(&sw, child, Permission::EditChild)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let (before, _) = app
            .casework
            .child_record(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let tables = [
            "audit_log",
            "obligations",
            "episode_status",
            "child_visibility",
            "placements",
        ];
        let mut counts = Vec::new();
        for t in tables {
            counts.push(app.rows(t).await);
        }
        let change = ChildChange {
            name: "Lee Changed".into(),
            dob: "2009-04-04".into(),
            facts: Facts::default(),
        };

        // The child's record.
        let e = app
            .casework
            .update_child(&scope, before.version, &change)
            .await
            .err()
            .unwrap_or_else(|| unreachable!("the update was accepted"));
        assert_eq!(e.code(), Code::ValidationFailed, "{e}");
        let (after, _) = app
            .casework
            .child_record(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(after, before, "the child was changed");

        // A placement.
        let e = app
            .casework
            .add_placement(&scope, &placement("NEWHAM", "SHEFFIELD", "2024-09-01"))
            .await
            .err()
            .unwrap_or_else(|| unreachable!("the placement was accepted"));
        assert_eq!(e.code(), Code::ValidationFailed, "{e}");
        let placements = app
            .casework
            .placements(&scope)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(placements.len(), 1);
        assert!(placements[0].ends_on.is_none(), "the placement was ended");

        // The episode (where the child was found).
        let (escope, fresh) = app
            .casework
            .change_episode(&sw, episode.id, Permission::OpenEpisode)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        let e = app
            .casework
            .set_finder(&escope, &fresh, fresh.version, Some("SHEFFIELD"))
            .await
            .err()
            .unwrap_or_else(|| unreachable!("the finder was accepted"));
        assert_eq!(e.code(), Code::ValidationFailed, "{e}");
        let sheffield = app.actor("social_worker.sheffield").await;
        assert!(
            app.casework
                .read_child(&sheffield, child, "child", child.get())
                .await
                .is_err(),
            "Sheffield was given the child"
        );

        for (t, n) in tables.iter().zip(&counts) {
            assert_eq!(app.rows(t).await, *n, "{t} changed");
        }

        // The same changes go through once the file can be planned again.
        app.execute("DELETE FROM events WHERE body LIKE '%no_such_event%'")
            .await;
        let changed = app
            .casework
            .update_child(&scope, before.version, &change)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(changed.name, "Lee Changed");
        assert_eq!(changed.version, before.version + 1);
        app.casework
            .set_finder(&escope, &fresh, fresh.version, Some("SHEFFIELD"))
            .await
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(
            app.casework
                .read_child(&sheffield, child, "child", child.get())
                .await
                .is_ok(),
            "Sheffield, where the child was found, may see the child"
        );
        assert!(app.rows("audit_log").await > counts[0]);
    });
}

#[test]
fn a_refused_event_commits_nothing() {
    on_both(|app| async move {
        let (_, episode) = app.seed_child().await;
        let before = (
            app.rows("events").await,
            app.rows("audit_log").await,
            app.rows("obligations").await,
        );
        // Located before it happened is refused by the reader; a future instant by the layer.
        for bad in [
            event(
                "2024-09-06T20:30:00+01:00",
                "risk_graded",
                json!({"level": "extreme"}),
            ),
            event(
                "2024-09-07T20:30:00+01:00",
                "reported_missing",
                json!({"to": "Metropolitan Police"}),
            ),
        ] {
            let e = app
                .record("social_worker.newham", episode.id, bad)
                .await
                .err()
                .unwrap_or_else(|| unreachable!("accepted"));
            assert_eq!(e.code(), Code::ValidationFailed, "{e}");
            assert!(e.field().is_some_and(|f| f.starts_with("$.event")), "{e}");
        }
        let after = (
            app.rows("events").await,
            app.rows("audit_log").await,
            app.rows("obligations").await,
        );
        assert_eq!(after, before);
    });
}
