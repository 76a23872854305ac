//! What only a browser can do: save bytes as a file (a Blob, an object URL, a click on
//! a link) and load another page.

/// Saves `bytes` under `name`. Only the browser can; on the server it is an error.
#[cfg(feature = "hydrate")]
pub fn save_file(name: &str, bytes: &[u8]) -> Result<(), String> {
    use wasm_bindgen::JsCast;

    let fail = |what: &str| format!("The browser could not save the file ({what})");
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| fail("blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("object URL"))?;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| fail("document"))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| fail("link"))?
        .dyn_into()
        .map_err(|_| fail("link"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

#[cfg(not(feature = "hydrate"))]
pub fn save_file(_name: &str, _bytes: &[u8]) -> Result<(), String> {
    Err("Downloading needs JavaScript in the browser".into())
}

/// Loads `href` in this tab (after a change, so the server renders the new state).
#[cfg(feature = "hydrate")]
pub fn go_to(href: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(href);
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn go_to(_href: &str) {}
