//! A question asked in place before a change that cannot be undone. It takes the focus
//! when it opens (its "yes" button), so a keyboard or screen-reader user lands on it;
//! cancelled, it gives the focus back to the button that opened it.

use leptos::{html, prelude::*};

#[component]
pub fn Confirm(
    /// The question's id, which labels the dialog.
    id: &'static str,
    question: String,
    /// The button that carries the change out.
    yes: &'static str,
    #[prop(optional)] yes_testid: Option<&'static str>,
    testid: &'static str,
    #[prop(into)] pending: Signal<bool>,
    /// The button that opened the question, which gets the focus back on "Cancel".
    opener: NodeRef<html::Button>,
    open: RwSignal<bool>,
    on_yes: Callback<()>,
) -> impl IntoView {
    let yes_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = yes_button.get() {
            let _ = button.focus();
        }
    });
    let cancel = move |_| {
        open.set(false);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    view! {
        <div class="confirm" role="alertdialog" aria-labelledby=id data-testid=testid>
            <p id=id>{question}</p>
            <button node_ref=yes_button type="button" class="danger" data-testid=yes_testid
                disabled=move || pending.get() on:click=move |_| on_yes.run(())>
                {yes}
            </button>
            <button type="button" on:click=cancel>"Cancel"</button>
        </div>
    }
}
