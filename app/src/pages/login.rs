use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{components::ErrorNote, session::use_session};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = move || session.login.value().get().and_then(|result| result.err());
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=session.login attr:class="form" attr:aria-describedby="login-error">
                <input type="hidden" name="next" prop:value=next />
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    autofocus
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <button type="submit" class="primary" disabled=move || session.login.pending().get()>
                    "Sign in"
                </button>
                {move || error().map(|e| view! { <ErrorNote error=e id="login-error" /> })}
            </ActionForm>
            <p class="muted">
                "The demo logins are printed by " <code>"make run"</code> " and listed in the README."
            </p>
        </section>
    }
}
