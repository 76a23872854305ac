//! A subscription's MS Teams page, laid out as the onboarding journey: the script, the
//! credentials, the wizard, then maintenance (secret, voice routing), link and unlink.
//! The page renders on the server; each section that acts is an island. After a change
//! an island reloads the page with `?done=<what>`, so the server shows the new state and
//! the island its confirmation.

mod credentials;
mod links;
mod validate;
mod voice;
mod wizard;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::home::MsTeamsBadge;
use crate::{
    api_types::{AdminLevel, CurrentUser, MsTeamsAdminRemoval, MsTeamsTenantStatus},
    backend::{SubRef, SubscriptionPage as PageData, UiError},
    components::{ErrorNote, Loading, go_to},
    server_fns::{sim_tenants, subscription},
    session::{has_role, use_session},
};

const DOWNLOAD_ROLE: &str = "tenants.instance.subscriptions.instance.downloads.create_app";
const APPLICATIONS_ROLE: &str =
    "tenants.instance.subscriptions.instance.msteams.applications.create";
const ADMINISTRATOR_ROLE: &str =
    "tenants.instance.subscriptions.instance.msteams.administrator.update";
const START_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.wizard.start";
const READ_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.wizard.read";
const RESET_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.secret.reset";
const VRP_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.update.vrp";
const SOURCES_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.source.list";
const LINK_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.link";
const UNLINK_ROLE: &str = "tenants.instance.subscriptions.instance.msteams.unlink";

/// Why the caller may not do something, or `None` when it may.
fn reason(allowed: bool, role: &str, otherwise: Option<&str>) -> Option<String> {
    if !allowed {
        Some(format!("Your profile does not grant {role}"))
    } else {
        otherwise.map(str::to_owned)
    }
}

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
    let at = {
        let params = params.read_untracked();
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
    let data = ArcResource::new(
        move || at,
        |at| async move {
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
        <Suspense fallback=Loading>
            {move || {
                let (done, user, data) = (done.clone(), user.clone(), data.clone());
                Suspend::new(async move {
                    let Some(user) = user.await else {
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
                            let simulator_tenants = if has_role(&user, "simulator.manage") {
                                Some(simulator_options().await)
                            } else {
                                None
                            };
                            view! { <Journey at user data done simulator_tenants /> }.into_any()
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
                })
            }}
        </Suspense>
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

#[component]
fn Journey(
    at: SubRef,
    user: CurrentUser,
    data: PageData,
    done: Option<String>,
    simulator_tenants: Option<Vec<(String, String)>>,
) -> impl IntoView {
    let can = |role: &str| has_role(&user, role);
    let subscription = data.subscription.clone();
    let status = data.status.clone();
    let graph = status.as_ref().map(|s| s.ms_graph.clone());
    let powershell = status.as_ref().map(|s| s.powershell.clone());
    let integrated = graph
        .as_ref()
        .is_some_and(|g| g.ms_application_id.is_some());
    let administered = powershell.as_ref().is_some_and(|p| p.active);
    let onboarded = status
        .as_ref()
        .is_some_and(|s| s.status == MsTeamsTenantStatus::Onboarded);
    let administrator = data.administrator.clone().and_then(|stored| {
        stored
            .id
            .zip(stored.ms_username)
            .map(|(id, ms_username)| MsTeamsAdminRemoval { id, ms_username })
    });
    let has_tenant = status.is_some();
    let name = format!("{} (#{})", subscription.name, subscription.id);
    let details = status.clone().map(|s| {
        view! {
            <dl class="facts">
                <dt>"MS tenant"</dt>
                <dd><code>{s.ms_tenant_id.unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Application"</dt>
                <dd><code>{s.ms_application_id.unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Administrator"</dt>
                <dd>{s.powershell.ms_user_name.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Domain"</dt>
                <dd>
                    {s.domain.map_or_else(
                        || "—".to_owned(),
                        |d| if d.verified { d.name } else { format!("{} (not verified yet)", d.name) },
                    )}
                </dd>
                <dt>"Status"</dt>
                <dd><code data-testid="msteams-status">{s.status.as_str()}</code></dd>
            </dl>
        }
    });
    let unlink_reason = reason(
        can(UNLINK_ROLE),
        UNLINK_ROLE,
        (!has_tenant).then_some("There is no MS Teams tenant to unlink"),
    );
    let unlink =
        view! { <links::Unlink at name=name.clone() reason=unlink_reason done=done.clone() /> };
    let body = if subscription.license_type != "msteams" {
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
    } else if let Some(owner) = status.as_ref().and_then(|s| s.linked_to) {
        view! {
            <section class="card">
                <p data-testid="linked-note">
                    {format!(
                        "This subscription shares the MS Teams tenant of subscription #{owner}. Its credentials and wizard are managed there."
                    )}
                </p>
            </section>
            {unlink}
        }
            .into_any()
    } else {
        let stored_application = graph.and_then(|g| {
            let expired = if g.active {
                ""
            } else {
                " (the secret has expired: reset it)"
            };
            g.ms_application_id
                .map(|id| format!("Stored: application {id} with its secret{expired}"))
        });
        let stored_administrator = powershell
            .filter(|p| p.active)
            .and_then(|p| p.ms_user_name)
            .map(|name| format!("Stored: {name}"));
        let start_reason = reason(
            can(START_ROLE),
            START_ROLE,
            (!(integrated && administered))
                .then_some("Store the application integration and the administrator first"),
        );
        let reset_reason = reason(
            can(RESET_ROLE),
            RESET_ROLE,
            (!integrated).then_some("There is no application integration to reset yet"),
        );
        let vrp_reason = reason(
            can(VRP_ROLE),
            VRP_ROLE,
            (!onboarded).then_some("Voice routing can be updated once the tenant is onboarded"),
        );
        let show_link = user.level != AdminLevel::Tenant && can(SOURCES_ROLE);
        let link_reason = reason(
            can(LINK_ROLE),
            LINK_ROLE,
            has_tenant.then_some(
                "This subscription has its own MS Teams tenant: unlink it before linking",
            ),
        );
        let application_id = status
            .as_ref()
            .and_then(|s| s.ms_application_id.clone())
            .unwrap_or_default();
        view! {
            <credentials::Script at reason=reason(can(DOWNLOAD_ROLE), DOWNLOAD_ROLE, None) />
            <credentials::Integration
                at
                integrated
                application_reason=reason(can(APPLICATIONS_ROLE), APPLICATIONS_ROLE, None)
                administrator_reason=reason(can(ADMINISTRATOR_ROLE), ADMINISTRATOR_ROLE, None)
                simulator_tenants
                stored_application
                stored_administrator
                administrator
                done=done.clone()
            />
            <wizard::Wizard
                at
                start_reason
                read_reason=reason(can(READ_ROLE), READ_ROLE, None)
                running=subscription.ms_teams.state == "onboarding"
            />
            <voice::Maintenance at application_id reset_reason vrp_reason done=done.clone() />
            {show_link.then(|| view! { <links::Link at reason=link_reason done=done.clone() /> })}
            {unlink}
        }
        .into_any()
    };
    view! {
        <section class="card">
            <p class="crumbs"><a href="/">"Tenants"</a> " / " {data.tenant_name.clone()}</p>
            <div class="section-head">
                <h1>{name}</h1>
                <MsTeamsBadge state=subscription.ms_teams.clone() />
            </div>
            {details}
        </section>
        {body}
    }
}
