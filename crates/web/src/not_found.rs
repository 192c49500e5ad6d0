//! What an unknown path answers: the API's stable JSON error under `/api`, where clients read
//! `error.code`, and the GOV.UK "Page not found" page everywhere else, where people follow links.

use axum::http::Uri;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::ui::layout::PageError;

/// The router's fallback.
pub async fn fallback(uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        ApiError::not_found().into_response()
    } else {
        PageError::Api(ApiError::not_found()).into_response()
    }
}
