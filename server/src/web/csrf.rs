//! Cross-site request forgery: an unsafe request that the browser authenticates by
//! itself (the session cookie), or a sign-in from a browser, must come from this
//! site's own pages. SameSite=Strict alone lets a sibling origin of the same site
//! through, and body-less POSTs need no CORS preflight. Bearer-token clients of the REST
//! API send their credentials explicitly and are not concerned.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::Response,
};

use super::Site;
use crate::{
    api::{audit::clip_path, problem},
    state::AppState,
};

/// Where a request says it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Provenance {
    /// `Origin` names this site, or `Sec-Fetch-Site: same-origin`.
    ThisSite,
    /// Another origin (a sibling subdomain included), or an opaque `null` one.
    Elsewhere,
    /// Neither header: not a current browser's request (scripts, curl).
    Unknown,
}

/// How a request proves who sends it, as the handlers read it.
#[derive(Debug, PartialEq, Eq)]
enum Credentials {
    /// An `Authorization` header: the REST API reads a bearer token from it (any other
    /// scheme is refused, never falling back to the cookie). A page of another site
    /// cannot add one without a CORS preflight, which this server never grants.
    Header,
    /// The session cookie: the browser adds it by itself, so where the request comes
    /// from matters. The server functions (`/ui/…`) read only the cookie, even when an
    /// `Authorization` header rides along (a browser adds a cached Basic one by itself).
    Cookie,
    None,
}

fn credentials(request: &Request, site: &Site) -> Credentials {
    let server_function = request.uri().path().starts_with("/ui/");
    if !server_function && request.headers().contains_key(header::AUTHORIZATION) {
        Credentials::Header
    } else if site.cookie.read(request.headers()).is_some() {
        Credentials::Cookie
    } else {
        Credentials::None
    }
}

pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method().is_safe() {
        return next.run(request).await;
    }
    let site = &state.site;
    let provenance = provenance(request.headers(), site);
    let refused = match (credentials(&request, site), provenance) {
        (Credentials::Header, _) | (_, Provenance::ThisSite) => false,
        // Another site: a cookie's change, or a sign-in (login CSRF), or anything else.
        (_, Provenance::Elsewhere) => true,
        // No browser metadata at all: a script, unless it sends the cookie.
        (Credentials::Cookie, Provenance::Unknown) => true,
        (Credentials::None, Provenance::Unknown) => false,
    };
    if refused {
        state.metrics.cross_site_refusal();
        tracing::warn!(method = %request.method(), path = %clip_path(request.uri().path()), ?provenance, "cross-site request refused");
        return problem::response(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "Cross-site request refused: a request authenticated by the session cookie (or a \
             sign-in from a browser) must come from this site's own pages. Scripts send \
             Authorization: Bearer <token> instead",
        );
    }
    next.run(request).await
}

/// Fetch metadata first (browsers set it and pages cannot forge it; a same-origin form
/// post can carry `Origin: null` under some referrer policies), then `Origin`.
fn provenance(headers: &HeaderMap, site: &Site) -> Provenance {
    match headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
    {
        Some("same-origin") => return Provenance::ThisSite,
        Some("same-site" | "cross-site") => return Provenance::Elsewhere,
        _ => {}
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => {
            let origin = origin
                .to_str()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if is_this_site(&origin, headers, site) {
                Provenance::ThisSite
            } else {
                Provenance::Elsewhere
            }
        }
        None => Provenance::Unknown,
    }
}

/// With a public URL, the origin must be it; without one, the origin's host and port
/// must be the `Host` the request was sent to (a page of another origin cannot make the
/// browser send a `Host` other than ours).
fn is_this_site(origin: &str, headers: &HeaderMap, site: &Site) -> bool {
    if let Some(public) = &site.public_origin {
        return origin == public;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(|host| host.trim().to_ascii_lowercase());
    matches!(scheme, "http" | "https") && host.as_deref() == Some(authority)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use app::backend::SessionCookie;
    use axum::http::HeaderValue;

    use super::*;

    fn site(public_origin: Option<&str>) -> Site {
        Site {
            cookie: SessionCookie { secure: false },
            public_origin: public_origin.map(str::to_owned),
            hsts: false,
            trust_forwarded_for: false,
            request_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(10),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    /// Request headers, the configured public origin, and where the request comes from.
    type Case = (
        &'static [(&'static str, &'static str)],
        Option<&'static str>,
        Provenance,
    );

    #[test]
    fn provenance_is_read_from_origin_then_fetch_metadata() {
        let cases: &[Case] = &[
            (
                &[
                    ("host", "127.0.0.1:3000"),
                    ("origin", "http://127.0.0.1:3000"),
                ],
                None,
                Provenance::ThisSite,
            ),
            (
                &[
                    ("host", "app.example.com"),
                    ("origin", "https://app.example.com"),
                ],
                None,
                Provenance::ThisSite,
            ),
            (
                &[
                    ("host", "app.example.com"),
                    ("origin", "https://evil.example"),
                ],
                None,
                Provenance::Elsewhere,
            ),
            (
                &[
                    ("host", "app.example.com"),
                    ("origin", "https://sibling.example.com"),
                ],
                None,
                Provenance::Elsewhere,
            ),
            (
                &[("host", "app.example.com"), ("origin", "null")],
                None,
                Provenance::Elsewhere,
            ),
            (
                &[
                    ("host", "internal:3000"),
                    ("origin", "https://teams.example.com"),
                ],
                Some("https://teams.example.com"),
                Provenance::ThisSite,
            ),
            (
                &[
                    ("host", "teams.example.com"),
                    ("origin", "http://teams.example.com"),
                ],
                Some("https://teams.example.com"),
                Provenance::Elsewhere,
            ),
            (
                &[("sec-fetch-site", "same-origin")],
                None,
                Provenance::ThisSite,
            ),
            (
                &[("sec-fetch-site", "same-site")],
                None,
                Provenance::Elsewhere,
            ),
            (
                &[("sec-fetch-site", "cross-site")],
                None,
                Provenance::Elsewhere,
            ),
            (&[("host", "app.example.com")], None, Provenance::Unknown),
        ];
        for (pairs, public, expected) in cases {
            assert_eq!(
                &provenance(&headers(pairs), &site(*public)),
                expected,
                "{pairs:?} with public origin {public:?}"
            );
        }
    }
}
