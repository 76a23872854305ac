//! The mock controls in the console, for those whose role allows them: reset to the
//! loaded scenario (asked first: every session ends), and the export as a download.

use leptos::prelude::*;

use crate::{
    components::{Confirm, ErrorNote, go_to, hydrated},
    server_fns::mock_reset,
};

#[island]
pub fn MockControls() -> impl IntoView {
    let hydrated = hydrated();
    let confirming = RwSignal::new(false);
    let opener = NodeRef::<leptos::html::Button>::new();
    let reset = Action::new(move |_: &()| mock_reset());
    Effect::new(move |_| {
        // The reset ended every session, this one too.
        if let Some(Ok(())) = reset.value().get() {
            go_to("/login");
        }
    });
    view! {
        <section class="card" aria-labelledby="mock-title" data-testid="mock-controls">
            <h2 id="mock-title">"Mock controls"</h2>
            <p class="muted">"The state as a scenario file, or back to the loaded scenario for every user."</p>
            <a class="button" href="/mock/v1/export" download="scenario.json" data-testid="mock-export">
                "Export the state as a scenario"
            </a>
            " "
            <button type="button" class="danger" data-testid="mock-reset" node_ref=opener
                disabled=move || !hydrated.get()
                aria-expanded=move || confirming.get().to_string()
                on:click=move |_| confirming.set(true)>
                "Reset to the scenario…"
            </button>
            {move || confirming.get().then(|| view! {
                <Confirm id="mock-reset-question"
                    question="Reset every group's data to the loaded scenario? Every session ends, yours too, and running wizards stop.".to_owned()
                    yes="Yes, reset" yes_testid="mock-reset-yes" testid="mock-reset-confirm"
                    pending=reset.pending() opener open=confirming
                    on_yes=Callback::new(move |()| { reset.dispatch(()); }) />
            })}
            {move || match reset.value().get() {
                Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
                Some(Ok(())) => view! { <p class="ok" role="status">"Reset: sign in again."</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}
