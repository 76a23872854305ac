//! The first part of the journey: the create_app.ps1 script, then the application
//! integration and the MS Teams administrator credentials.

use base64::{Engine, engine::general_purpose::STANDARD};
use leptos::prelude::*;

use super::{PageContext, Trigger, validate};
use crate::{
    api_types::{AdministratorRequest, ApplicationRequest, SimTenantSummary},
    backend::UiError,
    components::{ErrorNote, TextField, save_file},
    server_fns::{create_app, set_administrator, set_application, sim_create_app, sim_tenants},
};

const DOWNLOAD_ROLE: &str = "tenants.instance.subscriptions.instance.downloads.create_app";
const APPLICATIONS_ROLE: &str =
    "tenants.instance.subscriptions.instance.msteams.applications.create";
const ADMINISTRATOR_ROLE: &str =
    "tenants.instance.subscriptions.instance.msteams.administrator.update";

fn denied(role: &str) -> String {
    format!("Your profile does not grant {role}")
}

#[component]
pub fn Script(page: PageContext) -> impl IntoView {
    let at = page.at;
    let allowed = page.can(DOWNLOAD_ROLE);
    let download = Action::new(move |_: &()| async move {
        let file = create_app(at).await.map_err(|e| e.detail)?;
        let bytes = STANDARD
            .decode(file.file_body.as_bytes())
            .map_err(|e| format!("The script arrived damaged: {e}"))?;
        save_file(&file.file_name, &bytes)?;
        Ok::<_, String>(file.file_name)
    });
    view! {
        <section class="card" aria-labelledby="script-title">
            <h2 id="script-title">"1. Prepare the Azure AD application"</h2>
            <p>
                "Download " <code>"create_app.ps1"</code>
                ", customised for your group, and run it as a Global Administrator of the customer's tenant. "
                "It prints the tenant id, application id and secret to enter below."
            </p>
            <button
                type="button"
                data-testid="download-script"
                disabled=move || !allowed || download.pending().get()
                title=(!allowed).then(|| denied(DOWNLOAD_ROLE))
                on:click=move |_| {
                    download.dispatch(());
                }
            >
                "Download create_app.ps1"
            </button>
            {(!allowed).then(|| view! { <p class="muted">{denied(DOWNLOAD_ROLE)}</p> })}
            {move || match download.value().get() {
                Some(Ok(name)) => view! { <p class="ok" role="status">{format!("Saved {name}")}</p> }.into_any(),
                Some(Err(detail)) => view! { <p class="error" role="alert">{detail}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

#[component]
pub fn Integration(page: PageContext) -> impl IntoView {
    let at = page.at;
    let status = page.data.status.clone();
    let integrated = status.as_ref().is_some_and(|s| s.ms_graph.configured);
    let can_app = page.can(APPLICATIONS_ROLE);
    let can_admin = page.can(ADMINISTRATOR_ROLE);
    let (refresh, flash) = (page.refresh, page.flash);

    let tenant = RwSignal::new(String::new());
    let application = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let (tenant_error, application_error, secret_error) = (
        RwSignal::new(None),
        RwSignal::new(None),
        RwSignal::new(None),
    );
    let save_app = Action::new(move |body: &ApplicationRequest| {
        let body = body.clone();
        async move { set_application(at, body).await }
    });
    let submit_app = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (t, a, s) = (tenant.get(), application.get(), secret.get());
        tenant_error.set(validate::guid("MS Teams tenant id", &t, !integrated));
        application_error.set(validate::guid("Application id", &a, true));
        secret_error.set(validate::required("Secret", &s));
        if tenant_error.get().is_none()
            && application_error.get().is_none()
            && secret_error.get().is_none()
        {
            save_app.dispatch(ApplicationRequest {
                ms_teams_tenant_id: (!t.trim().is_empty()).then(|| t.trim().to_owned()),
                application_id: a.trim().to_owned(),
                secret: s,
            });
        }
    };

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (username_error, password_error) = (RwSignal::new(None), RwSignal::new(None));
    let save_admin = Action::new(move |body: &AdministratorRequest| {
        let body = body.clone();
        async move { set_administrator(at, body).await }
    });
    let submit_admin = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (u, p) = (username.get(), password.get());
        username_error.set(validate::upn(&u));
        password_error.set(validate::required("Password", &p));
        if username_error.get().is_none() && password_error.get().is_none() {
            save_admin.dispatch(AdministratorRequest {
                username: u.trim().to_owned(),
                password: p,
            });
        }
    };

    let graph = status.as_ref().map(|s| s.ms_graph.clone());
    let powershell = status.as_ref().map(|s| s.powershell.clone());
    let minting = page
        .can("simulator.manage")
        .then(|| view! { <SimulatorMint tenant application secret /> });
    view! {
        <section class="card" aria-labelledby="integration-title">
            <h2 id="integration-title">"2. Store the credentials"</h2>
            <div class="columns">
                <form on:submit=submit_app class="form" data-testid="application-form" novalidate>
                    <h3>"Application integration (MS Graph)"</h3>
                    {graph.filter(|g| g.configured).map(|g| view! {
                        <p class="muted">{format!("Stored: application {}, secret {}", g.account.unwrap_or_default(), g.secret_hint.unwrap_or_default())}</p>
                    })}
                    {minting}
                    <TextField id="ms-tenant-id" label="MS Teams tenant id" value=tenant error=tenant_error
                        hint=if integrated { "Optional on an update; must match the integrated tenant" } else { "The Azure AD tenant id printed by the script" } />
                    <TextField id="application-id" label="Application id" value=application error=application_error />
                    <TextField id="application-secret" label="Secret" kind="password" value=secret error=secret_error autocomplete="new-password" />
                    <button type="submit" class="primary" disabled=move || !can_app || save_app.pending().get()
                        title=(!can_app).then(|| denied(APPLICATIONS_ROLE))>
                        "Save the application"
                    </button>
                    {(!can_app).then(|| view! { <p class="muted">{denied(APPLICATIONS_ROLE)}</p> })}
                    <Outcome result=save_app.value() saved="The application integration is stored" refresh flash />
                </form>
                <form on:submit=submit_admin class="form" data-testid="administrator-form" novalidate>
                    <h3>"MS Teams administrator (PowerShell)"</h3>
                    {powershell.filter(|p| p.configured).map(|p| view! {
                        <p class="muted">{format!("Stored: {}", p.account.unwrap_or_default())}</p>
                    })}
                    <TextField id="admin-username" label="Username" value=username error=username_error
                        hint="An administrator account without multi-factor authentication" autocomplete="off" />
                    <TextField id="admin-password" label="Password" kind="password" value=password error=password_error autocomplete="new-password" />
                    <button type="submit" class="primary" disabled=move || !can_admin || save_admin.pending().get()
                        title=(!can_admin).then(|| denied(ADMINISTRATOR_ROLE))>
                        "Save the administrator"
                    </button>
                    {(!can_admin).then(|| view! { <p class="muted">{denied(ADMINISTRATOR_ROLE)}</p> })}
                    <Outcome result=save_admin.value() saved="The administrator credentials are stored" refresh flash />
                </form>
            </div>
        </section>
    }
}

/// What a save came to: the server's refusal, or (after the page reloads its data) a
/// confirmation.
#[component]
pub fn Outcome(
    #[prop(into)] result: Signal<Option<Result<(), UiError>>>,
    saved: &'static str,
    refresh: Trigger,
    flash: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            flash.set(Some(saved));
            refresh.bump();
        }
    });
    move || match result.get() {
        Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
        _ if flash.get() == Some(saved) => {
            view! { <p class="ok" role="status">{saved}</p> }.into_any()
        }
        _ => ().into_any(),
    }
}

