//! A subscription's MS Teams page, laid out as the onboarding journey: the script, the
//! credentials, the wizard, then maintenance (secret, voice routing), link and unlink.

mod credentials;
mod links;
mod validate;
mod voice;
mod wizard;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::home::MsTeamsBadge;
use crate::{
    api_types::CurrentUser,
    backend::{SubRef, SubscriptionPage as PageData, UiError},
    components::{ErrorNote, Loading},
    server_fns::subscription,
    session::{has_role, use_session},
};

/// What every section of the page gets: where it is, who looks, what is known, and a
/// way to make the page reload its data after a change.
#[derive(Clone)]
pub struct PageContext {
    pub at: SubRef,
    pub user: CurrentUser,
    pub data: PageData,
    pub refresh: Trigger,
    /// The last confirmation, kept across the reload that follows a change.
    pub flash: RwSignal<Option<&'static str>>,
}

/// A manual refresh signal: bump it to refetch.
#[derive(Clone, Copy)]
pub struct Trigger(RwSignal<u32>);

impl Trigger {
    pub fn new() -> Self {
        Trigger(RwSignal::new(0))
    }
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
    pub fn track(&self) -> u32 {
        self.0.get()
    }
}

impl PageContext {
    pub fn can(&self, role: &str) -> bool {
        has_role(&self.user, role)
    }
    pub fn is_msteams(&self) -> bool {
        self.data.subscription.license_type == "msteams"
    }
    pub fn linked_to(&self) -> Option<i64> {
        self.data.status.as_ref().and_then(|s| s.linked_to)
    }
}

#[component]
pub fn SubscriptionPage() -> impl IntoView {
    let params = use_params_map();
    let session = use_session();
    let refresh = Trigger::new();
    let flash = RwSignal::new(None);
    let at = move || {
        let params = params.read();
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
    };
    let data = Resource::new(
        move || (at(), refresh.track()),
        |(at, _)| async move {
            match at {
                Some(at) => subscription(at).await.map(|data| (at, data)),
                None => Err(UiError {
                    status: 404,
                    code: "not_found".into(),
                    detail: "This address names no subscription".into(),
                }),
            }
        },
    );
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let user = session.user.await;
                let Some(user) = user else {
                    return view! {
                        <section class="card">
                            <h1>"Sign in first"</h1>
                            <p><a href="/login">"Sign in"</a> " to see this subscription."</p>
                        </section>
                    }
                        .into_any();
                };
                match data.await {
                    Ok((at, data)) => {
                        let page = PageContext { at, user, data, refresh, flash };
                        view! { <Journey page /> }.into_any()
                    }
                    Err(error) => view! {
                        <section class="card">
                            <h1>"Subscription"</h1>
                            <ErrorNote error />
                            <p><a href="/">"Back to the tenants"</a></p>
                        </section>
                    }
                        .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Journey(page: PageContext) -> impl IntoView {
    let subscription = page.data.subscription.clone();
    let status = page.data.status.clone();
    let linked = page.linked_to();
    let details = status.map(|s| {
        view! {
            <dl class="facts">
                <dt>"MS tenant"</dt>
                <dd><code>{s.ms_tenant_id.unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Application"</dt>
                <dd><code>{s.ms_application_id.unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Administrator"</dt>
                <dd>{s.powershell.account.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Domain"</dt>
                <dd>{s.domain.unwrap_or_else(|| "—".into())}</dd>
            </dl>
        }
    });
    let body = if !page.is_msteams() {
        view! {
            <section class="card">
                <p class="muted" data-testid="not-msteams">
                    {format!(
                        "This is a {} subscription: MS Teams onboarding needs an msteams subscription.",
                        subscription.license_type,
                    )}
                </p>
            </section>
        }
            .into_any()
    } else if let Some(owner) = linked {
        view! {
            <section class="card">
                <p data-testid="linked-note">
                    {format!(
                        "This subscription shares the MS Teams tenant of subscription #{owner}. Its credentials and wizard are managed there."
                    )}
                </p>
            </section>
            <links::Unlink page=page.clone() />
        }
            .into_any()
    } else {
        view! {
            <credentials::Script page=page.clone() />
            <credentials::Integration page=page.clone() />
            <wizard::Wizard page=page.clone() />
            <voice::Maintenance page=page.clone() />
            <links::Link page=page.clone() />
            <links::Unlink page=page.clone() />
        }
        .into_any()
    };
    view! {
        <section class="card">
            <p class="crumbs"><a href="/">"Tenants"</a> " / " {page.data.tenant_name.clone()}</p>
            <div class="section-head">
                <h1>{format!("{} (#{})", subscription.name, subscription.id)}</h1>
                <MsTeamsBadge state=subscription.ms_teams.clone() />
            </div>
            {details}
        </section>
        {body}
    }
}
