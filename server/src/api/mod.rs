//! The REST API under `/api/v01`: thin handlers over the domain services.

pub mod audit;
mod auth;
mod directory;
pub mod extract;
mod health;
mod metrics;
mod mock;
mod msteams;
pub mod openapi;
pub mod paths;
pub mod problem;
pub mod responses;
mod wizard;

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, middleware, routing::any};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{domain::AppError, simulator, state::AppState};

/// The largest JSON body accepted (413 beyond).
pub const BODY_LIMIT: usize = 64 * 1024;

const SUBSCRIPTION: &str = "/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}";

/// What every JSON router shares: problem+json for unknown paths and methods, the body
/// limit, and the audit log of mutating calls.
fn with_json_edges(
    router: Router<AppState>,
    state: AppState,
    not_found: &'static str,
) -> Router<AppState> {
    router
        .fallback(move || async move { AppError::NotFound(not_found.into()) })
        .method_not_allowed_fallback(|| async {
            problem::response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This endpoint does not accept that HTTP method",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state,
            audit::record_mutations,
        ))
}

/// Every route with its OpenAPI operation, registered once: the API under `/api/v01`,
/// the simulator under `/sim/v1`, `/metrics`, `/livez` and `/readyz`, and the document
/// built from them.
pub fn router(state: AppState) -> Router<AppState> {
    let api = OpenApiRouter::new()
        .merge(auth::router())
        .merge(directory::router())
        .nest(
            SUBSCRIPTION,
            msteams::router().merge(wizard::subscription_router()),
        )
        .merge(wizard::router());
    let (routes, paths) = OpenApiRouter::new()
        .nest(
            "/api/v01",
            with_edges(api, state.clone(), "No such API endpoint"),
        )
        .nest(
            "/sim/v1",
            with_edges(
                simulator::api::router(),
                state.clone(),
                "No such simulator endpoint",
            ),
        )
        .nest(
            "/mock/v1",
            with_edges(mock::router(), state.clone(), "No such mock control"),
        )
        .merge(metrics::router())
        .merge(health::router())
        .split_for_parts();
    routes
        // `nest` leaves "/api/v01/" and "/sim/v1/" to the pages: answer them as the
        // fallbacks do.
        .route(
            "/api/v01/",
            any(|| async { AppError::NotFound("No such API endpoint".into()) }),
        )
        .route(
            "/sim/v1/",
            any(|| async { AppError::NotFound("No such simulator endpoint".into()) }),
        )
        .merge(
            SwaggerUi::new("/api/v01/docs")
                // One document, built once, served where the vendor-style path expects it.
                .url("/api/v01/openapi.json", openapi::document(paths)),
        )
}

/// `with_json_edges` for an `OpenApiRouter`, keeping its operations.
fn with_edges(
    router: OpenApiRouter<AppState>,
    state: AppState,
    not_found: &'static str,
) -> OpenApiRouter<AppState> {
    let (routes, paths) = router.split_for_parts();
    let mut edged = OpenApiRouter::from(with_json_edges(routes, state, not_found));
    *edged.get_openapi_mut() = paths;
    edged
}
