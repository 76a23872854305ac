//! Signing in: the username and password, then, for an administrator with a second
//! factor on a browser not trusted yet, the code (e-mailed, or from an authenticator
//! app) with "trust this browser". Both forms post without JavaScript too.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api_types::TwoFactorOption,
    backend::{SignInStep, second_factor_page},
    components::ErrorNote,
    server_fns::{Login, SecondFactor},
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let (next, challenge) = use_query_map().with_untracked(|query| {
        let next = crate::backend::safe_next(query.get("next"));
        let challenge = query.get("challenge").zip(
            query
                .get("option")
                .and_then(|option| TwoFactorOption::parse(&option)),
        );
        (next, challenge)
    });
    match challenge {
        Some((payload, option)) => view! {
            <section class="card narrow">
                <h1>"Enter your sign-in code"</h1>
                <SecondFactorForm payload option=option.as_str().to_owned() next />
                <p class="muted"><a href="/login">"Start again"</a></p>
            </section>
        }
        .into_any(),
        None => view! {
            <section class="card narrow">
                <h1>"Sign in"</h1>
                <LoginForm next />
                <p class="muted">
                    "The demo logins are printed by " <code>"make run"</code> " and listed in the README."
                </p>
            </section>
        }
        .into_any(),
    }
}

/// The form posts to the login server function: without JavaScript the browser follows
/// its redirect; with it, a refusal shows here, a success goes on to `next`, and a
/// second factor to the page asking for the code.
#[island]
fn LoginForm(next: String) -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || login.value().get().and_then(|result| result.err());
    let target = next.clone();
    Effect::new(move |_| {
        if let Some(Ok(step)) = login.value().get() {
            crate::components::go_to(&second_factor_page(&step, &target));
        }
    });
    view! {
        <ActionForm action=login attr:class="form">
            <input type="hidden" name="next" value=next />
            <label for="username">"Username"</label>
            <input id="username" name="username" autocomplete="username" required autofocus
                aria-describedby=move || error().map(|_| "login-error")
                aria-invalid=move || error().map(|_| "true") />
            <label for="password">"Password"</label>
            <input
                id="password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
                aria-describedby=move || error().map(|_| "login-error")
                aria-invalid=move || error().map(|_| "true")
            />
            <button type="submit" class="primary" disabled=move || login.pending().get()>
                "Sign in"
            </button>
            {move || error().map(|e| view! { <ErrorNote error=e id="login-error" /> })}
        </ActionForm>
    }
}

/// The second step: the code, and whether to trust this browser.
#[island]
fn SecondFactorForm(payload: String, option: String, next: String) -> impl IntoView {
    let verify = ServerAction::<SecondFactor>::new();
    let error = move || verify.value().get().and_then(|result| result.err());
    let target = next.clone();
    Effect::new(move |_| {
        if let Some(Ok(SignInStep::Done)) = verify.value().get() {
            crate::components::go_to(&target);
        }
    });
    let where_from = if option == "totp" {
        "Enter the six-digit code your authenticator app shows."
    } else {
        "We have e-mailed you a six-digit code: enter it here."
    };
    view! {
        <p id="code-help" data-testid="second-factor-help">{where_from}</p>
        <ActionForm action=verify attr:class="form">
            <input type="hidden" name="payload" value=payload />
            <input type="hidden" name="option" value=option />
            <input type="hidden" name="next" value=next />
            <label for="code">"Code"</label>
            <input
                id="code"
                name="code"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxlength="6"
                required
                autofocus
                aria-describedby=move || {
                    if error().is_some() { "code-help code-error" } else { "code-help" }
                }
                aria-invalid=move || error().map(|_| "true")
            />
            <label class="check">
                <input type="checkbox" name="trust" value="true" />
                " Trust this browser: no code on it for a while"
            </label>
            <button type="submit" class="primary" disabled=move || verify.pending().get()>
                "Verify"
            </button>
            {move || error().map(|e| view! { <ErrorNote error=e id="code-error" /> })}
        </ActionForm>
    }
}
