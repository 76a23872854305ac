//! The user interface and the API's shared types.
//!
//! `api_types` holds the serde DTOs of the REST API; they compile for the server (ssr)
//! and for the browser (hydrate). This crate never depends on `server`: what the UI needs
//! from the server is declared here and provided through Leptos context.

pub mod api_types;
mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
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
                <HydrationScripts options />
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
    view! {
        <Stylesheet id="leptos" href="/pkg/fusion-teams-onboarding.css" />
        <Title text="Fusion Teams Onboarding" />
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Fusion Teams Onboarding"</a>
                <nav>
                    <a href="/api/v01/docs/" rel="external">"API docs"</a>
                </nav>
            </header>
            <main>
                <Routes fallback=pages::NotFound>
                    <Route path=StaticSegment("") view=pages::HomePage />
                </Routes>
            </main>
        </Router>
    }
}
