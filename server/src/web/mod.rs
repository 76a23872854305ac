//! The whole axum application: the REST API beside the Leptos pages and static files,
//! inside the edges every request passes (see `layers`).

mod client;
mod csrf;
mod edges;
mod observe;
mod security;

use std::sync::Arc;

use app::{App, backend::SharedBackend, shell};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};

pub use client::ClientAddress;
pub use security::Site;

use crate::{api, state::AppState, ui::UiBackend};

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // The UI's server functions reach the domain services through this handle.
    let backend: SharedBackend = Arc::new(UiBackend::new(state.clone()));
    let cookie = state.site.cookie;
    let page_context = move || {
        provide_context(backend.clone());
        provide_context(cookie);
        security::page_policy_from_context();
    };
    let pages = Router::new()
        .merge(api::router(state.clone()))
        .leptos_routes_with_context(&state, routes, page_context.clone(), move || {
            shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            page_context,
            shell,
        ))
        .with_state(state.clone());
    edges::layers(pages, &state)
}
