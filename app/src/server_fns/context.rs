//! What a server function reads from the request it serves (on the server): the
//! `Backend` and the session cookie from Leptos context, the calling browser, and the
//! response's cookie.

use leptos::prelude::*;

use crate::backend::{
    Browser, ClientAddress, Session, SessionCookie, SharedBackend, SignedIn, UiCall, UiError,
};

pub fn backend() -> Result<SharedBackend, UiError> {
    use_context::<SharedBackend>().ok_or_else(|| UiError {
        status: 500,
        code: "internal_error".into(),
        detail: "The server is not set up for the UI".into(),
    })
}

fn cookie() -> SessionCookie {
    use_context::<SessionCookie>().unwrap_or_default()
}

/// The session token from the request's cookie.
pub async fn session() -> Session {
    let headers: http::HeaderMap = leptos_axum::extract().await.ok()?;
    cookie().read(&headers)
}

/// The call of `operation` with the request's session.
pub async fn call(operation: &'static str) -> UiCall {
    UiCall {
        session: session().await,
        operation,
    }
}

/// The browser calling: its address (as the server's edge recorded it) and user agent.
pub async fn browser() -> Browser {
    let Ok(parts) = leptos_axum::extract::<http::request::Parts>().await else {
        return Browser::default();
    };
    Browser {
        address: parts.extensions.get::<ClientAddress>().copied(),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Sets the session cookie for a sign-in.
pub fn start_session(signed_in: &SignedIn) {
    let max_age = (signed_in.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    set_cookie(&signed_in.cookie_token, max_age);
}

/// Sets (or with `max_age` 0, clears) the session cookie on the response.
pub fn set_cookie(token: &str, max_age: i64) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let cookie = cookie().set(token, max_age);
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}
