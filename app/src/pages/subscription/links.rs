//! Linking a subscription to another's onboarded MS Teams tenant, and unlinking.

use leptos::prelude::*;

use super::credentials::Outcome;
use crate::{
    backend::SubRef,
    components::{Confirm, ErrorNote, Loading},
    server_fns::{link, sources, unlink},
};

/// Group, distributor and reseller admins only: the page leaves it out for tenant admins.
#[island]
pub fn Link(at: SubRef, reason: Option<String>, done: Option<String>) -> impl IntoView {
    let list = Resource::new(|| (), move |_| sources(at));
    let chosen = RwSignal::new(String::new());
    let action = Action::new(move |source: &i64| {
        let source = *source;
        async move { link(at, source).await }
    });
    let disabled = reason.is_some();
    view! {
        <section class="card" aria-labelledby="link-title" data-testid="link-section">
            <h2 id="link-title">"Link to an onboarded tenant"</h2>
            <p class="muted">"Share the MS Teams tenant of another subscription in your tree of authority instead of onboarding this one."</p>
            <Transition fallback=Loading>
                {move || {
                    let reason = reason.clone();
                    Suspend::new(async move {
                        match list.await {
                            Ok(options) if options.is_empty() => view! { <p class="empty">"No onboarded subscription to link to."</p> }.into_any(),
                            Ok(options) => {
                                if chosen.get_untracked().is_empty() {
                                    chosen.set(options[0].subscription_id.to_string());
                                }
                                view! {
                                    <div class="inline-form">
                                        <label for="link-source">"Source subscription"</label>
                                        <select id="link-source" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                                            {options.into_iter().map(|s| view! {
                                                <option value=s.subscription_id.to_string()>
                                                    {format!("{} · {} (#{})", s.tenant_name, s.subscription_name, s.subscription_id)}
                                                </option>
                                            }).collect_view()}
                                        </select>
                                        <button type="button" data-testid="link-button" disabled=move || disabled || action.pending().get()
                                            title=reason.clone()
                                            on:click=move |_| {
                                                if let Ok(source) = chosen.get().parse::<i64>() {
                                                    action.dispatch(source);
                                                }
                                            }>
                                            "Link"
                                        </button>
                                    </div>
                                    {reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorNote error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <Outcome result=action.value() at key="link" done saved="Linked" />
        </section>
    }
}

/// Unlink, behind a confirmation that names the subscription.
#[island]
pub fn Unlink(
    at: SubRef,
    name: String,
    reason: Option<String>,
    done: Option<String>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let action = Action::new(move |_: &()| async move { unlink(at).await });
    Effect::new(move |_| {
        if action.value().get().is_some() {
            confirming.set(false);
        }
    });
    let disabled = reason.is_some();
    let opener = NodeRef::<leptos::html::Button>::new();
    let question =
        format!("Unlink the MS Teams tenant from {name}? Its onboarded data in Fusion is erased.");
    view! {
        <section class="card" aria-labelledby="unlink-title" data-testid="unlink-section">
            <h2 id="unlink-title">"Unlink"</h2>
            <p class="muted">"Refused while users have direct routing enabled, while other subscriptions are linked to this tenant, or while the wizard runs."</p>
            <button type="button" class="danger" data-testid="unlink-button" node_ref=opener disabled=disabled
                aria-expanded=move || confirming.get().to_string()
                title=reason.clone() on:click=move |_| confirming.set(true)>
                "Unlink…"
            </button>
            {reason.clone().map(|reason| view! { <p class="muted">{reason}</p> })}
            {move || confirming.get().then(|| view! {
                <Confirm id="unlink-question" question=question.clone() yes="Yes, unlink"
                    yes_testid="unlink-confirm-button" testid="unlink-confirm"
                    pending=action.pending() opener open=confirming
                    on_yes=Callback::new(move |()| { action.dispatch(()); }) />
            })}
            <Outcome result=action.value() at key="unlink" done saved="Unlinked" />
        </section>
    }
}
