//! The console's form for a new simulated MS tenant: name, licenses, faults. Made, the
//! console opens it.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::{
    api_types::{NewSimTenant, SimFault, SkuPart},
    components::{ErrorNote, TextField, go_to, hydrated},
    server_fns::sim_create_tenant,
};

/// Free licenses per SKU a new tenant starts with in the form.
const DEFAULT_LICENSES: u32 = 2;

#[island]
pub fn NewTenantForm() -> impl IntoView {
    let hydrated = hydrated();
    let name = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let licenses = SkuPart::ALL.map(|sku| (sku, RwSignal::new(DEFAULT_LICENSES.to_string())));
    let faults = RwSignal::new(Vec::<SimFault>::new());
    let create = Action::new(move |body: &NewSimTenant| {
        let body = body.clone();
        async move { sim_create_tenant(body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(made)) = create.value().get() {
            go_to(&format!("/simulator?tenant={}", made.tenant.ms_tenant_id));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if name.get_untracked().trim().is_empty() {
            name_error.set(Some("Give the tenant a name".into()));
            return;
        }
        let mut counts = BTreeMap::new();
        for (sku, value) in licenses {
            // The server refuses what is not a whole number from 0 to 10,000, in words.
            let count = value
                .get_untracked()
                .trim()
                .parse::<u32>()
                .unwrap_or(u32::MAX);
            counts.insert(sku, count);
        }
        create.dispatch(NewSimTenant {
            ms_tenant_id: None,
            name: name.get_untracked(),
            licenses: Some(counts),
            faults: faults.get_untracked(),
        });
    };
    view! {
        <form class="card" aria-labelledby="new-tenant-title" data-testid="new-sim-tenant" on:submit=submit>
            <h2 id="new-tenant-title">"New simulated tenant"</h2>
            <TextField id="sim-tenant-name" label="Name" value=name error=name_error
                hint="Also makes its initial domain, such as tailwind.onmicrosoft.com" />
            <fieldset class="licenses">
                <legend>"Free licenses"</legend>
                {licenses.map(|(sku, value)| {
                    let id = format!("sim-licenses-{}", sku.as_str());
                    view! {
                        <label for=id.clone()>{sku.as_str()}</label>
                        <input id=id type="number" min="0" max="10000" inputmode="numeric"
                            prop:value=move || value.get()
                            on:input=move |ev| value.set(event_target_value(&ev)) />
                    }
                }).collect_view()}
            </fieldset>
            <fieldset class="faults">
                <legend>"Faults"</legend>
                {super::fault_checks(faults, "new-fault")}
            </fieldset>
            <button type="submit" class="primary" data-testid="create-sim-tenant"
                disabled=move || !hydrated.get() || create.pending().get()>
                "Create tenant"
            </button>
            {move || match create.value().get() {
                Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                Some(Ok(_)) => view! { <p class="ok" role="status">"Created: opening it…"</p> }.into_any(),
                None => ().into_any(),
            }}
        </form>
    }
}
