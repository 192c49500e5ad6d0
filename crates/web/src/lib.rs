//! Homeward's HTTP layer: the JSON API under `/api/v1`, described by OpenAPI 3.1 at
//! `/api/openapi.json` with a vendored Swagger UI at `/api/docs`, and the caseworker pages.
//! Only this crate serves HTTP and knows the API's JSON shapes and HTML (the worker only posts
//! webhooks); every use case is a command or
//! query of the casework layer, which the handlers call and whose errors they map to HTTP once.

pub mod ack;
mod api;
pub mod auth;
pub mod charts;
pub mod error;
mod not_found;
mod patterns_page;
mod patterns_svg;
pub mod test_clock;
mod ui;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use casework::Casework;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Settings of a running server.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

/// What every handler shares: the application and the server's settings.
#[derive(Clone)]
pub struct AppState {
    /// The application layer.
    pub casework: Casework,
    /// Server settings.
    pub settings: Settings,
}

impl AppState {
    /// The state of a server over the application.
    pub fn new(casework: Casework, settings: Settings) -> Self {
        Self { casework, settings }
    }

    /// The current instant (the application's clock).
    pub fn now(&self) -> jiff::Timestamp {
        self.casework.now()
    }

    /// An instant in Europe/London with its offset, as the API writes instants.
    pub fn format(&self, t: impl Into<jiff::Timestamp>) -> String {
        casework::time::format(self.casework.calendar(), t)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Homeward API",
        description = "Children missing from home or care: records, episodes, events and the obligations the protocols impose."
    ),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// The API routes and their OpenAPI description.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    (router, openapi)
}

/// The whole application: API, OpenAPI document, Swagger UI and health check.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api();
    Router::new()
        .merge(api)
        // No online validator badge: the UI must not request anything outside this server.
        .merge(
            SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", openapi)
                .config(utoipa_swagger_ui::Config::from("/api/openapi.json").validator_url("none")),
        )
        .route("/healthz", get(healthz))
        .merge(patterns_page::routes())
        // The caseworker pages (HTML) and their static files.
        .merge(ui::routes())
        // Charts as SVG and the page that shows them with their figures as tables.
        .merge(charts::routes())
        // Test mode only: the route exists when the application runs on a test clock.
        .merge(test_clock::routes(&state))
        // Acknowledgement links of notifications (issue 5).
        .merge(ack::routes())
        // Unknown paths: JSON under /api, the "Page not found" page elsewhere.
        .fallback(not_found::fallback)
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> StatusCode {
    match state.casework.ping().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
