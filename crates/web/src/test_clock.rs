//! `POST /test/clock`: moves a test server's clock (`homeward serve --test-clock`), so browser
//! tests can watch a deadline pass without waiting for it. The route exists only when the
//! application runs on a test clock; a server on the system clock answers 404.
//!
//! Stored obligations are the engine's answer as at the last change to a child, so moving the
//! clock replans every child (the casework layer's `move_test_clock`): an escalation that
//! activates after 24 hours then shows in the lists exactly as the engine answers then.

use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::routing::post;
use axum::{Form, Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;

/// The route, when the application runs on a test clock; otherwise none.
pub fn routes(state: &AppState) -> Router<AppState> {
    if state.casework.clock().is_fixed() {
        Router::new().route("/test/clock", post(move_clock))
    } else {
        Router::new()
    }
}

/// A move of the clock: `advance` by an ISO 8601 duration (`PT24H`) or jump to `at` (RFC 3339).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    advance: Option<String>,
    at: Option<String>,
}

/// The move as JSON or as a form, so both `fetch` and a plain HTML form can send it.
struct JsonOrForm(Move);

impl<S: Send + Sync> FromRequest<S> for JsonOrForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if json {
            Json::<Move>::from_request(req, state)
                .await
                .map(|Json(m)| Self(m))
                .map_err(|e| ApiError::bad_request(e.body_text()))
        } else {
            Form::<Move>::from_request(req, state)
                .await
                .map(|Form(m)| Self(m))
                .map_err(|e| ApiError::bad_request(e.body_text()))
        }
    }
}

/// Where the clock should stand after `m`, from `now`. The clock never goes backwards: events
/// already recorded would otherwise lie in the future.
fn target(m: &Move, now: Timestamp) -> Result<Timestamp, ApiError> {
    let to = match (&m.advance, &m.at) {
        (Some(d), None) => {
            let d: SignedDuration = d.parse().map_err(|e| {
                ApiError::validation("$.advance", format!("not an ISO 8601 duration: {e}"))
            })?;
            now.checked_add(d)
                .map_err(|e| ApiError::validation("$.advance", e.to_string()))?
        }
        (None, Some(at)) => at
            .parse()
            .map_err(|e| ApiError::validation("$.at", format!("not an RFC 3339 instant: {e}")))?,
        _ => {
            return Err(ApiError::validation(
                "$",
                "give exactly one of `advance` or `at`",
            ));
        }
    };
    if to < now {
        return Err(ApiError::validation(
            if m.at.is_some() { "$.at" } else { "$.advance" },
            "the test clock only moves forwards",
        ));
    }
    Ok(to)
}

async fn move_clock(
    State(state): State<AppState>,
    JsonOrForm(m): JsonOrForm,
) -> Result<Json<Value>, ApiError> {
    let to = target(&m, state.now())?;
    let replanned = state.casework.move_test_clock(to).await?;
    Ok(Json(json!({
        "now": state.format(to),
        "children_recomputed": replanned,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Result<Timestamp, jiff::Error> {
        s.parse()
    }

    #[test]
    fn advances_by_a_duration_or_jumps_forwards() -> Result<(), jiff::Error> {
        let now = at("2026-03-02T09:00:00Z")?;
        let advanced = target(
            &Move {
                advance: Some("PT24H30M".into()),
                at: None,
            },
            now,
        );
        assert_eq!(advanced.ok(), Some(at("2026-03-03T09:30:00Z")?));
        let jumped = target(
            &Move {
                advance: None,
                at: Some("2026-03-05T12:00:00+00:00".into()),
            },
            now,
        );
        assert_eq!(jumped.ok(), Some(at("2026-03-05T12:00:00Z")?));
        Ok(())
    }

    #[test]
    fn refuses_going_back_bad_durations_and_ambiguous_moves() -> Result<(), String> {
        let now = at("2026-03-02T09:00:00Z").map_err(|e| e.to_string())?;
        let cases = [
            (Some("-PT1H"), None, "$.advance"),
            (Some("a day"), None, "$.advance"),
            (None, Some("2026-03-01T09:00:00Z"), "$.at"),
            (None, Some("tomorrow"), "$.at"),
            (Some("PT1H"), Some("2026-03-05T12:00:00Z"), "$"),
            (None, None, "$"),
        ];
        for (advance, to, field) in cases {
            let m = Move {
                advance: advance.map(str::to_owned),
                at: to.map(str::to_owned),
            };
            let Err(e) = target(&m, now) else {
                return Err(format!("accepted {advance:?} {to:?}"));
            };
            assert_eq!(e.field(), Some(field), "{advance:?} {to:?}");
        }
        Ok(())
    }
}
