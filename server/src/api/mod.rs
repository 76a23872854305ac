//! The REST API under `/api/v01`: thin handlers over the domain services.

pub mod audit;
mod auth;
mod directory;
pub mod extract;
mod metrics;
mod msteams;
pub mod openapi;
pub mod problem;
mod wizard;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{any, get, post, put},
};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{domain::AppError, state::AppState};

/// The largest JSON body accepted (413 beyond).
pub const BODY_LIMIT: usize = 64 * 1024;

const SUBSCRIPTION: &str = "/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}";

/// What every JSON router shares: problem+json for unknown paths and methods, the body
/// limit, and the audit log of mutating calls.
pub fn with_json_edges(
    router: Router<AppState>,
    state: AppState,
    not_found: &'static str,
) -> Router<AppState> {
    router
        .fallback(move || async move { AppError::NotFound(not_found.into()) })
        .method_not_allowed_fallback(|| async {
            AppError::MethodNotAllowed("This endpoint does not accept that HTTP method".into())
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state,
            audit::record_mutations,
        ))
}

/// The routes under `/api/v01`, with their problem+json fallbacks and the audit log.
pub fn router(state: AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/2fa", post(auth::two_factor))
        .route("/auth/2fa_totp", post(auth::two_factor_totp))
        .route("/auth/access_token", get(auth::refresh))
        .route("/auth/logout", post(auth::logout).get(auth::logout_by_get))
        .route("/system/users/local", get(auth::local_user))
        .route("/draas/{draas_instance}/groups", get(directory::groups))
        .route(
            "/draas/{draas_instance}/distributors",
            get(directory::distributors),
        )
        .route(
            "/draas/{draas_instance}/resellers",
            get(directory::resellers),
        )
        .route("/draas/{draas_instance}/tenants", get(directory::tenants))
        .route(
            "/draas/{draas_instance}/tenants/{uuid}",
            get(directory::tenant),
        )
        .route(
            "/draas/{draas_instance}/tenants/{uuid}/subscriptions",
            get(directory::subscriptions),
        )
        .route(SUBSCRIPTION, get(directory::subscription))
        .route(
            &format!("{SUBSCRIPTION}/msteams/applications"),
            post(msteams::applications),
        )
        .route(
            &format!("{SUBSCRIPTION}/msteams/admins"),
            get(msteams::admins)
                .post(msteams::store_admin)
                .delete(msteams::remove_admin),
        )
        .route(
            &format!("{SUBSCRIPTION}/downloads/create_app"),
            post(msteams::create_app),
        )
        .route(
            &format!("{SUBSCRIPTION}/msteams/reset_secret"),
            post(msteams::reset_secret),
        )
        .route(
            &format!("{SUBSCRIPTION}/msteams/unlink"),
            post(msteams::unlink),
        )
        .route(
            &format!("{SUBSCRIPTION}/msteams/sources"),
            get(msteams::sources),
        )
        .route(&format!("{SUBSCRIPTION}/msteams/link"), post(msteams::link))
        .route(
            &format!("{SUBSCRIPTION}/msteams/status"),
            get(msteams::status),
        )
        .route(
            &format!("{SUBSCRIPTION}/msteams/update_vrp"),
            put(msteams::update_vrp),
        )
        .route(
            &format!("{SUBSCRIPTION}/msteams/wizard"),
            post(wizard::start).get(wizard::state),
        )
        .route("/transactions/{id}", get(wizard::transaction));
    let api = with_json_edges(api, state, "No such API endpoint");
    Router::new()
        .nest("/api/v01", api)
        // `nest` leaves "/api/v01/" itself to the pages: answer it as the API's fallback does.
        .route(
            "/api/v01/",
            any(|| async { AppError::NotFound("No such API endpoint".into()) }),
        )
        .route("/metrics", get(metrics::metrics))
        .merge(
            SwaggerUi::new("/api/v01/docs")
                // One document, built once, served where the vendor-style path expects it.
                .url("/api/v01/openapi.json", openapi::ApiDoc::openapi()),
        )
}
