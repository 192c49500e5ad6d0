//! One error type for the HTTP boundary, with stable snake_case codes: the casework layer's
//! codes mapped to HTTP statuses once, here, and the few refusals only HTTP knows (CSRF,
//! `If-Match`, unreadable bodies). Internal detail is logged, never returned.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use casework::{CaseError, Code};
use serde::Serialize;
use utoipa::ToSchema;

/// An API failure: HTTP status, stable code, message, the offending field if any, and details
/// a client can act on.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    details: Option<serde_json::Value>,
}

/// The JSON body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// Details of an error.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `version_conflict`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Path of the offending field (JSONPath), for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What a client can act on: for `obligation_ended`, why and when the obligation ended
    /// and the IDs of the open obligations that replaced it (`replaced_by`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            details: None,
        }
    }

    /// 422: a field failed validation.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
        }
    }

    /// 400: the body is not the JSON the endpoint expects.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no valid session or token.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or present an API token",
        )
    }

    /// 403: signed in, but the role may not do this.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role does not allow this",
        )
    }

    /// 403: a cookie-authenticated change without the session's CSRF token.
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_token_invalid",
            "send the session's CSRF token in X-CSRF-Token",
        )
    }

    /// 404: no such record, or one the caller may not know exists.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }

    /// 409: the record changed since the caller read it.
    pub fn conflict(current: i64) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "version_conflict",
            format!(
                "the record was changed by someone else; it is now at version {current}: reload and try again"
            ),
        )
    }

    /// 428: a change to a versioned record without `If-Match`.
    pub fn if_match_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "send If-Match with the ETag you read",
        )
    }

    /// 429: too many failed sign-ins.
    pub fn throttled() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many failed sign-ins; wait 15 minutes",
        )
    }

    /// 500 with the detail logged, not returned.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong; it has been logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code, e.g. `validation_failed`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable explanation.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The offending field, for validation failures.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        let status = match e.code() {
            Code::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Code::BadRequest => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::VersionConflict | Code::ObligationEnded | Code::ConstraintViolated => {
                StatusCode::CONFLICT
            }
            Code::Throttled => StatusCode::TOO_MANY_REQUESTS,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self {
            status,
            code: e.code().as_str(),
            message: e.message().to_owned(),
            field: e.field().map(str::to_owned),
            details: e.details().cloned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
                details: self.details,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
