//! Static files compiled into the binary: the vendored GOV.UK Frontend and htmx, and
//! Homeward's own stylesheet and script. Served with their content type and a long cache
//! lifetime (asset URLs change when the vendored versions change).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "static/"]
struct Static;

/// One day for our own files (they change with releases); a year for the vendored ones, whose
/// folder names carry no version but whose content only changes with a deliberate refresh.
fn cache_control(path: &str) -> &'static str {
    if path.starts_with("vendor/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    }
}

fn serve(path: &str) -> Response {
    match Static::get(path) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
                (header::CACHE_CONTROL, cache_control(path).to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            file.data,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /static/{*path}`: Homeward's own and the vendored files.
pub async fn static_file(Path(path): Path<String>) -> Response {
    serve(&path)
}

/// `GET /assets/{*path}`: GOV.UK Frontend's fonts and images, at the path its stylesheet uses.
pub async fn govuk_asset(Path(path): Path<String>) -> Response {
    serve(&format!("vendor/govuk-frontend/assets/{path}"))
}
