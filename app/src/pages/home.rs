use leptos::prelude::*;

/// The start page. It tells what the product does and where the API lives; the
/// signed-in dashboard replaces it in a later slice.
#[component]
pub fn HomePage() -> impl IntoView {
    // Proves hydration in the browser: the button only reacts once the wasm runs.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <section class="card">
            <h1>"Connect MS Teams tenants to Fusion voice"</h1>
            <p>
                "Onboard a customer's Microsoft Teams tenant for Direct Routing: prepare the "
                "Azure AD application, store the administrator credentials, run the six-step "
                "wizard and link further subscriptions to an onboarded tenant."
            </p>
            <p>
                "Integrators script against the REST API under "
                <code>"/api/v01"</code>
                "; its OpenAPI description is at "
                <a href="/api/v01/openapi.json" rel="external">"/api/v01/openapi.json"</a>
                " and can be tried on the "
                <a href="/api/v01/docs/" rel="external">"API docs page"</a>
                "."
            </p>
            <p class="status" data-testid="hydration-status">
                {move || if hydrated.get() { "Interactive" } else { "Loading…" }}
            </p>
        </section>
    }
}
