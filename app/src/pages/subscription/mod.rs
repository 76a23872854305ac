//! A subscription's MS Teams page, laid out as the onboarding journey: the script, the
//! credentials, the wizard, then maintenance (secret, voice routing), link and unlink.
//! The page renders on the server; each section that acts is an island. After a change
//! an island reloads the page with `?done=<what>`, so the server shows the new state and
//! the island its confirmation.

mod credentials;
mod journey;
mod links;
mod permissions;
mod validate;
mod voice;
mod wizard;

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_params_map, use_query_map},
    params::ParamsMap,
};

use crate::{
    api_types::Role,
    backend::{SubRef, SubscriptionPage as SubscriptionData, UiError},
    components::{ErrorNote, Loading, go_to},
    server_fns::{sim_tenants, subscription},
    session::{has_role, use_session},
};
use journey::Journey;

/// Reloads the page with the confirmation key of what just changed.
pub(super) fn reload_done(at: SubRef, done: &str) {
    go_to(&format!(
        "/tenants/{}/subscriptions/{}?done={done}",
        at.tenant, at.subscription
    ));
}

#[component]
pub fn SubscriptionPage() -> impl IntoView {
    let params = use_params_map();
    let user = use_session().user;
    let done = use_query_map().with_untracked(|query| query.get("done"));
    let at = sub_ref(&params.read_untracked());
    let data = ArcResource::new(move || at, page_data);
    view! {
        <Suspense fallback=Loading>
            {move || {
                let (done, user, data) = (done.clone(), user.clone(), data.clone());
                Suspend::new(async move {
                    let Some(user) = user.await else {
                        return sign_in_first().into_any();
                    };
                    match data.await {
                        Ok((at, data)) => {
                            let simulator_tenants = if has_role(&user, Role::SimulatorManage) {
                                Some(simulator_options().await)
                            } else {
                                None
                            };
                            view! { <Journey at user data done simulator_tenants /> }.into_any()
                        }
                        Err(error) => not_shown(error).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The subscription the address names, if it names one.
fn sub_ref(params: &ParamsMap) -> Option<SubRef> {
    let tenant = params
        .get("tenant")
        .and_then(|t| uuid::Uuid::parse_str(&t).ok());
    let subscription = params
        .get("subscription")
        .and_then(|s| s.parse::<i64>().ok());
    tenant
        .zip(subscription)
        .map(|(tenant, subscription)| SubRef {
            tenant,
            subscription,
        })
}

/// The page's data, with the subscription it is about; an address that names none is
/// a 404 like an unknown subscription.
async fn page_data(at: Option<SubRef>) -> Result<(SubRef, SubscriptionData), UiError> {
    match at {
        Some(at) => subscription(at).await.map(|data| (at, data)),
        None => Err(UiError {
            status: 404,
            code: "not_found".into(),
            detail: "This address names no subscription".into(),
        }),
    }
}

fn sign_in_first() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Sign in first"</h1>
            <p><a href="/login">"Sign in"</a> " to see this subscription."</p>
        </section>
    }
}

/// The page when the subscription cannot be shown: why, and the way back.
fn not_shown(error: UiError) -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Subscription"</h1>
            <ErrorNote error />
            <p><a href="/">"Back to the tenants"</a></p>
        </section>
    }
}

/// The simulated tenants as options for "Run create_app.ps1": (id, label with faults).
async fn simulator_options() -> Vec<(String, String)> {
    sim_tenants()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let label = if t.faults.is_empty() {
                t.name
            } else {
                let faults: Vec<&str> = t.faults.iter().map(|f| f.as_str()).collect();
                format!("{} ({})", t.name, faults.join(", "))
            };
            (t.ms_tenant_id, label)
        })
        .collect()
}
