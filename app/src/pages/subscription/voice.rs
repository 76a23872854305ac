//! Maintenance after onboarding: reset the application secret, re-apply voice routing.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{credentials::Outcome, validate};
use crate::{
    api_types::{ResetSecretRequest, VoiceRoutingItem, VoiceRoutingStatus},
    backend::SubRef,
    components::{ErrorNote, TextField, hydrated},
    server_fns::{reset_secret, update_vrp},
};

/// What the maintenance section shows and allows (an island's props travel in the page
/// as JSON, so they are one serializable struct).
#[derive(Clone, Serialize, Deserialize)]
pub struct MaintenanceSection {
    pub at: SubRef,
    /// The stored application's id, to start the reset form with.
    pub application_id: String,
    /// Why the user may not reset the secret, if it may not.
    pub reset_reason: Option<String>,
    /// Why the user may not update voice routing, if it may not.
    pub vrp_reason: Option<String>,
    /// The `?done=` key of the change just made.
    pub done: Option<String>,
}

#[island]
pub fn Maintenance(section: MaintenanceSection) -> impl IntoView {
    let MaintenanceSection {
        at,
        application_id,
        reset_reason,
        vrp_reason,
        done,
    } = section;
    // Disabled until hydrated, so a native submit never sends the secret anywhere.
    let hydrated = hydrated();
    view! {
        <section class="card" aria-labelledby="maintenance-title">
            <h2 id="maintenance-title">"4. Maintain"</h2>
            <div class="columns">
                <ResetSecretForm at application_id reason=reset_reason done hydrated />
                <UpdateVoiceRouting at reason=vrp_reason />
            </div>
        </section>
    }
}

/// A new secret for the stored application.
#[component]
fn ResetSecretForm(
    at: SubRef,
    application_id: String,
    reason: Option<String>,
    done: Option<String>,
    hydrated: ReadSignal<bool>,
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
    let disabled = reason.is_some();
    view! {
        <form on:submit=submit method="post" class="form" data-testid="reset-secret-form" novalidate>
            <h3>"Reset the application secret"</h3>
            <TextField id="reset-application-id" label="Application id" value=application error=application_error />
            <TextField id="reset-secret" label="New secret" kind="password" value=secret error=secret_error autocomplete="new-password" />
            <button type="submit" disabled=move || disabled || !hydrated.get() || reset.pending().get() title=reason.clone()>
                "Reset the secret"
            </button>
            {reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
            <Outcome result=reset.value() at key="secret" done saved="The new secret is stored" />
        </form>
    }
}

/// Re-applies voice routing and shows what it did.
#[component]
fn UpdateVoiceRouting(at: SubRef, reason: Option<String>) -> impl IntoView {
    let vrp = Action::new(move |_: &()| async move { update_vrp(at).await });
    let disabled = reason.is_some();
    view! {
        <div class="form" data-testid="update-vrp">
            <h3>"Voice routing"</h3>
            <p class="muted">"Re-applies the PSTN usage, voice route and voice routing policy in the MS Teams tenant."</p>
            <button type="button" disabled=move || disabled || vrp.pending().get() title=reason.clone()
                on:click=move |_| { vrp.dispatch(()); }>
                "Update voice routing"
            </button>
            {reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
            {move || match vrp.value().get() {
                Some(Ok(status)) => view! { <VoiceRoutingTable status /> }.into_any(),
                Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                None => ().into_any(),
            }}
        </div>
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
                    <td><span class=format!("badge {}", item.status) data-testid="vrs-status">{item.status.to_string()}</span></td>
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
