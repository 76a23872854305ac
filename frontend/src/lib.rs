//! The browser entry point: hydrates the islands of the server-rendered page (the
//! interactive parts); everything else stays plain HTML.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Links the app's islands into this bundle.
    #[allow(unused_imports)]
    use app::*;
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
