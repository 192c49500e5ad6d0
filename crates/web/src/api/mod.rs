//! The `/api/v1` routes and the JSON shapes they exchange.

pub(crate) mod children;
pub(crate) mod episodes;
pub(crate) mod meetings;
mod notifications;
pub(crate) mod obligations;
pub(crate) mod patterns;
mod session;

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ApiError;

/// Every API route, each registered with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(session::routes())
        .merge(children::routes())
        .merge(episodes::routes())
        .merge(meetings::routes())
        .merge(obligations::routes())
        .merge(patterns::routes())
        // Notifications and routing (issue 5).
        .merge(notifications::routes())
}

/// A JSON request body whose deserialisation errors name the field (422) instead of a generic
/// rejection.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::bad_request(
                "send a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::bad_request("unreadable body"))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(&mut de) {
            Ok(v) => Ok(Body(v)),
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." {
                    "$".to_owned()
                } else {
                    format!("$.{path}")
                };
                Err(ApiError::validation(field, e.into_inner().to_string()))
            }
        }
    }
}

/// `?page=&per_page=` on list endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number from 1.
    pub page: Option<i64>,
    /// Items per page, at most 200 (default 50).
    pub per_page: Option<i64>,
}

impl PageQuery {
    /// `(limit, offset, page, per_page)` with defaults and bounds applied.
    pub fn window(&self) -> Result<(i64, i64, i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if page < 1 {
            return Err(ApiError::validation("$.page", "must be 1 or more"));
        }
        if !(1..=200).contains(&per_page) {
            return Err(ApiError::validation(
                "$.per_page",
                "must be between 1 and 200",
            ));
        }
        Ok((per_page, (page - 1) * per_page, page, per_page))
    }
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// This page's number.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
}

/// The `ETag` header value of a version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"v0\""))
}

/// The version an `If-Match` header names, if any; malformed values are a validation error.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or_default().trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.strip_prefix("\"v")
        .and_then(|s| s.strip_suffix('"'))
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::validation("If-Match", "expected an ETag such as \"v3\""))
}

/// `If-Match` that must be present.
pub fn required_if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    if_match(headers)?.ok_or_else(ApiError::if_match_required)
}
