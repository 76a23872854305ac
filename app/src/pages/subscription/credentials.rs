//! The first part of the journey: the create_app.ps1 script, then the application
//! integration and the MS Teams administrator account (`msteams/admins`).

use base64::{Engine, engine::general_purpose::STANDARD};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{reload_done, validate};
use crate::{
    api_types::{ApplicationRequest, FileDownload, MsTeamsAdminRemoval, MsTeamsAdminRequest},
    backend::{SubRef, UiError},
    components::{Confirm, ErrorNote, TextField, hydrated, save_file},
    server_fns::{remove_administrator, set_application, sim_create_app, store_administrator},
};

/// `POST …/downloads/create_app`: in the browser through the REST API itself (gloo-net);
/// the Base64 is decoded here.
async fn fetch_script(instance: &str, at: SubRef) -> Result<FileDownload, UiError> {
    #[cfg(feature = "hydrate")]
    {
        send_wrapper::SendWrapper::new(crate::rest::create_app(instance, at)).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = instance;
        crate::server_fns::create_app(at).await
    }
}

#[island]
pub fn Script(
    /// The DRaaS instance of the REST paths.
    instance: String,
    at: SubRef,
    reason: Option<String>,
) -> impl IntoView {
    let blocked = reason.is_some();
    let download = Action::new(move |_: &()| {
        let instance = instance.clone();
        async move {
            let file = fetch_script(&instance, at).await.map_err(|e| e.detail)?;
            let bytes = STANDARD
                .decode(file.file_body.as_bytes())
                .map_err(|e| format!("The script arrived damaged: {e}"))?;
            save_file(&file.file_name, &bytes)?;
            Ok::<_, String>(file.file_name)
        }
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
                disabled=move || blocked || download.pending().get()
                title=reason.clone()
                on:click=move |_| {
                    download.dispatch(());
                }
            >
                "Download create_app.ps1"
            </button>
            {reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
            {move || match download.value().get() {
                Some(Ok(name)) => view! { <p class="ok" role="status">{format!("Saved {name}")}</p> }.into_any(),
                Some(Err(detail)) => view! { <p class="error" role="alert">{detail}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

/// What the credentials section shows and allows. An island's props travel in the page
/// as JSON, so they are one serializable struct.
#[derive(Clone, Serialize, Deserialize)]
pub struct IntegrationSection {
    pub at: SubRef,
    /// Whether an application integration is stored.
    pub integrated: bool,
    /// Why the user may not store the application, if it may not.
    pub application_reason: Option<String>,
    /// Why the user may not store or remove the administrator, if it may not.
    pub administrator_reason: Option<String>,
    /// For simulator users: the simulated tenants, as (id, label).
    pub simulator_tenants: Option<Vec<(String, String)>>,
    /// What is stored, in words.
    pub stored_application: Option<String>,
    pub stored_administrator: Option<String>,
    /// The stored account as `DELETE msteams/admins` names it, when the caller may read it.
    pub administrator: Option<MsTeamsAdminRemoval>,
    /// The `?done=` key of the change just made.
    pub done: Option<String>,
}

#[island]
pub fn Integration(section: IntegrationSection) -> impl IntoView {
    let IntegrationSection {
        at,
        integrated,
        application_reason,
        administrator_reason,
        simulator_tenants,
        stored_application,
        stored_administrator,
        administrator,
        done,
    } = section;
    // Until the island hydrates the forms stay disabled: a native submit would send
    // the secret nowhere useful.
    let hydrated = hydrated();
    view! {
        <section class="card" aria-labelledby="integration-title">
            <h2 id="integration-title">"2. Store the credentials"</h2>
            <div class="columns">
                <ApplicationForm at integrated reason=application_reason simulator_tenants
                    stored=stored_application done=done.clone() hydrated />
                <AdministratorForm at reason=administrator_reason stored=stored_administrator
                    administrator done hydrated />
            </div>
        </section>
    }
}

/// The application integration (MS Graph): tenant id, application id and secret.
#[component]
fn ApplicationForm(
    at: SubRef,
    integrated: bool,
    reason: Option<String>,
    simulator_tenants: Option<Vec<(String, String)>>,
    stored: Option<String>,
    done: Option<String>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    let tenant = RwSignal::new(String::new());
    let application = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let (tenant_error, application_error, secret_error) = (
        RwSignal::new(None),
        RwSignal::new(None),
        RwSignal::new(None),
    );
    let save = Action::new(move |body: &ApplicationRequest| {
        let body = body.clone();
        async move { set_application(at, body).await }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (t, a, s) = (tenant.get(), application.get(), secret.get());
        tenant_error.set(validate::guid("MS Teams tenant id", &t, !integrated));
        application_error.set(validate::guid("Application id", &a, true));
        secret_error.set(validate::required("Secret", &s));
        if tenant_error.get().is_none()
            && application_error.get().is_none()
            && secret_error.get().is_none()
        {
            save.dispatch(ApplicationRequest {
                ms_teams_tenant_id: (!t.trim().is_empty()).then(|| t.trim().to_owned()),
                application_id: a.trim().to_owned(),
                secret: s,
            });
        }
    };
    let minting = simulator_tenants
        .map(|options| view! { <SimulatorMint options tenant application secret /> });
    view! {
        <form on:submit=submit method="post" class="form" data-testid="application-form" novalidate>
            <h3>"Application integration (MS Graph)"</h3>
            {stored.map(|text| view! { <p class="muted">{text}</p> })}
            {minting}
            <TextField id="ms-tenant-id" label="MS Teams tenant id" value=tenant error=tenant_error
                hint=if integrated { "Optional on an update; must match the integrated tenant" } else { "The Azure AD tenant id printed by the script" } />
            <TextField id="application-id" label="Application id" value=application error=application_error />
            <TextField id="application-secret" label="Secret" kind="password" value=secret error=secret_error autocomplete="new-password" />
            <SaveButton label="Save the application" reason hydrated
                sending=save.pending() />
            <Outcome result=save.value() at key="application" done
                saved="The application integration is stored" />
        </form>
    }
}

/// The MS Teams administrator (PowerShell): store, replace or change the password of
/// the account, or remove it.
#[component]
fn AdministratorForm(
    at: SubRef,
    reason: Option<String>,
    stored: Option<String>,
    administrator: Option<MsTeamsAdminRemoval>,
    done: Option<String>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (username_error, password_error) = (RwSignal::new(None), RwSignal::new(None));
    let save = Action::new(move |body: &MsTeamsAdminRequest| {
        let body = body.clone();
        async move { store_administrator(at, body).await }
    });
    // With an account stored, an empty username keeps it and changes only its password.
    let has_administrator = stored.is_some();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (u, p) = (username.get(), password.get());
        let keep_account = has_administrator && u.trim().is_empty();
        username_error.set(if keep_account {
            None
        } else {
            validate::upn(&u)
        });
        password_error.set(validate::required("Password", &p));
        if username_error.get().is_none() && password_error.get().is_none() {
            save.dispatch(MsTeamsAdminRequest {
                ms_username: (!keep_account).then(|| u.trim().to_owned()),
                ms_password: p,
            });
        }
    };
    view! {
        <form on:submit=submit method="post" class="form" data-testid="administrator-form" novalidate>
            <h3>"MS Teams administrator (PowerShell)"</h3>
            {stored.map(|text| view! { <p class="muted">{text}</p> })}
            <TextField id="admin-username" label="Username" value=username error=username_error
                hint=if has_administrator {
                    "Leave it empty to change only the password of the stored account"
                } else {
                    "An administrator account without multi-factor authentication"
                } />
            <TextField id="admin-password" label="Password" kind="password" value=password error=password_error autocomplete="new-password" />
            <SaveButton label="Save the administrator" reason=reason.clone() hydrated
                sending=save.pending() />
            <Outcome result=save.value() at key="administrator" done=done.clone()
                saved="The administrator credentials are stored" />
            <RemoveAdministrator at administrator reason done hydrated />
        </form>
    }
}

/// Removing the stored administrator, behind a confirmation that names it.
#[component]
fn RemoveAdministrator(
    at: SubRef,
    administrator: Option<MsTeamsAdminRemoval>,
    reason: Option<String>,
    done: Option<String>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let remove = Action::new(move |body: &MsTeamsAdminRemoval| {
        let body = body.clone();
        async move { remove_administrator(at, body).await }
    });
    Effect::new(move |_| {
        if remove.value().get().is_some() {
            confirming.set(false);
        }
    });
    let blocked = reason.is_some();
    let opener = NodeRef::<leptos::html::Button>::new();
    let controls = administrator.map(|stored| {
        let question = format!(
            "Remove the administrator {}? The wizard and voice routing updates need one.",
            stored.ms_username,
        );
        view! {
            <button type="button" class="danger" data-testid="remove-administrator" node_ref=opener
                disabled=move || blocked || !hydrated.get()
                aria-expanded=move || confirming.get().to_string()
                title=reason
                on:click=move |_| confirming.set(true)>
                "Remove the administrator…"
            </button>
            {move || confirming.get().then(|| {
                let removal = stored.clone();
                view! {
                    <Confirm id="remove-administrator-question" question=question.clone()
                        yes="Yes, remove" testid="remove-administrator-confirm"
                        pending=remove.pending() opener open=confirming
                        on_yes=Callback::new(move |()| { remove.dispatch(removal.clone()); }) />
                }
            })}
        }
    });
    view! {
        {controls}
        <Outcome result=remove.value() at key="administrator-removed" done
            saved="The administrator account is removed" />
    }
}

/// A credentials form's submit button: disabled, with the reason under it, when the user
/// may not; and until the island hydrates, and while the change is sent.
#[component]
fn SaveButton(
    label: &'static str,
    reason: Option<String>,
    hydrated: ReadSignal<bool>,
    #[prop(into)] sending: Signal<bool>,
) -> impl IntoView {
    let blocked = reason.is_some();
    view! {
        <button type="submit" class="primary" disabled=move || blocked || !hydrated.get() || sending.get()
            title=reason.clone()>
            {label}
        </button>
        {reason.map(|reason| view! { <p class="muted">{reason}</p> })}
    }
}

/// What a change came to: the server's refusal, or after success a reload whose
/// `?done=<key>` shows `saved` here.
#[component]
pub fn Outcome(
    #[prop(into)] result: Signal<Option<Result<(), UiError>>>,
    at: SubRef,
    key: &'static str,
    done: Option<String>,
    saved: &'static str,
) -> impl IntoView {
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            reload_done(at, key);
        }
    });
    let confirmed = done.as_deref() == Some(key);
    move || match result.get() {
        Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
        // Shown after the reload: it takes the focus, as a live region present at load
        // is not announced.
        None if confirmed => {
            view! { <p class="ok" role="status" tabindex="-1" autofocus>{saved}</p> }.into_any()
        }
        _ => ().into_any(),
    }
}

/// For simulator users: run create_app.ps1 in a simulated tenant and fill the form.
#[component]
fn SimulatorMint(
    options: Vec<(String, String)>,
    tenant: RwSignal<String>,
    application: RwSignal<String>,
    secret: RwSignal<String>,
) -> impl IntoView {
    let select = NodeRef::<leptos::html::Select>::new();
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
    let empty = options.is_empty();
    view! {
        <div class="sim-mint">
            <label for="sim-tenant">"Simulator: run create_app.ps1 in"</label>
            <select id="sim-tenant" node_ref=select>
                {options
                    .into_iter()
                    .map(|(id, label)| view! { <option value=id>{label}</option> })
                    .collect_view()}
            </select>
            <button type="button" data-testid="sim-mint"
                disabled=move || empty || mint.pending().get()
                on:click=move |_| {
                    if let Some(select) = select.get() {
                        mint.dispatch(select.value());
                    }
                }>
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
