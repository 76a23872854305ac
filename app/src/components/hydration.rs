//! Whether an island runs in the browser yet: controls that would do harm as a plain
//! form post stay disabled until it does.

use leptos::prelude::*;

/// `false` on the server and until the island hydrates, then `true` (effects run only
/// in the browser).
pub fn hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
