//! What the browser is told to enforce: a Content-Security-Policy (with a per-response
//! nonce on pages), no framing, no sniffing, no referrer to other sites, no caching of anything but
//! static assets, and HSTS when the site is served over https.

use std::time::Duration;

use app::backend::SessionCookie;
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use leptos::prelude::use_context;

use crate::config::Config;

/// How this site is reached and guarded; shared by the edge layers.
#[derive(Clone, Debug)]
pub struct Site {
    pub cookie: SessionCookie,
    /// `scheme://host[:port]` of the public URL, when one is configured.
    pub public_origin: Option<String>,
    pub hsts: bool,
    pub trust_forwarded_for: bool,
    pub request_timeout: Duration,
    /// How long a request body has to arrive whole (408 beyond).
    pub body_read_timeout: Duration,
}

impl Site {
    pub fn from_config(config: &Config) -> Self {
        Site {
            cookie: SessionCookie {
                secure: config.secure_cookie(),
            },
            public_origin: config.public_origin(),
            hsts: config.public_url_is_https(),
            trust_forwarded_for: config.trust_forwarded_for,
            request_timeout: config.request_timeout(),
            body_read_timeout: config.header_timeout(),
        }
    }
}

/// The policy of a server-rendered page: scripts only from this site and with this
/// response's nonce (Leptos' hydration scripts carry it), WebAssembly compiled from
/// this site, styles and images from this site, nothing framing it.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Swagger UI (vendored, served from this site) styles its elements inline.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Everything else (JSON, files): nothing may run or load in its context.
const RESOURCE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Called in the Leptos context of every page render: the page's policy names the
/// nonce Leptos generated for this response.
pub fn page_policy_from_context() {
    let nonce = leptos::nonce::use_nonce();
    let response = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(response)) = (nonce, response)
        && let Ok(value) = HeaderValue::from_str(&page_policy(&nonce.to_string()))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

pub async fn add_headers(State(site): State<Site>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    // Not `no-referrer`: under it a same-origin form post sends `Origin: null`.
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if path.starts_with("/api/v01/docs") {
            DOCS_POLICY
        } else {
            RESOURCE_POLICY
        };
        set(headers, header::CONTENT_SECURITY_POLICY, policy);
    }
    if !is_static_asset(&path) {
        // Pages and API answers carry user data, tokens and minted secrets.
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if site.hsts {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        );
    }
    response
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}
