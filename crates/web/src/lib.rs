//! Homeward's HTTP layer: the JSON API under `/api/v1`, described by OpenAPI 3.1 at
//! `/api/openapi.json` with a vendored Swagger UI at `/api/docs`; sign-in, access control and
//! audit. Only this crate knows HTTP and the API's JSON shapes.

pub mod access;
pub mod ack;
mod api;
pub mod audit_writer;
pub mod auth;
pub mod charts;
pub mod error;
pub mod evaluation;
pub mod patterns;
mod patterns_page;
mod patterns_svg;
pub mod routing;
pub mod test_clock;
mod ui;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use jiff::Timestamp;
use protocol::{Calendar, Catalog};
use store::Repository;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Where "now" comes from: the system clock in service, a settable clock in tests.
#[derive(Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// A fixed instant that tests move by hand (accepted only in test mode).
    Fixed(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }
}

/// Settings of a running server.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The case store.
    pub store: Arc<dyn Repository>,
    /// The rule packs.
    pub catalog: Arc<Catalog>,
    /// The calendar.
    pub calendar: Arc<Calendar>,
    /// The clock.
    pub clock: Clock,
    /// Server settings.
    pub settings: Settings,
    /// Failed sign-in tracking.
    pub throttle: Arc<auth::Throttle>,
    /// Group-committing writer of the audit rows of reads.
    pub audit: audit_writer::AuditWriter,
}

impl AppState {
    /// A state over a store with the bundled packs and calendar. Starts the audit writer, so it
    /// must be called inside a Tokio runtime.
    pub fn new(
        store: Arc<dyn Repository>,
        catalog: Catalog,
        calendar: Calendar,
        clock: Clock,
        settings: Settings,
    ) -> Self {
        Self {
            audit: audit_writer::AuditWriter::start(store.clone()),
            store,
            catalog: Arc::new(catalog),
            calendar: Arc::new(calendar),
            clock,
            settings,
            throttle: Arc::default(),
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Microseconds since the epoch, the store's instant.
pub fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The instant of a stored microsecond count.
pub fn instant(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
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
        // Test mode only: the route exists when the state runs on a test clock.
        .merge(test_clock::routes(&state))
        // Acknowledgement links of notifications (issue 5).
        .merge(ack::routes())
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> StatusCode {
    match state.store.ping().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
