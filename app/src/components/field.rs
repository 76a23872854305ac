use leptos::prelude::*;

/// A labelled input bound to `value`, with its error text tied to it for screen readers.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <small id=hint_id.clone() class="muted">{hint}</small> })}
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete.unwrap_or("off")
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    error.set(None);
                }
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
                disabled=move || disabled.get()
            />
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! { <p class="field-error" id=error_id.clone()>{message}</p> }
                    })
            }}
        </div>
    }
}
