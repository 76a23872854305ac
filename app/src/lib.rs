//! The user interface and the API's shared types.
//!
//! The pages render on the server; only the interactive parts are islands (`#[island]`)
//! hydrated in the browser, so the wasm bundle carries those alone. Navigation is by
//! plain links.
//!
//! `api_types` holds the serde DTOs of the REST API; they compile for the server (ssr)
//! and for the browser (hydrate). This crate never depends on `server`: what the UI needs
//! from the server is declared in `backend` and `server_fns` (each operation once) and
//! provided through Leptos context.

#![recursion_limit = "256"]

pub mod api_types;
pub mod backend;
mod components;
mod pages;
#[cfg(feature = "hydrate")]
mod rest;
pub mod server_fns;
mod session;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    session::provide();
    view! {
        <Stylesheet id="leptos" href="/pkg/fusion-teams-onboarding.css" />
        <Title text="Fusion Teams Onboarding" />
        <Router>
            <session::Header />
            <main>
                <Routes fallback=pages::NotFound>
                    // Async: the whole page is in the first response, readable without JavaScript.
                    <Route path=path!("/") view=pages::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::LoginPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/tenants/:tenant/subscriptions/:subscription")
                        view=pages::SubscriptionPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/simulator") view=pages::SimulatorPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                <HydrationStatus />
            </footer>
        </Router>
    }
}

/// "Interactive" once the wasm runs: tests wait for it before clicking.
#[island]
fn HydrationStatus() -> impl IntoView {
    let hydrated = components::hydrated();
    view! {
        <span class="status" data-testid="hydration-status">
            {move || if hydrated.get() { "Interactive" } else { "Loading…" }}
        </span>
    }
}
