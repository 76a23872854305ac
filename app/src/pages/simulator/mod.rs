//! The simulator console: the simulated Microsoft tenants with everything they hold,
//! their faults, create_app.ps1, and the journal of simulated calls; a form for a new
//! tenant, and the mock controls for those whose role allows them.

mod mock_controls;
mod new_tenant;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use mock_controls::MockControls;
use new_tenant::NewTenantForm;

use crate::{
    api_types::{Role, SimFault, SimTenantDetail},
    components::{ErrorNote, Loading},
    server_fns::{
        sim_create_app, sim_journal, sim_outbox, sim_set_faults, sim_tenant, sim_tenants,
    },
    session::{has_role, use_session},
};

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let user = use_session().user;
    view! {
        <Suspense fallback=Loading>
            {move || { let user = user.clone(); Suspend::new(async move {
                match user.await {
                    Some(user) if has_role(&user, Role::SimulatorManage) => {
                        let mock = has_role(&user, Role::MockManage);
                        view! { <Console mock /> }.into_any()
                    }
                    Some(_) => view! {
                        <section class="card"><h1>"Simulator"</h1>
                        <p class="error" role="alert">{format!("Your profile does not grant {}.", Role::SimulatorManage)}</p></section>
                    }.into_any(),
                    None => view! {
                        <section class="card"><h1>"Simulator"</h1><p><a href="/login">"Sign in"</a> " first."</p></section>
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn Console(
    /// Whether the user may use the mock controls (the server decides again).
    mock: bool,
) -> impl IntoView {
    let selected = use_query_map().with_untracked(|query| query.get("tenant"));
    let tenants = ArcResource::new(|| (), |_| sim_tenants());
    // Each part's type is erased: together they nest too deep for the compiler.
    let list = view! {
        <section class="card">
            <h1>"Microsoft simulator"</h1>
            <p class="muted">"Simulated Azure AD, Graph, DNS and Teams tenants. Faults make the wizard fail where it would in reality."</p>
            <Suspense fallback=Loading>
                {move || { let tenants = tenants.clone(); Suspend::new(async move {
                    match tenants.await {
                        Ok(list) => view! {
                            <ul class="tenant-list" data-testid="sim-tenants">
                                {list.into_iter().map(|t| {
                                    let faults = t.faults.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ");
                                    view! {
                                        <li>
                                            <a href=format!("/simulator?tenant={}", t.ms_tenant_id)>{t.name.clone()}</a>
                                            <small class="muted">{format!(" · {} · {}", t.initial_domain, t.ms_tenant_id)}</small>
                                            {(!faults.is_empty()).then(|| view! { <span class="badge failed">{faults}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
    .into_any();
    let panel = selected.map(|id| view! { <TenantPanel id /> }.into_any());
    let controls = mock.then(|| view! { <MockControls /> }.into_any());
    view! {
        {list}
        {panel}
        {view! { <NewTenantForm /> }.into_any()}
        {controls}
        {view! { <Outbox /> }.into_any()}
    }
}

#[component]
fn TenantPanel(id: String) -> impl IntoView {
    let detail = {
        let id = id.clone();
        ArcResource::new(|| (), move |_| sim_tenant(id.clone()))
    };
    let journal = {
        let id = id.clone();
        ArcResource::new(|| (), move |_| sim_journal(id.clone()))
    };
    view! {
        <Suspense fallback=Loading>
            {move || { let detail = detail.clone(); Suspend::new(async move {
                match detail.await {
                    Ok(tenant) => view! { <TenantDetail tenant /> }.into_any(),
                    Err(error) => view! { <section class="card"><ErrorNote error /></section> }.into_any(),
                }
            })}}
        </Suspense>
        <section class="card" aria-labelledby="journal-title">
            <h2 id="journal-title">"Journal"</h2>
            <a class="button" href=format!("/simulator?tenant={id}")>"Refresh"</a>
            <Suspense fallback=Loading>
                {move || { let journal = journal.clone(); Suspend::new(async move {
                    match journal.await {
                        Ok(entries) if entries.is_empty() => view! { <p class="empty">"No simulated calls yet."</p> }.into_any(),
                        Ok(entries) => view! {
                            <div class="table-wrap">
                                <table data-testid="sim-journal">
                                    <thead><tr><th scope="col">"At"</th><th scope="col">"Call"</th><th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"ms"</th><th scope="col">"Detail"</th></tr></thead>
                                    <tbody>
                                        {entries.into_iter().map(|e| view! {
                                            <tr>
                                                <td>{e.at.format("%H:%M:%S%.3f").to_string()}</td>
                                                <td><code>{e.operation}</code></td>
                                                <td>{e.target}</td>
                                                <td>{format!("{} {}", e.status, e.outcome)}</td>
                                                <td>{e.latency_ms}</td>
                                                <td>{e.detail.unwrap_or_default()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}

#[component]
fn TenantDetail(tenant: SimTenantDetail) -> impl IntoView {
    let id = tenant.tenant.ms_tenant_id.clone();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            view! { <p class="empty">"None"</p> }.into_any()
        } else {
            view! { <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }
                .into_any()
        }
    };
    view! {
        <section class="card" aria-labelledby="tenant-title" data-testid="sim-tenant">
            <h2 id="tenant-title">{tenant.tenant.name.clone()}</h2>
            <p class="muted"><code>{id.clone()}</code>{format!(" · {}", tenant.tenant.initial_domain)}</p>
            <FaultsEditor id=id.clone() faults=tenant.tenant.faults.clone() />
            <div class="columns">
                <div>
                    <h3>"Licenses"</h3>
                    {list(tenant.licenses.iter().map(|l| format!("{:?}: {} of {} assigned", l.sku_part_number, l.consumed_units, l.prepaid_units)).collect())}
                    <h3>"Domains"</h3>
                    {list(tenant.domains.iter().map(|d| format!("{} ({})", d.name, if d.verified { "verified" } else { "unverified" })).collect())}
                    <h3>"DNS records"</h3>
                    {list(tenant.dns_records.iter().map(|r| format!("{} {} {}", r.record_type, r.name, r.value)).collect())}
                </div>
                <div>
                    <h3>"Applications"</h3>
                    {list(tenant.applications.iter().map(|a| format!("{} {} ({} secrets)", a.display_name, a.application_id, a.secrets.len())).collect())}
                    <h3>"Users"</h3>
                    {list(tenant.users.iter().map(|u| format!("{} [{}]", u.user_principal_name, u.licenses.join(", "))).collect())}
                    <h3>"Voice objects"</h3>
                    {list(tenant.voice_objects.iter().map(|v| format!("{} {}", v.kind, v.identity)).collect())}
                </div>
            </div>
            <MintPanel id=id.clone() />
        </section>
    }
}

/// Switches the tenant's faults on and off.
#[island]
fn FaultsEditor(id: String, faults: Vec<SimFault>) -> impl IntoView {
    let faults = RwSignal::new(faults);
    let save = Action::new(move |faults: &Vec<SimFault>| {
        let (id, faults) = (id.clone(), faults.clone());
        async move { sim_set_faults(id, faults).await }
    });
    view! {
        <fieldset class="faults">
            <legend>"Faults"</legend>
            {fault_checks(faults, "fault")}
            <button type="button" data-testid="save-faults" disabled=move || save.pending().get()
                on:click=move |_| { save.dispatch(faults.get()); }>
                "Save faults"
            </button>
            {move || match save.value().get() {
                Some(Ok(())) => view! { <p class="ok" role="status">"Faults saved"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                None => ().into_any(),
            }}
        </fieldset>
    }
}

/// A checkbox per fault, ticked as `faults` holds it; `name` also prefixes their test ids.
fn fault_checks(faults: RwSignal<Vec<SimFault>>, name: &'static str) -> impl IntoView {
    SimFault::ALL
        .into_iter()
        .map(|fault| {
            view! {
                <label>
                    <input type="checkbox" name=name value=fault.as_str()
                        data-testid=format!("{name}-{}", fault.as_str())
                        prop:checked=move || faults.get().contains(&fault)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            faults.update(|list| {
                                list.retain(|f| *f != fault);
                                if on { list.push(fault); }
                            });
                        } />
                    {fault.as_str()}
                </label>
            }
        })
        .collect_view()
}

/// Runs create_app.ps1 in the tenant and shows the three values it prints.
#[island]
fn MintPanel(id: String) -> impl IntoView {
    let mint = Action::new(move |_: &()| {
        let id = id.clone();
        async move { sim_create_app(id).await }
    });
    view! {
        <h3>"create_app.ps1"</h3>
        <button type="button" data-testid="sim-create-app" disabled=move || mint.pending().get()
            on:click=move |_| { mint.dispatch(()); }>
            "Run create_app.ps1"
        </button>
        {move || match mint.value().get() {
            Some(Ok(minted)) => view! {
                <dl class="facts" data-testid="minted">
                    <dt>"msTeamsTenantId"</dt><dd><code>{minted.ms_teams_tenant_id}</code></dd>
                    <dt>"applicationId"</dt><dd><code>{minted.application_id}</code></dd>
                    <dt>"secret"</dt><dd><code>{minted.secret}</code></dd>
                </dl>
            }.into_any(),
            Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
            None => ().into_any(),
        }}
    }
}

/// The simulated mail server: the sign-in codes the platform would have e-mailed to the
/// caller and to administrators of nodes below the caller's.
#[component]
fn Outbox() -> impl IntoView {
    let mails = ArcResource::new(|| (), |_| sim_outbox());
    view! {
        <section class="card" aria-labelledby="outbox-title">
            <h2 id="outbox-title">"Outbox"</h2>
            <p class="muted">"What the platform would have e-mailed: second-factor sign-in codes."</p>
            <Suspense fallback=Loading>
                {move || { let mails = mails.clone(); Suspend::new(async move {
                    match mails.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No messages yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="outbox" data-testid="outbox">
                                {list.into_iter().map(|mail| view! {
                                    <li>
                                        <strong>{mail.subject}</strong>
                                        <small class="muted">{format!(" · to {} · {}", mail.to, mail.sent_at.format("%H:%M:%S"))}</small>
                                        <p>{mail.body}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}
