//! The caseworker pages: server-rendered HTML (askama templates in `templates/`) in the GOV.UK
//! Design System style, working without JavaScript. Every read and write is a command or query
//! of the casework layer, the same ones the API calls.

mod assets;
mod child;
mod documents;
mod episode;
mod event_forms;
mod forms;
mod interview;
pub(crate) mod layout;
mod meeting;
mod missing_now;
mod my_work;
mod photo;
mod print;
mod records;
mod sign_in;
mod weekly;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

use crate::AppState;

/// The HTML routes and the static files they use.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(assets::static_file))
        .route("/assets/{*path}", get(assets::govuk_asset))
        .route("/", get(|| async { Redirect::to("/my-work") }))
        .route("/sign-in", get(sign_in::page).post(sign_in::sign_in))
        .route("/sign-out", axum::routing::post(sign_in::sign_out))
        .route("/my-work", get(my_work::page))
        .route("/missing-now", get(missing_now::page))
        .route("/weekly", get(weekly::page))
        .route("/children", get(child::list))
        .route("/children/{id}", get(child::page))
        .route(
            "/children/{id}/episodes",
            axum::routing::post(child::open_episode),
        )
        .route(
            "/children/{id}/documents",
            axum::routing::post(documents::create),
        )
        .route(
            "/children/{id}/photo",
            get(photo::get)
                .post(photo::upload)
                .layer(photo::body_limit()),
        )
        .route("/episodes/{id}", get(episode::page))
        .route(
            "/episodes/{id}/events",
            axum::routing::post(episode::record_event),
        )
        .route(
            "/obligations/{id}/discharge",
            axum::routing::post(episode::discharge),
        )
        .route("/episodes/{id}/interviews/new", get(interview::new))
        .route(
            "/episodes/{id}/interviews",
            axum::routing::post(interview::create),
        )
        .route("/interviews/{id}", get(interview::page))
        .route(
            "/interviews/{id}/sign-off",
            axum::routing::post(interview::sign_off),
        )
        .route("/episodes/{id}/meetings/new", get(meeting::new))
        .route(
            "/episodes/{id}/meetings",
            axum::routing::post(meeting::create),
        )
        .route("/meetings/{id}", get(meeting::page))
        .route(
            "/meeting-actions/{id}/complete",
            axum::routing::post(meeting::complete),
        )
        .route(
            "/episodes/{id}/print/leadership-alert",
            get(print::leadership_alert),
        )
        .route(
            "/episodes/{id}/print/strategic-notification",
            get(print::strategic_notification),
        )
        .route("/children/{id}/print/police-pack", get(print::police_pack))
}
