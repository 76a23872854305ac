use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{components::ErrorNote, server_fns::Login};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = crate::backend::safe_next(query.read_untracked().get("next"));
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <LoginForm next />
            <p class="muted">
                "The demo logins are printed by " <code>"make run"</code> " and listed in the README."
            </p>
        </section>
    }
}

/// The form posts to the login server function: without JavaScript the browser follows
/// its redirect; with it, a refusal shows here and a success goes on to `next`.
#[island]
fn LoginForm(next: String) -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || login.value().get().and_then(|result| result.err());
    let target = next.clone();
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            crate::components::go_to(&target);
        }
    });
    view! {
        <ActionForm action=login attr:class="form" attr:aria-describedby="login-error">
            <input type="hidden" name="next" value=next />
            <label for="username">"Username"</label>
            <input id="username" name="username" autocomplete="username" required autofocus />
            <label for="password">"Password"</label>
            <input
                id="password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
            />
            <button type="submit" class="primary" disabled=move || login.pending().get()>
                "Sign in"
            </button>
            {move || error().map(|e| view! { <ErrorNote error=e id="login-error" /> })}
        </ActionForm>
    }
}
