//! The charts: each SVG is well-formed XML with a title, a description and `role="img"`, and its
//! bars carry the figures of a known fixture: two episodes in consecutive weeks, one interview in
//! time and one late, and the obligations the API lists with their statuses.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use super::{Reply, TestApp, on_both};

/// The bars of an SVG chart as their tooltips (`series, category: value`), after checking the
/// document parses and describes itself.
fn bars(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml; charset=utf-8")
    );
    let doc = match roxmltree::Document::parse(&r.text) {
        Ok(doc) => doc,
        Err(e) => unreachable!("not XML: {e}\n{}", r.text),
    };
    let svg = doc.root_element();
    assert_eq!(svg.tag_name().name(), "svg");
    assert_eq!(svg.attribute("role"), Some("img"));
    for part in ["title", "desc"] {
        let text = svg
            .children()
            .find(|n| n.tag_name().name() == part)
            .and_then(|n| n.text())
            .unwrap_or_default();
        assert!(!text.is_empty(), "no <{part}> in {}", r.text);
    }
    svg.descendants()
        .filter(|n| n.tag_name().name() == "rect")
        .filter_map(|n| n.children().find(|c| c.tag_name().name() == "title"))
        .filter_map(|t| t.text().map(str::to_owned))
        .collect()
}

async fn event(app: &TestApp, episode: i64, at: &str, kind: &str, data: Value) {
    let r = app
        .post(
            &format!("/api/v1/episodes/{episode}/events"),
            "social_worker.newham",
            json!({"event": {"at": at, "type": kind, "data": data}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{kind}: {}", r.text);
}

#[test]
fn charts_are_svg_with_the_figures_of_the_store() {
    on_both(|app| async move {
        // Episode 1 opens on Friday 6 September 2024 (week of Monday 2 September); the child
        // is back the next morning and interviewed 24 hours later: in time.
        let (child, first) = app.seed_child().await;
        let police = json!({"to": "Metropolitan Police"});
        event(
            &app,
            first,
            "2024-09-06T21:00:00+01:00",
            "reported_missing",
            police.clone(),
        )
        .await;
        app.set_now("2024-09-08T12:00:00Z");
        event(
            &app,
            first,
            "2024-09-07T11:00:00+01:00",
            "returned",
            json!({}),
        )
        .await;
        event(
            &app,
            first,
            "2024-09-08T11:00:00+01:00",
            "rhi_completed",
            json!({"mode": "in_person"}),
        )
        .await;

        // Episode 2 opens on Tuesday 10 September; interviewed 96 hours after the return: late.
        app.set_now("2024-09-10T08:00:00Z");
        let r = app
            .post(
                &format!("/api/v1/children/{child}/episodes"),
                "social_worker.newham",
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let second = r.json["id"].as_i64().unwrap_or_default();
        event(
            &app,
            second,
            "2024-09-10T09:00:00+01:00",
            "reported_missing",
            police,
        )
        .await;
        app.set_now("2024-09-14T12:00:00Z");
        event(
            &app,
            second,
            "2024-09-10T13:00:00+01:00",
            "returned",
            json!({}),
        )
        .await;
        event(
            &app,
            second,
            "2024-09-14T13:00:00+01:00",
            "rhi_completed",
            json!({"mode": "in_person"}),
        )
        .await;

        app.set_now("2024-09-20T12:00:00Z");
        let newham = "London Borough of Newham";
        let weekly = bars(
            &app.get("/charts/episodes-per-week.svg", "social_worker.newham")
                .await,
        );
        assert_eq!(weekly.len(), 12, "{weekly:?}");
        assert_eq!(weekly[9], format!("{newham}, 2 Sep: 1"));
        assert_eq!(weekly[10], format!("{newham}, 9 Sep: 1"));
        assert_eq!(weekly[11], format!("{newham}, 16 Sep: 0"));
        assert!(weekly[..9].iter().all(|b| b.ends_with(": 0")), "{weekly:?}");

        let rhi = bars(
            &app.get("/charts/rhi-within-72h.svg", "social_worker.newham")
                .await,
        );
        assert_eq!(rhi.len(), 6, "{rhi:?}");
        assert_eq!(rhi[5], format!("{newham}, Sep 2024: 50%"));

        // The status chart counts what the API lists, by the API's status.
        let listed = app
            .get("/api/v1/obligations?per_page=200", "social_worker.newham")
            .await;
        let items = listed.json["items"].as_array().cloned().unwrap_or_default();
        let overdue = items.iter().filter(|o| o["status"] == "overdue").count();
        assert!(overdue > 0 && items.len() > overdue, "{}", listed.text);
        let statuses = bars(
            &app.get("/charts/obligations-by-status.svg", "social_worker.newham")
                .await,
        );
        assert_eq!(statuses[0], format!("Obligations, Overdue: {overdue}"));
        let rest: usize = statuses[1..]
            .iter()
            .filter_map(|b| b.rsplit(": ").next()?.parse::<usize>().ok())
            .sum();
        assert_eq!(rest, items.len() - overdue, "{statuses:?}");

        // The host authority sees the episodes placed with it; another authority sees none.
        let merton = bars(
            &app.get("/charts/episodes-per-week.svg", "social_worker.merton")
                .await,
        );
        assert_eq!(merton[9], format!("{newham}, 2 Sep: 1"));
        let sheffield = app
            .get("/charts/episodes-per-week.svg", "social_worker.sheffield")
            .await;
        assert!(
            bars(&sheffield).is_empty() && !sheffield.text.contains(newham),
            "{}",
            sheffield.text
        );

        // Signed-out callers and roles that see no child data get nothing.
        let anonymous = app
            .call(
                axum::http::Method::GET,
                "/charts/obligations-by-status.svg",
                None,
                None,
                &[],
            )
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let admin = app.get("/charts/rhi-within-72h.svg", "admin.newham").await;
        assert_eq!(admin.status, StatusCode::FORBIDDEN);
    });
}