/// For simulator users: run create_app.ps1 in a simulated tenant and fill the form.
#[component]
fn SimulatorMint(
    tenant: RwSignal<String>,
    application: RwSignal<String>,
    secret: RwSignal<String>,
) -> impl IntoView {
    let tenants = Resource::new(|| (), |_| sim_tenants());
    let chosen = RwSignal::new(String::new());
    let mint = Action::new(move |id: &String| {
        let id = id.clone();
        async move { sim_create_app(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(minted)) = mint.value().get() {
            tenant.set(minted.ms_teams_tenant_id);
            application.set(minted.application_id);
            secret.set(minted.secret);
        }
    });
    view! {
        <div class="sim-mint">
            <label for="sim-tenant">"Simulator: run create_app.ps1 in"</label>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let options: Vec<SimTenantSummary> = tenants.await.unwrap_or_default();
                    if let Some(first) = options.first() && chosen.get_untracked().is_empty() {
                        chosen.set(first.ms_tenant_id.clone());
                    }
                    view! {
                        <select id="sim-tenant" on:change=move |ev| chosen.set(event_target_value(&ev))
                            prop:value=move || chosen.get()>
                            {options.into_iter().map(|t| {
                                let label = if t.faults.is_empty() {
                                    t.name.clone()
                                } else {
                                    format!("{} ({})", t.name, t.faults.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", "))
                                };
                                view! { <option value=t.ms_tenant_id.clone()>{label}</option> }
                            }).collect_view()}
                        </select>
                    }
                })}
            </Transition>
            <button type="button" data-testid="sim-mint" on:click=move |_| { mint.dispatch(chosen.get()); }
                disabled=move || mint.pending().get()>
                "Run create_app.ps1"
            </button>
            {move || match mint.value().get() {
                Some(Ok(_)) => view! { <p class="ok" role="status">"The form is filled with the minted credentials"</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                None => ().into_any(),
            }}
        </div>
    }
}
