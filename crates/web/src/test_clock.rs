//! `POST /test/clock`: moves a test server's clock (`homeward serve --test-clock`), so browser
//! tests can watch a deadline pass without waiting for it. The route exists only when the state
//! runs on [`Clock::Fixed`]; a server on the system clock answers 404.
//!
//! Stored obligations are the engine's answer as at the last change to a child, so after moving
//! the clock every child is recomputed: an escalation that activates after 24 hours then shows
//! in the stored lists (My work, Missing now) exactly as the engine answers at the new instant.

use std::collections::BTreeSet;

use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::routing::post;
use axum::{Form, Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::{AppState, Clock};

/// The route, when the state runs on a test clock; otherwise none.
pub fn routes(state: &AppState) -> Router<AppState> {
    match state.clock {
        Clock::Fixed(_) => Router::new().route("/test/clock", post(move_clock)),
        Clock::System => Router::new(),
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
    let Clock::Fixed(clock) = &state.clock else {
        return Err(ApiError::not_found());
    };
    let now = {
        let mut t = clock.lock().unwrap_or_else(|p| p.into_inner());
        *t = target(&m, *t)?;
        *t
    };
    let recomputed = recompute_all(&state).await?;
    Ok(Json(json!({
        "now": protocol::output::format_instant(&state.calendar, now),
        "children_recomputed": recomputed,
    })))
}

/// Recomputes the stored obligations of every child of every authority; returns how many.
async fn recompute_all(state: &AppState) -> Result<usize, ApiError> {
    const PAGE: i64 = 500;
    let mut children = BTreeSet::new();
    for authority in state.store.authorities().await? {
        let mut offset = 0;
        loop {
            let page = state.store.children_for(authority.id, PAGE, offset).await?;
            children.extend(page.iter().map(|c| c.id));
            if (page.len() as i64) < PAGE {
                break;
            }
            offset += PAGE;
        }
    }
    for id in &children {
        crate::api::children::recompute_child(state, *id).await?;
    }
    Ok(children.len())
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
