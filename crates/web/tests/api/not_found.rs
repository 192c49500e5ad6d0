//! Unknown paths: people get the GOV.UK "Page not found" page, API clients the stable JSON error.

use axum::http::{Method, StatusCode, header};

use super::{TestApp, on_both};

fn content_type(r: &super::Reply) -> &str {
    r.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[test]
fn an_unknown_page_is_the_govuk_not_found_page() {
    on_both(|app: TestApp| async move {
        for path in ["/no-such-page", "/children/7/no-such-tab"] {
            let r = app.call(Method::GET, path, None, None, &[]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert!(content_type(&r).starts_with("text/html"), "{path}");
            assert!(
                r.text
                    .contains("<h1 class=\"govuk-heading-l\">Page not found</h1>")
                    && r.text.contains("<title>Page not found – Homeward</title>")
                    && r.text.contains("govuk-skip-link"),
                "{path}: {}",
                r.text
            );
        }
    });
}

#[test]
fn an_unknown_api_path_is_the_json_not_found_error() {
    on_both(|app: TestApp| async move {
        for (method, path, user) in [
            (
                Method::GET,
                "/api/v1/no-such-thing",
                Some("social_worker.newham"),
            ),
            (Method::GET, "/api/v2/children", None),
            (Method::POST, "/api", None),
        ] {
            let r = app.call(method, path, user, None, &[]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert!(content_type(&r).starts_with("application/json"), "{path}");
            assert_eq!(r.json["error"]["code"], "not_found", "{path}: {}", r.text);
            assert!(r.json["error"]["message"].is_string(), "{path}");
        }
    });
}
