//! Bad input gets a 4xx naming the field, and changes nothing: the audit log and the child's
//! file are exactly as before.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::ChildId;

use super::{TestApp, on_both};

/// Method, path, body, extra headers, expected status and expected field.
type Case<'a> = (
    Method,
    String,
    Value,
    &'a [(&'a str, &'a str)],
    StatusCode,
    &'a str,
);

async fn snapshot(app: &TestApp, child: ChildId) -> (usize, String) {
    let file = app.store.child_file(child).await.ok().flatten();
    let placements = app.store.placements(child).await.unwrap_or_default();
    let docs = app.store.documents(child).await.unwrap_or_default();
    (
        app.audit_rows().await,
        format!("{file:?}{placements:?}{docs:?}"),
    )
}

#[test]
fn bad_requests_are_rejected_with_the_field_and_change_nothing() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let sw = "social_worker.newham";
        let etag = app
            .get(&format!("/api/v1/children/{child}"), sw)
            .await
            .etag();
        let before = snapshot(&app, child).await;
        let current = [("if-match", etag.as_str())];
        let ev = |event: Value| json!({"event": event});
        let cases: Vec<Case> = vec![
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                ev(
                    json!({"at": "2024-09-06T20:00:00+01:00", "type": "risk_graded", "data": {"level": "severe"}}),
                ),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.event.data.level",
            ),
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                ev(json!({"at": "2024-09-06T20:00:00", "type": "located"})),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.event.at",
            ),
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                ev(json!({"at": "2024-09-06T20:00:00Z", "type": "teleported"})),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.event.type",
            ),
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                ev(
                    json!({"at": "2024-09-06T20:00:00Z", "type": "located", "satisfies": ["NEWHAM-NOPE"]}),
                ),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.event.satisfies[0]",
            ),
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                ev(json!({"at": "2030-01-01T00:00:00Z", "type": "located"})),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.event.at",
            ),
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                json!({"event": {"at": "2024-09-06T20:00:00Z", "type": "located"}, "correction_of": 1}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.reason",
            ),
            (
                Method::POST,
                format!("/api/v1/episodes/{episode}/events"),
                json!({"evnt": {}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.evnt",
            ),
            (
                Method::POST,
                "/api/v1/children".into(),
                json!({"name": "", "dob": "2010-01-01", "placement": {"responsible_authority": "NEWHAM", "host_authority": "NEWHAM", "legal_status": "none", "placement_type": "family_home", "starts_on": "2024-01-01"}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.name",
            ),
            (
                Method::POST,
                "/api/v1/children".into(),
                json!({"name": "X", "dob": "2010-13-01", "placement": {"responsible_authority": "NEWHAM", "host_authority": "NEWHAM", "legal_status": "none", "placement_type": "family_home", "starts_on": "2024-01-01"}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.dob",
            ),
            (
                Method::POST,
                "/api/v1/children".into(),
                json!({"name": "X", "dob": "2010-01-01", "facts": {"flags": ["nice"]}, "placement": {"responsible_authority": "NEWHAM", "host_authority": "NEWHAM", "legal_status": "none", "placement_type": "family_home", "starts_on": "2024-01-01"}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.facts.flags[0]",
            ),
            (
                Method::POST,
                "/api/v1/children".into(),
                json!({"name": "X", "dob": "2010-01-01", "placement": {"responsible_authority": "ATLANTIS", "host_authority": "NEWHAM", "legal_status": "none", "placement_type": "family_home", "starts_on": "2024-01-01"}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.placement.responsible_authority",
            ),
            (
                Method::POST,
                "/api/v1/children".into(),
                json!({"name": "X", "dob": "2010-01-01", "placement": {"responsible_authority": "SHEFFIELD", "host_authority": "SHEFFIELD", "legal_status": "none", "placement_type": "family_home", "starts_on": "2024-01-01"}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.placement",
            ),
            (
                Method::POST,
                "/api/v1/children".into(),
                json!({"name": 5}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.name",
            ),
            (
                Method::PUT,
                format!("/api/v1/children/{child}"),
                json!({"name": "Y", "dob": "2009-04-04", "facts": {"concerns": ["boredom"]}}),
                &current,
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.facts.concerns[0]",
            ),
            (
                Method::PUT,
                format!("/api/v1/children/{child}"),
                json!({"name": "Y", "dob": "2009-04-04", "facts": {}}),
                &[("if-match", "yesterday")],
                StatusCode::UNPROCESSABLE_ENTITY,
                "If-Match",
            ),
            (
                Method::POST,
                format!("/api/v1/children/{child}/placements"),
                json!({"responsible_authority": "NEWHAM", "host_authority": "NEWHAM", "legal_status": "s99", "placement_type": "foster", "starts_on": "2024-05-01"}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.legal_status",
            ),
            (
                Method::POST,
                format!("/api/v1/children/{child}/placements"),
                json!({"responsible_authority": "NEWHAM", "host_authority": "NEWHAM", "legal_status": "s20", "placement_type": "foster", "starts_on": "2024-05-01", "change_reason": "carpl"}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.change_reason",
            ),
            (
                Method::POST,
                format!("/api/v1/children/{child}/documents"),
                json!({"kind": "diary", "body": {}}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.kind",
            ),
            (
                Method::POST,
                format!("/api/v1/children/{child}/documents"),
                json!({"kind": "trigger_plan", "body": "text"}),
                &[],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.body",
            ),
            (
                Method::PATCH,
                format!("/api/v1/episodes/{episode}"),
                json!({"finder_authority": "ATLANTIS"}),
                &[("if-match", "\"v1\"")],
                StatusCode::UNPROCESSABLE_ENTITY,
                "$.finder_authority",
            ),
        ];
        for (method, path, body, headers, status, field) in cases {
            let r = app
                .call(method.clone(), &path, Some(sw), Some(body.clone()), headers)
                .await;
            assert_eq!(r.status, status, "{method} {path} {body}: {}", r.text);
            assert_eq!(
                r.json["error"]["field"], field,
                "{method} {path} {body}: {}",
                r.text
            );
            assert!(r.json["error"]["code"].is_string());
        }
        let not_json = app
            .call(
                Method::POST,
                &format!("/api/v1/episodes/{episode}/events"),
                Some(sw),
                None,
                &[("content-type", "text/plain")],
            )
            .await;
        assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
        for q in [
            "page=0",
            "per_page=500",
            "due_within_hours=-3",
            "owner_role=wizard",
            "authority=ATLANTIS",
        ] {
            let r = app.get(&format!("/api/v1/obligations?{q}"), sw).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{q}: {}",
                r.text
            );
        }
        assert_eq!(
            snapshot(&app, child).await,
            before,
            "a rejected request changed something"
        );
    });
}

#[test]
fn a_placement_change_keeps_its_dfe_reason() {
    on_both(|app| async move {
        let (child, _) = app.seed_child().await;
        let sw = "social_worker.newham";
        let r = app
            .post(
                &format!("/api/v1/children/{child}/placements"),
                sw,
                json!({"responsible_authority": "NEWHAM", "host_authority": "NEWHAM", "legal_status": "s20", "placement_type": "foster", "starts_on": "2024-05-01", "change_reason": "CREQB"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json["change_reason"], "CREQB");
        let list = app
            .get(&format!("/api/v1/children/{child}/placements"), sw)
            .await;
        let reasons: Vec<Value> = list
            .json
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["change_reason"].clone())
            .collect();
        // The first placement records no change; the move records why.
        assert_eq!(reasons, vec![Value::Null, json!("CREQB")], "{}", list.text);
    });
}
