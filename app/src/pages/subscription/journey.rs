//! The journey on a subscription's page, section by section: what the subscription is,
//! then (for an msteams subscription with a tenant of its own) the script, the
//! credentials, the wizard, maintenance and linking, and unlinking. What each section
//! allows comes from `permissions`.

use leptos::prelude::*;

use super::{
    credentials::{self, IntegrationSection},
    links,
    permissions::{Permissions, integrated, permissions},
    voice::{self, MaintenanceSection},
    wizard,
};
use crate::{
    api_types::{CurrentUser, LicenseType, MsTeamsAdminRemoval, MsTeamsStatus, OnboardingState},
    backend::{SubRef, SubscriptionPage},
    pages::home::MsTeamsBadge,
};

#[component]
pub fn Journey(
    at: SubRef,
    user: CurrentUser,
    data: SubscriptionPage,
    done: Option<String>,
    simulator_tenants: Option<Vec<(String, String)>>,
) -> impl IntoView {
    let may = permissions(&user, &data);
    let subscription = &data.subscription;
    let name = format!("{} (#{})", subscription.name, subscription.id);
    let unlink = view! {
        <links::Unlink at name=name.clone() reason=may.unlink.clone() done=done.clone() />
    };
    let linked_to = data.status.as_ref().and_then(|s| s.linked_to);
    let body = if subscription.license_type != LicenseType::Msteams {
        view! { <NotMsTeams license_type=subscription.license_type /> }.into_any()
    } else if let Some(owner) = linked_to {
        view! { <LinkedNote owner /> {unlink} }.into_any()
    } else {
        view! {
            <OwnTenant instance=user.draas_instance.clone() at data=data.clone() may done simulator_tenants />
            {unlink}
        }
        .into_any()
    };
    view! {
        <Summary name data />
        {body}
    }
}

/// The subscription: where it is, its name and MS Teams state, and its tenant's facts.
#[component]
fn Summary(name: String, data: SubscriptionPage) -> impl IntoView {
    view! {
        <section class="card">
            <p class="crumbs"><a href="/">"Tenants"</a> " / " {data.tenant_name}</p>
            <div class="section-head">
                <h1>{name}</h1>
                <MsTeamsBadge state=data.subscription.ms_teams />
            </div>
            {data.status.map(|status| view! { <Facts status /> })}
        </section>
    }
}

#[component]
fn Facts(status: MsTeamsStatus) -> impl IntoView {
    let domain = status.domain.map_or_else(
        || "—".to_owned(),
        |d| {
            if d.verified {
                d.name
            } else {
                format!("{} (not verified yet)", d.name)
            }
        },
    );
    view! {
        <dl class="facts">
            <dt>"MS tenant"</dt>
            <dd><code>{status.ms_tenant_id.unwrap_or_else(|| "—".into())}</code></dd>
            <dt>"Application"</dt>
            <dd><code>{status.ms_application_id.unwrap_or_else(|| "—".into())}</code></dd>
            <dt>"Administrator"</dt>
            <dd>{status.powershell.ms_user_name.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Domain"</dt>
            <dd>{domain}</dd>
            <dt>"Status"</dt>
            <dd><code data-testid="msteams-status">{status.status.to_string()}</code></dd>
        </dl>
    }
}

#[component]
fn NotMsTeams(license_type: LicenseType) -> impl IntoView {
    view! {
        <section class="card">
            <p class="muted" data-testid="not-msteams">
                {format!(
                    "This is a {license_type} subscription: MS Teams onboarding needs an msteams subscription.",
                )}
            </p>
        </section>
    }
}

#[component]
fn LinkedNote(owner: i64) -> impl IntoView {
    view! {
        <section class="card">
            <p data-testid="linked-note">
                {format!(
                    "This subscription shares the MS Teams tenant of subscription #{owner}. Its credentials and wizard are managed there."
                )}
            </p>
        </section>
    }
}

/// The sections of a subscription that has (or may get) an MS Teams tenant of its own.
#[component]
fn OwnTenant(
    /// The DRaaS instance of the REST paths the browser calls.
    instance: String,
    at: SubRef,
    data: SubscriptionPage,
    may: Permissions,
    done: Option<String>,
    simulator_tenants: Option<Vec<(String, String)>>,
) -> impl IntoView {
    let running = data.subscription.ms_teams.state == OnboardingState::Onboarding;
    let integration = IntegrationSection {
        at,
        integrated: integrated(data.status.as_ref()),
        application_reason: may.store_application.clone(),
        administrator_reason: may.store_administrator.clone(),
        simulator_tenants,
        stored_application: data.status.as_ref().and_then(stored_application),
        stored_administrator: data.status.as_ref().and_then(stored_administrator),
        administrator: removal(&data),
        done: done.clone(),
    };
    let maintenance = MaintenanceSection {
        at,
        application_id: data
            .status
            .and_then(|s| s.ms_application_id)
            .unwrap_or_default(),
        reset_reason: may.reset_secret,
        vrp_reason: may.update_vrp,
        done: done.clone(),
    };
    view! {
        <credentials::Script instance=instance.clone() at reason=may.download_script />
        <credentials::Integration section=integration />
        <wizard::Wizard instance at start_reason=may.start_wizard read_reason=may.read_wizard running />
        <voice::Maintenance section=maintenance />
        {may.show_link.then(|| view! { <links::Link at reason=may.link done /> })}
    }
}

/// The stored administrator as `DELETE msteams/admins` names it, when the user may read
/// it.
fn removal(data: &SubscriptionPage) -> Option<MsTeamsAdminRemoval> {
    let stored = data.administrator.clone()?;
    let (id, ms_username) = stored.id.zip(stored.ms_username)?;
    Some(MsTeamsAdminRemoval { id, ms_username })
}

/// The stored application, in words.
fn stored_application(status: &MsTeamsStatus) -> Option<String> {
    let graph = &status.ms_graph;
    let expired = if graph.active {
        ""
    } else {
        " (the secret has expired: reset it)"
    };
    graph
        .ms_application_id
        .as_ref()
        .map(|id| format!("Stored: application {id} with its secret{expired}"))
}

/// The stored administrator account, in words.
fn stored_administrator(status: &MsTeamsStatus) -> Option<String> {
    let powershell = &status.powershell;
    powershell
        .ms_user_name
        .as_ref()
        .filter(|_| powershell.active)
        .map(|name| format!("Stored: {name}"))
}
