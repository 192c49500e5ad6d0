//! The OpenAPI document: served, snapshot-tested, and in step with the routes.

use axum::http::{Method, StatusCode};

use super::{TestApp, on_both};

#[test]
fn the_document_is_served_and_matches_its_snapshot() {
    let (_, doc) = web::api();
    let json = serde_json::to_value(&doc).unwrap_or_default();
    assert_eq!(json["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", json);
    on_both(|app| async move {
        let r = app
            .call(Method::GET, "/api/openapi.json", None, None, &[])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json, json!(doc_json()));
        let ui = app.call(Method::GET, "/api/docs/", None, None, &[]).await;
        assert_eq!(ui.status, StatusCode::OK);
        assert!(
            ui.text.contains("swagger-ui"),
            "Swagger UI is served locally"
        );
    });
}

fn doc_json() -> serde_json::Value {
    serde_json::to_value(web::api().1).unwrap_or_default()
}

use serde_json::json;

/// Every operation the document describes is routed (a request does not fall through to the
/// router's 404 or 405), so the document cannot describe a route that does not exist.
#[test]
fn every_documented_operation_is_routed() {
    let ops = super::authorization::documented_operations();
    assert!(ops.len() >= 18, "{ops:?}");
    on_both(|app: TestApp| {
        let ops = ops.clone();
        async move {
            for (method, path) in ops {
                let concrete = path.replace("{id}", "1");
                let r = app.call(method.clone(), &concrete, None, None, &[]).await;
                assert!(
                    !(r.status == StatusCode::METHOD_NOT_ALLOWED
                        || (r.status == StatusCode::NOT_FOUND && r.text.is_empty())),
                    "{method} {path} is documented but not routed ({})",
                    r.status
                );
            }
        }
    });
}
