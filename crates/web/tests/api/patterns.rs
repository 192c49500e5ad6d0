//! The pattern views over the API: repeat cohort, hotspots and the missing-together graph,
//! scoped to the caller's authority, audited, and with the Newham 11.8 group flagged.

use axum::http::StatusCode;
use serde_json::{Value, json};
use store::ChildId;

use super::ui::{Browser, location};
use super::{TestApp, on_both};

const SW: &str = "social_worker.newham";

/// A child placed by Newham with `host`: returns its ID.
async fn child(app: &TestApp, name: &str, host: &str) -> ChildId {
    let r = app
        .post(
            "/api/v1/children",
            SW,
            json!({"name": name, "dob": "2010-04-04", "facts": {"flags": ["open_to_csc"]},
                   "placement": {"responsible_authority": "NEWHAM", "host_authority": host, "legal_status": "s20",
                                 "placement_type": "residential", "starts_on": "2024-01-01"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    ChildId(r.json["id"].as_i64().unwrap_or_default())
}

/// An episode reported at `reported` and found at `found` in `place`.
async fn episode(app: &TestApp, child: ChildId, reported: &str, found: &str, place: &str) {
    let r = app
        .post(&format!("/api/v1/children/{child}/episodes"), SW, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ep = r.json["id"].as_i64().unwrap_or_default();
    for event in [
        json!({"at": reported, "type": "reported_missing", "data": {"to": "Metropolitan Police"}}),
        json!({"at": found, "type": "located", "data": {"where": place}}),
    ] {
        let r = app
            .post(
                &format!("/api/v1/episodes/{ep}/events"),
                SW,
                json!({ "event": event }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
}

/// Ava and Bea (Newham, in borough) missing together and found at Stratford bus station; Cal
/// (Newham, placed in Sheffield) missing three times in August, found at Meadowhall.
async fn partnership(app: &TestApp) -> (ChildId, ChildId, ChildId) {
    let ava = child(app, "Ava Stone", "NEWHAM").await;
    let bea = child(app, "Bea Stone", "NEWHAM").await;
    let cal = child(app, "Cal Ridge", "SHEFFIELD").await;
    episode(
        app,
        ava,
        "2024-09-05T20:00:00+01:00",
        "2024-09-06T08:00:00+01:00",
        "Stratford bus station, E15 1AZ",
    )
    .await;
    episode(
        app,
        bea,
        "2024-09-05T21:00:00+01:00",
        "2024-09-06T08:10:00+01:00",
        "stratford  BUS station e15 1ab",
    )
    .await;
    for day in ["12", "19", "26"] {
        episode(
            app,
            cal,
            &format!("2024-08-{day}T18:00:00+01:00"),
            &format!("2024-08-{day}T23:00:00+01:00"),
            "Meadowhall, S9 1EP",
        )
        .await;
    }
    let r = app
        .post(
            &format!("/api/v1/children/{bea}/documents"),
            SW,
            json!({"kind": "philomena_profile", "body": {"places_frequented": ["Westfield, E20 1EJ"], "associates": ["'Tiny'"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (ava, bea, cal)
}

fn rows(v: &Value) -> Vec<(String, i64, i64, i64)> {
    v["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["place"].as_str().unwrap_or_default().to_owned(),
                r["found"].as_i64().unwrap_or(-1),
                r["children"].as_i64().unwrap_or(-1),
                r["frequented_by"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

#[test]
fn the_repeat_cohort_uses_the_host_protocols_threshold() {
    on_both(|app| async move {
        let (_, _, cal) = partnership(&app).await;
        let before = app.audit_rows().await;
        let r = app.get("/api/v1/patterns/repeat", SW).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let kids = r.json["children"].as_array().cloned().unwrap_or_default();
        assert_eq!(kids.len(), 1, "{}", r.text);
        assert_eq!(kids[0]["child_id"], json!(cal));
        assert_eq!(kids[0]["protocol"], "SY");
        assert_eq!(kids[0]["episodes_in_window"], 3);
        assert_eq!(
            kids[0]["by_authority"],
            json!([{"authority": "SHEFFIELD", "episodes": 3}])
        );
        assert_eq!(kids[0]["last_reported"], "2024-08-26T18:00:00+01:00");
        // Ava and Bea are Newham children in Newham: Newham states no threshold.
        assert_eq!(r.json["unjudged"], 2);
        let log = app.audit_log().await;
        assert_eq!(log.len(), before + 1, "one read row for the list");
        let row = &log[before].entry;
        assert_eq!(
            (row.action.as_str(), row.entity.as_str(), &row.children),
            ("read", "patterns_repeat", &vec![cal]),
            "naming every child shown"
        );
        // A month later the August episodes have left the 28-day window.
        app.set_now("2024-10-06T20:00:00Z").await;
        let r = app.get("/api/v1/patterns/repeat", SW).await;
        assert_eq!(r.json["children"], json!([]));
    });
}

#[test]
fn hotspots_group_by_district_or_named_place() {
    on_both(|app| async move {
        partnership(&app).await;
        let r = app.get("/api/v1/patterns/hotspots", SW).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            rows(&r.json),
            vec![
                ("S9".to_owned(), 3, 1, 0),
                ("E15".to_owned(), 2, 2, 0),
                ("E20".to_owned(), 0, 0, 1),
            ]
        );
        assert_eq!(r.json["rows"][1]["last_found"], "2024-09-06T08:10:00+01:00");
        let r = app
            .get("/api/v1/patterns/hotspots?by=place&limit=2", SW)
            .await;
        assert_eq!(
            rows(&r.json),
            vec![
                ("Meadowhall".to_owned(), 3, 1, 0),
                ("Stratford bus station".to_owned(), 2, 2, 0),
            ]
        );
        let r = app.get("/api/v1/patterns/hotspots?by=postcode", SW).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "$.by", "{}", r.text);
        let r = app.get("/api/v1/patterns/hotspots?limit=0", SW).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "$.limit", "{}", r.text);
    });
}

#[test]
fn children_missing_together_are_flagged_for_a_complex_strategy_meeting() {
    on_both(|app| async move {
        let (ava, bea, _) = partnership(&app).await;
        let before = app.audit_rows().await;
        let r = app.get("/api/v1/patterns/together", SW).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let groups = r.json["groups"].as_array().cloned().unwrap_or_default();
        assert_eq!(groups.len(), 1, "{}", r.text);
        let g = &groups[0];
        assert_eq!(g["trigger"], "missing_together");
        assert_eq!(g["children"], json!([ava, bea]));
        assert_eq!(g["names"], json!(["Ava Stone", "Bea Stone"]));
        assert_eq!(
            g["unflagged"],
            json!([ava, bea]),
            "neither record says missing_with_others"
        );
        assert_eq!(g["newham"], true);
        assert!(
            g["citation"]
                .as_str()
                .unwrap_or_default()
                .ends_with("§11.8"),
            "{g}"
        );
        assert_eq!(g["first_missing"], "2024-09-05T20:00:00+01:00");
        let edges = r.json["edges"].as_array().cloned().unwrap_or_default();
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0]["links"], json!(["same_place"]));
        // Bea's associate is named by nobody else: no associate node.
        assert_eq!(r.json["nodes"].as_array().map(Vec::len), Some(2));
        let log = app.audit_log().await;
        assert_eq!(log.len(), before + 1, "one read row for the view");
        let row = &log[before].entry;
        assert_eq!(
            (row.action.as_str(), row.entity.as_str(), &row.children),
            ("read", "patterns_together", &vec![ava, bea]),
            "naming every child shown"
        );
    });
}

#[test]
fn pattern_views_show_only_the_callers_authoritys_children() {
    on_both(|app| async move {
        partnership(&app).await;
        // Sheffield hosts Cal only.
        let r = app
            .get("/api/v1/patterns/repeat", "social_worker.sheffield")
            .await;
        assert_eq!(r.json["children"].as_array().map(Vec::len), Some(1));
        let r = app
            .get("/api/v1/patterns/hotspots", "social_worker.sheffield")
            .await;
        assert_eq!(rows(&r.json), vec![("S9".to_owned(), 3, 1, 0)]);
        let r = app
            .get("/api/v1/patterns/together", "social_worker.sheffield")
            .await;
        assert!(
            !r.text.contains("Ava") && !r.text.contains("Bea"),
            "{}",
            r.text
        );
        // Merton sees nobody.
        for view in ["repeat", "together"] {
            let r = app
                .get(&format!("/api/v1/patterns/{view}"), "social_worker.merton")
                .await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(
                !r.text.contains("Stone") && !r.text.contains("Ridge"),
                "{}",
                r.text
            );
        }
        let r = app
            .get("/api/v1/patterns/hotspots", "social_worker.merton")
            .await;
        assert_eq!(r.json["rows"], json!([]));
        let r = app.get("/api/v1/patterns/repeat", "admin.newham").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}

#[test]
fn profile_pattern_fields_are_checked() {
    on_both(|app| async move {
        let (ava, _, _) = partnership(&app).await;
        let r = app
            .post(
                &format!("/api/v1/children/{ava}/documents"),
                SW,
                json!({"kind": "philomena_profile", "body": {"associates": "Tiny"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "$.body.associates", "{}", r.text);
        let r = app
            .post(
                &format!("/api/v1/children/{ava}/documents"),
                SW,
                json!({"kind": "history_document", "body": {"places_frequented": ["ok", ""]}}),
            )
            .await;
        assert_eq!(
            r.json["error"]["field"], "$.body.places_frequented[1]",
            "{}",
            r.text
        );
    });
}

/// The row header of a page's table.
fn row(name: &str) -> String {
    format!("<th scope=\"row\" class=\"govuk-table__header\">{name}</th>")
}

#[test]
fn the_page_and_charts_show_the_same_views() {
    on_both(|app| async move {
        partnership(&app).await;
        let b = Browser::sign_in(&app, SW).await;
        let r = b.get("/patterns").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let html = &r.text;
        assert!(
            r.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html")),
            "an HTML page"
        );
        // In the shared layout, with the navigation marking where the reader is.
        assert!(
            html.contains("href=\"/patterns\" aria-current=\"page\">Patterns</a>"),
            "{html}"
        );
        assert!(
            html.contains("<title>Patterns – Homeward</title>"),
            "{html}"
        );
        assert!(html.contains(&row("Cal Ridge")), "{html}");
        assert!(html.contains(&row("Ava Stone, Bea Stone")), "{html}");
        assert!(
            html.contains("<strong class=\"govuk-tag govuk-tag--red\">Newham trigger</strong>")
                && html.contains("§11.8")
                && html.contains("2 of 2"),
            "{html}"
        );
        assert!(html.contains(&row("S9")) && html.contains("role=\"img\""));
        // Instants in UK time and windows in words, as on the other pages.
        assert!(
            html.contains("5 September 2024 at 20:00")
                && html.contains("26 August 2024 at 18:00")
                && html.contains("SY: 3 police-reported episodes within 28 days"),
            "{html}"
        );
        assert_eq!(
            html.matches("class=\"hw-table-scroll\" tabindex=\"0\" role=\"region\"")
                .count(),
            4,
            "every table scrolls in a focusable region"
        );
        let r = b.get("/patterns?by=place").await;
        assert!(r.text.contains(&row("Stratford bus station")), "{}", r.text);
        let r = app.get("/patterns/hotspots.svg?by=place", SW).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("image/svg+xml")
        );
        assert!(
            r.text.contains("Meadowhall 3; Stratford bus station 2"),
            "{}",
            r.text
        );
        let r = app.get("/patterns/together.svg", SW).await;
        assert_eq!(r.text.matches("#d4351c").count(), 2, "{}", r.text);
        assert!(r.text.contains("<title id=\"together-title\">"));
        let sheffield = Browser::sign_in(&app, "social_worker.sheffield").await;
        let r = sheffield.get("/patterns").await;
        assert!(r.text.contains("Cal Ridge") && !r.text.contains("Ava Stone"));
        // Without a session the page sends the browser to sign in; the SVGs answer as the API.
        let r = app
            .call(axum::http::Method::GET, "/patterns", None, None, &[])
            .await;
        assert_eq!(
            (r.status, location(&r)),
            (StatusCode::SEE_OTHER, "/sign-in")
        );
        let r = app
            .call(
                axum::http::Method::GET,
                "/patterns/together.svg",
                None,
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json["error"]["code"], "unauthenticated", "{}", r.text);
        let r = app.get("/patterns/together.svg", "auditor.newham").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    });
}
