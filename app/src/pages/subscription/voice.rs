//! Maintenance after onboarding: reset the application secret, re-apply voice routing.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{credentials::Outcome, validate};
use crate::{
    api_types::{ResetSecretRequest, VoiceRoutingItem, VoiceRoutingStatus},
    backend::SubRef,
    components::{ErrorNote, TextField},
    server_fns::{reset_secret, update_vrp},
};

#[island]
pub fn Maintenance(
    at: SubRef,
    application_id: String,
    reset_reason: Option<String>,
    vrp_reason: Option<String>,
    done: Option<String>,
) -> impl IntoView {
    let application = RwSignal::new(application_id);
    let secret = RwSignal::new(String::new());
    let (application_error, secret_error) = (RwSignal::new(None), RwSignal::new(None));
    let reset = Action::new(move |body: &ResetSecretRequest| {
        let body = body.clone();
        async move { reset_secret(at, body).await }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        application_error.set(validate::guid("Application id", &application.get(), true));
        secret_error.set(validate::required("New secret", &secret.get()));
        if application_error.get().is_none() && secret_error.get().is_none() {
            reset.dispatch(ResetSecretRequest {
                application_id: application.get().trim().to_owned(),
                secret: secret.get(),
            });
        }
    };
    let vrp = Action::new(move |_: &()| async move { update_vrp(at).await });
    // Disabled until hydrated, so a native submit never sends the secret anywhere.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let reset_disabled = reset_reason.is_some();
    let vrp_disabled = vrp_reason.is_some();
    view! {
        <section class="card" aria-labelledby="maintenance-title">
            <h2 id="maintenance-title">"4. Maintain"</h2>
            <div class="columns">
                <form on:submit=submit method="post" class="form" data-testid="reset-secret-form" novalidate>
                    <h3>"Reset the application secret"</h3>
                    <TextField id="reset-application-id" label="Application id" value=application error=application_error />
                    <TextField id="reset-secret" label="New secret" kind="password" value=secret error=secret_error autocomplete="new-password" />
                    <button type="submit" disabled=move || reset_disabled || !hydrated.get() || reset.pending().get() title=reset_reason.clone()>
                        "Reset the secret"
                    </button>
                    {reset_reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
                    <Outcome result=reset.value() at key="secret" done saved="The new secret is stored" />
                </form>
                <div class="form" data-testid="update-vrp">
                    <h3>"Voice routing"</h3>
                    <p class="muted">"Re-applies the PSTN usage, voice route and voice routing policy in the MS Teams tenant."</p>
                    <button type="button" disabled=move || vrp_disabled || vrp.pending().get() title=vrp_reason.clone()
                        on:click=move |_| { vrp.dispatch(()); }>
                        "Update voice routing"
                    </button>
                    {vrp_reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
                    {move || match vrp.value().get() {
                        Some(Ok(status)) => view! { <VoiceRoutingTable status /> }.into_any(),
                        Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                        None => ().into_any(),
                    }}
                </div>
            </div>
        </section>
    }
}

/// The Voice Routing Status: one row per object, with its status and Microsoft's detail.
#[component]
pub fn VoiceRoutingTable(status: VoiceRoutingStatus) -> impl IntoView {
    let rows = |kind: &'static str, items: BTreeMap<String, VoiceRoutingItem>| {
        items.into_iter().map(move |(name, item)| {
            view! {
                <tr data-testid=format!("vrs-{kind}")>
                    <th scope="row">{kind}</th>
                    <td><code>{name}</code></td>
                    <td><span class=format!("badge {}", item.status) data-testid="vrs-status">{item.status.clone()}</span></td>
                    <td>{item.detail}</td>
                </tr>
            }
        })
    };
    view! {
        <div class="table-wrap">
            <table class="vrs" data-testid="voice-routing-status">
                <thead>
                    <tr><th scope="col">"Kind"</th><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Detail"</th></tr>
                </thead>
                <tbody>
                    {rows("pstn", status.pstn).collect_view()}
                    {rows("vr", status.vr).collect_view()}
                    {rows("vrp", status.vrp).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
