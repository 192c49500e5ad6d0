//! The charts: each SVG is well-formed XML with a title, a description and `role="img"`, and its
//! bars carry the figures of a known fixture: three episodes in consecutive weeks, one interview
//! in time, one late and one never held, and the obligations the API lists with their statuses.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use store::EpisodeId;

use super::ui::Browser;
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

async fn event(app: &TestApp, episode: EpisodeId, at: &str, kind: &str, data: Value) {
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
        app.set_now("2024-09-08T12:00:00Z").await;
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
        app.set_now("2024-09-10T08:00:00Z").await;
        let r = app
            .post(
                &format!("/api/v1/children/{child}/episodes"),
                "social_worker.newham",
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let second = EpisodeId(r.json["id"].as_i64().unwrap_or_default());
        event(
            &app,
            second,
            "2024-09-10T09:00:00+01:00",
            "reported_missing",
            police.clone(),
        )
        .await;
        app.set_now("2024-09-14T12:00:00Z").await;
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

        // Episode 3 opens on Saturday 14 September (week of 9 September); the child is back
        // that afternoon and never interviewed: the deadline passes on 17 September.
        let r = app
            .post(
                &format!("/api/v1/children/{child}/episodes"),
                "social_worker.newham",
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let third = EpisodeId(r.json["id"].as_i64().unwrap_or_default());
        app.set_now("2024-09-14T16:00:00Z").await;
        event(
            &app,
            third,
            "2024-09-14T14:00:00+01:00",
            "reported_missing",
            police,
        )
        .await;
        event(
            &app,
            third,
            "2024-09-14T16:00:00+01:00",
            "returned",
            json!({}),
        )
        .await;

        app.set_now("2024-09-20T12:00:00Z").await;
        // The engine's return interview obligations (Newham's, 72 hours after each return):
        // the first met in time, the second met late, the third still open past its deadline.
        let at = |s: &str| s.parse::<jiff::Timestamp>().ok().map(store::Instant::from);
        let interviews: Vec<_> = app
            .store
            .child_obligations(child)
            .await
            .unwrap_or_else(|e| unreachable!("{e}"))
            .into_iter()
            .filter(|o| o.obligation.rule == "NEWHAM-RHI-72H")
            .map(|o| {
                (
                    o.obligation.episode_id,
                    o.obligation.due,
                    o.obligation.met_at,
                )
            })
            .collect();
        assert_eq!(
            interviews,
            vec![
                (
                    first,
                    at("2024-09-10T11:00:00+01:00"),
                    at("2024-09-08T11:00:00+01:00")
                ),
                (
                    second,
                    at("2024-09-13T13:00:00+01:00"),
                    at("2024-09-14T13:00:00+01:00")
                ),
                (third, at("2024-09-17T16:00:00+01:00"), None),
            ]
        );
        let newham = "London Borough of Newham";
        let weekly = bars(
            &app.get("/charts/episodes-per-week.svg", "social_worker.newham")
                .await,
        );
        assert_eq!(weekly.len(), 12, "{weekly:?}");
        assert_eq!(weekly[9], format!("{newham}, 2 Sep: 1"));
        assert_eq!(weekly[10], format!("{newham}, 9 Sep: 2"));
        assert_eq!(weekly[11], format!("{newham}, 16 Sep: 0"));
        assert!(weekly[..9].iter().all(|b| b.ends_with(": 0")), "{weekly:?}");

        let rhi = bars(
            &app.get("/charts/rhi-within-72h.svg", "social_worker.newham")
                .await,
        );
        assert_eq!(rhi.len(), 6, "{rhi:?}");
        // All three deadlines fall in September and have passed; one was met by it: 1 of 3.
        assert_eq!(rhi[5], format!("{newham}, Sep 2024: 33%"));
        assert!(rhi[..5].iter().all(|b| b.ends_with(": 0%")), "{rhi:?}");
        // The page's table gives the same figures, by the month the interview was due.
        let page = Browser::sign_in(&app, "social_worker.newham")
            .await
            .get("/charts")
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let table = page
            .text
            .split("id=\"rhi-within-72h-table\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .unwrap_or_default();
        assert!(
            table.contains("Month the interview was due")
                && table.contains("33% (1 of 3)")
                && table.matches("none due").count() == 5,
            "{table}"
        );

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
