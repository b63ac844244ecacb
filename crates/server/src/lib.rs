//! The Sakimori HTTP application (axum): the REST API under `/api/v1`, its
//! OpenAPI document, `/healthz` and Prometheus `/metrics`.
//!
//! Every API route is declared once in [`api::routes`] with the permission it
//! needs; the router, the permission check and the OpenAPI document are all
//! built from that one table, so no route can exist without a declared permission.

pub mod api;
mod auth;
pub mod console;
pub mod error;
mod metrics;
mod openapi;
pub mod taxii;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sakimori_core::lookup::AssetIndex;
use sakimori_core::routing::RoutingRules;
use sakimori_core::severity::SeverityRules;
use sakimori_store::Store;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use api::{routes, RouteSpec};
pub use openapi::document as openapi_document;

/// Settings of the report features, from configuration.
#[derive(Clone)]
pub struct Settings {
    pub routing: RoutingRules,
    pub severity: SeverityRules,
    /// The largest attachment accepted, in bytes.
    pub attachment_max_bytes: usize,
    /// Whether ministries and hubs relay advisories at once or after review.
    pub relay: sakimori_store::RelayPolicy,
    /// Unacknowledged advisories: remind after this, then escalate to deputies.
    pub remind_after: chrono::Duration,
    pub escalate_after: chrono::Duration,
    /// Known-benign values that flag likely false positives.
    pub warninglists: sakimori_core::warninglist::Warninglists,
    /// Serve TLP:CLEAR objects without a token at `/api/v1/intel/public`.
    pub public_feed: bool,
    /// The sensor triage pipeline (window, noise settings) for logs posted
    /// to the API.
    pub pipeline: sakimori_pipeline::CentreConfig,
}

/// The default routing rules shipped in `data/routing/default.yaml`.
pub const DEFAULT_ROUTING: &str = include_str!("../../../data/routing/default.yaml");

impl Default for Settings {
    fn default() -> Self {
        Settings {
            routing: serde_norway::from_str(DEFAULT_ROUTING).expect("shipped routing rules parse"),
            severity: SeverityRules::default(),
            attachment_max_bytes: 10 * 1024 * 1024,
            relay: sakimori_store::RelayPolicy::default(),
            remind_after: chrono::Duration::hours(4),
            escalate_after: chrono::Duration::hours(8),
            warninglists: sakimori_core::warninglist::Warninglists::shipped(),
            public_feed: false,
            pipeline: sakimori_pipeline::CentreConfig::default(),
        }
    }
}

/// Shared state of the server: the store and caches derived from it.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
    /// Lookup index with the registry generation it was built from.
    index: Arc<RwLock<(String, Arc<AssetIndex>)>>,
    metrics: Arc<metrics::Metrics>,
    /// The sensor pipeline, started on first use (it needs the registry).
    centre: Arc<tokio::sync::OnceCell<Arc<sakimori_pipeline::Centre>>>,
}

impl AppState {
    pub fn new(store: Arc<Store>) -> Self {
        Self::with_settings(store, Settings::default())
    }

    pub fn with_settings(store: Arc<Store>, settings: Settings) -> Self {
        AppState {
            store,
            settings: Arc::new(settings),
            index: Arc::new(RwLock::new((
                String::from("-"),
                Arc::new(AssetIndex::new()),
            ))),
            metrics: Arc::new(metrics::Metrics::new()),
            centre: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The sensor pipeline of this process.
    pub async fn centre(
        &self,
    ) -> Result<Arc<sakimori_pipeline::Centre>, sakimori_store::StoreError> {
        self.centre
            .get_or_try_init(|| async {
                let mut config = self.settings.pipeline.clone();
                config.warninglists = self.settings.warninglists.clone();
                sakimori_pipeline::Centre::new(self.store.clone(), config)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// The lookup index, rebuilt when the registry changed (by API or CLI).
    pub async fn asset_index(&self) -> Result<Arc<AssetIndex>, sakimori_store::StoreError> {
        let generation = self.store.registry_generation().await?;
        {
            let cached = self.index.read().expect("index lock");
            if cached.0 == generation {
                return Ok(cached.1.clone());
            }
        }
        let fresh = Arc::new(self.store.asset_index().await?);
        *self.index.write().expect("index lock") = (generation, fresh.clone());
        Ok(fresh)
    }
}

/// The whole application router.
pub fn app(state: AppState) -> Router {
    let mut api = Router::new();
    for spec in routes() {
        api = api.route(spec.path, spec.into_method_router(&state));
    }
    Router::new()
        .merge(api)
        .merge(console::routes(state.clone()))
        .merge(taxii::routes(state.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route(
            "/api/v1/openapi.json",
            get(|| async { Json(openapi::document()) }),
        )
        .fallback(|| async { error::ApiError::not_found("no such route") })
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::new(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
            .into_response()
        }))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// The confidentiality notice of communities with that rule (the Council), as
/// sent with every view and export of their objects (an HTTP header: ASCII).
pub fn notice_header(communities: &[String]) -> String {
    format!(
        "CONFIDENTIAL - shared under the rules of {}: members only, duty of confidentiality; do not disclose",
        communities.join(", ")
    )
}

/// Count and time every request for `/metrics`.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    state
        .metrics
        .observe(method, path, resp.status().as_u16(), start.elapsed());
    resp
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
