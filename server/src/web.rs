//! The whole axum application: the REST API beside the Leptos pages and static files.

use std::sync::Arc;

use app::{App, backend::SharedBackend, shell};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use tower_http::trace::TraceLayer;

use crate::{api, simulator, state::AppState, ui::UiBackend};

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // The UI's server functions reach the domain services through this handle.
    let backend: SharedBackend = Arc::new(UiBackend::new(state.clone()));
    Router::new()
        .merge(api::router(state.clone()))
        .merge(simulator::api::router(state.clone()))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(options.clone()),
        )
        .fallback(file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
