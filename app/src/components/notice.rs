use leptos::prelude::*;

use crate::backend::UiError;

/// A refusal from the server, in words, tied to what it is about by `id`.
#[component]
pub fn ErrorNote(error: UiError, #[prop(optional, into)] id: String) -> impl IntoView {
    let sign_in = error.unauthenticated();
    view! {
        <p class="error" role="alert" id=id data-testid="error">
            {error.detail}
            {sign_in.then(|| view! { " " <a href="/login">"Sign in"</a> })}
        </p>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted">"Loading…"</p> }
}
