//! Photos of a child (Philomena profile): upload (JPEG or PNG, checked by their first bytes, at
//! most 5 MB, with the day taken), serve through the casework layer's access check (audited), and warn when the latest is
//! more than 3 months old, by the protocol calendar's month arithmetic.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use casework::children::MAX_PHOTO_BYTES;
use casework::records::ChildId;
use casework::{ChildScope, Code, Permission};

use super::forms::FormErrors;
use super::layout::{PageError, Viewer};
use crate::AppState;
use crate::error::ApiError;

/// The request body limit of the upload route: room for a photo at the limit plus the form, so
/// a photo a little too large gets the form's own error rather than a bare 413.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_PHOTO_BYTES + 1024 * 1024)
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
pub async fn info(state: &AppState, scope: &ChildScope<'_>) -> Result<Option<PhotoInfo>, ApiError> {
    Ok(state
        .casework
        .latest_photo(scope)
        .await?
        .map(|p| PhotoInfo {
            taken: p
                .taken_on
                .parse::<jiff::civil::Date>()
                .map_or(p.taken_on.clone(), |d| d.strftime("%-d %B %Y").to_string()),
            old: state.casework.photo_is_old(&p.taken_on),
            version: p.id.get(),
        }))
}

/// `GET /children/{id}/photo`: the latest photo, read through the access check and audited.
pub async fn get(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ChildId>,
) -> Result<Response, PageError> {
    let scope = state
        .casework
        .read_child(&viewer.caller, id, "photo", id.get())
        .await?;
    let photo = state
        .casework
        .latest_photo(&scope)
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
    Path(id): Path<ChildId>,
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
    let scope = state
        .casework
        .change_child(&viewer.caller, id, Permission::EditChild)
        .await?;
    if errors.is_empty() {
        let bytes = bytes.unwrap_or_default();
        match state.casework.add_photo(&scope, &bytes, &taken_on).await {
            Ok(_) => return Ok(Redirect::to(&format!("/children/{id}#photo")).into_response()),
            Err(e) if e.code() == Code::ValidationFailed => {
                for (field, message) in e.problems() {
                    let field = if field == "photo" {
                        "photo-file"
                    } else {
                        "taken_on"
                    };
                    errors.add(field, message);
                }
            }
            Err(e) => return Err(e.into()),
        }
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
