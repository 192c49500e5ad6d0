//! Photos of a child (Philomena profile): upload (JPEG or PNG, checked by their first bytes, at
//! most 5 MB, with the day taken), serve through `access` (audited), and warn when the latest is
//! more than 3 months old, by the protocol calendar's month arithmetic.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use protocol::duration::ProtocolDuration;

use super::forms::FormErrors;
use super::layout::{PageError, Viewer};
use crate::access::{Permission, audited_read, child_access};
use crate::error::ApiError;
use crate::{AppState, micros};

/// The largest photo accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The request body limit of the upload route: room for a photo at the limit plus the form, so
/// a photo a little too large gets the form's own error rather than a bare 413.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_BYTES + 1024 * 1024)
}

/// The content type of a JPEG or PNG image, by its magic bytes.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// Whether a photo taken on `taken_on` is more than 3 calendar months old at `now` (Europe/London
/// wall clock, month-end clamping: the protocols' month, C3).
pub fn is_old(state: &AppState, taken_on: &str, now: Timestamp) -> bool {
    let Ok(date) = taken_on.parse::<jiff::civil::Date>() else {
        return false;
    };
    let taken = state
        .calendar
        .instant(date.to_datetime(jiff::civil::Time::midnight()));
    state.calendar.add(taken, ProtocolDuration::Months(3)) < now
}

/// What the child page shows of the latest photo.
pub struct PhotoInfo {
    /// Day taken, as people read it.
    pub taken: String,
    /// More than 3 months old.
    pub old: bool,
    /// Changes with each upload, so browsers show the new one.
    pub version: i64,
}

/// The latest photo's details for the child page.
pub async fn info(state: &AppState, child_id: i64) -> Result<Option<PhotoInfo>, ApiError> {
    let now = state.now();
    Ok(state
        .store
        .latest_photo(child_id)
        .await?
        .map(|p| PhotoInfo {
            taken: p
                .taken_on
                .parse::<jiff::civil::Date>()
                .map_or(p.taken_on.clone(), |d| d.strftime("%-d %B %Y").to_string()),
            old: is_old(state, &p.taken_on, now),
            version: p.id,
        }))
}

/// `GET /children/{id}/photo`: the latest photo, read through `access` and audited.
pub async fn get(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    audited_read(&state, &viewer.caller, id, "photo", id).await?;
    let photo = state
        .store
        .latest_photo(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        photo.bytes,
    )
        .into_response())
}

/// `POST /children/{id}/photo` (multipart: `csrf_token`, `photo`, `taken_on`): stores a new
/// photo, or shows the child page again with the errors (422) and nothing stored.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut bytes, mut taken_on) = (None, None, String::new());
    let mut errors = FormErrors::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                errors.add(
                    "photo-file",
                    "The photo could not be read: choose a JPEG or PNG file of 5 MB or less",
                );
                break;
            }
        };
        match field.name().unwrap_or_default() {
            "csrf_token" => csrf = field.text().await.ok(),
            "taken_on" => taken_on = field.text().await.unwrap_or_default().trim().to_owned(),
            "photo" => match field.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(_) => errors.add("photo-file", "The photo must be 5 MB or less"),
            },
            _ => {}
        }
    }
    viewer.check_csrf(csrf.as_deref())?;
    child_access(&state, &viewer.caller, id, Permission::EditChild).await?;
    let now = state.now();
    let bytes = bytes.filter(|b| !b.is_empty());
    let content_type = match &bytes {
        _ if errors.of("photo-file").is_some() => None,
        None => {
            errors.add("photo-file", "Choose a photo");
            None
        }
        Some(b) if b.len() > MAX_BYTES => {
            errors.add("photo-file", "The photo must be 5 MB or less");
            None
        }
        Some(b) => match image_type(b) {
            Some(t) => Some(t),
            None => {
                errors.add("photo-file", "The photo must be a JPEG or PNG");
                None
            }
        },
    };
    match taken_on.parse::<jiff::civil::Date>() {
        Err(_) => errors.add(
            "taken_on",
            "Enter the date the photo was taken, for example 2026-10-27",
        ),
        Ok(d) if d > state.calendar.local_date(now) => errors.add(
            "taken_on",
            "The date the photo was taken must be today or in the past",
        ),
        Ok(_) => {}
    }
    if let (true, Some(bytes), Some(content_type)) = (errors.is_empty(), bytes, content_type) {
        state
            .store
            .add_photo(
                id,
                &store::NewPhoto {
                    content_type: content_type.to_owned(),
                    bytes: bytes.to_vec(),
                    taken_on,
                    uploaded_by: viewer.caller.user.id,
                    uploaded_at: micros(now),
                },
                &viewer.caller.audit("write", "photo", None, Some(id), now),
            )
            .await?;
        return Ok(Redirect::to(&format!("/children/{id}#photo")).into_response());
    }
    super::child::render(
        &state,
        &viewer,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
    )
    .await
}
