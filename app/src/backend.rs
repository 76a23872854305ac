//! What the UI needs from the server, declared here so that `app` never depends on
//! `server`: the error the server functions return, the views they exchange, and (on
//! the server) what a call carries and the `Backend` port the server implements over its
//! domain services and provides through Leptos context (its methods are declared with
//! the server functions, in `server_fns`).

use std::fmt;

use leptos::{prelude::*, server_fn::codec::JsonEncoding};
use serde::{Deserialize, Serialize};

use crate::api_types::{MsTeamsAdmin, MsTeamsStatus, Subscription, Tenant};

/// A refusal as the UI shows it: the problem's status, code and detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiError {
    pub status: u16,
    pub code: String,
    pub detail: String,
}

impl UiError {
    pub fn unauthenticated(&self) -> bool {
        self.status == 401
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for UiError {}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            // On the server: the call's arguments do not parse. serde's message may quote
            // the value sent, so only its start is kept.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => UiError {
                status: 400,
                code: "invalid_body".into(),
                detail: format!(
                    "The request does not match what this action expects: {}",
                    clipped(&error.to_string(), 120)
                ),
            },
            // In the browser: the server was not reached, or its answer not understood.
            _ => UiError {
                status: 0,
                code: "unreachable".into(),
                detail: format!(
                    "The server could not be reached or answered oddly: {}",
                    clipped(&error.to_string(), 200)
                ),
            },
        }
    }
}

/// At most `max` characters of `text`, with an ellipsis when it was longer.
fn clipped(text: &str, max: usize) -> String {
    let mut clipped: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        clipped.push('…');
    }
    clipped
}

/// Where to go after signing in: a path on this site, never another site (`//host`,
/// `/\host` and control characters are refused), else the home page.
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(char::is_control)
    })
    .unwrap_or_else(|| "/".into())
}

/// The sign-in page asking for the second factor's code of `step`.
pub fn second_factor_page(step: &SignInStep, next: &str) -> String {
    match step {
        SignInStep::Done => next.to_owned(),
        SignInStep::SecondFactor { payload, option } => format!(
            "/login?challenge={}&option={}&next={}",
            query_value(payload),
            option.as_str(),
            query_value(next)
        ),
    }
}

/// Percent-encodes a query value.
pub fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A subscription, as the pages address it (the instance is the caller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubRef {
    pub tenant: uuid::Uuid,
    pub subscription: i64,
}

/// A tenant with its subscriptions, for the home page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantWithSubscriptions {
    pub tenant: Tenant,
    pub subscriptions: Vec<Subscription>,
}

/// A page of tenants with their subscriptions, as the REST API's lists find them
/// (`GET …/tenants`, and each tenant's `GET …/subscriptions`). An empty list (the API's
/// 404 "No tenant found") is an overview without tenants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Overview {
    /// The number of tenants over all pages.
    pub results: u64,
    pub pages: u32,
    pub page: u32,
    pub tenants: Vec<TenantWithSubscriptions>,
}

/// What the subscription page shows about the subscription itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionPage {
    pub tenant_name: String,
    pub subscription: Subscription,
    /// `None` until the subscription has an MS Teams tenant.
    pub status: Option<MsTeamsStatus>,
    /// The stored MS Teams administrator account (`GET msteams/admins`); `None` when
    /// the caller may not read it.
    pub administrator: Option<MsTeamsAdmin>,
}

/// Where a sign-in through the form stands: done, or waiting for the second factor (the
/// page then asks for the code, with the challenge in its address).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SignInStep {
    Done,
    SecondFactor {
        payload: String,
        option: crate::api_types::TwoFactorOption,
    },
}

#[cfg(feature = "ssr")]
pub use server_side::*;

#[cfg(feature = "ssr")]
mod server_side {
    use std::sync::Arc;

    use crate::api_types::TwoFactorChallenge;
    pub use crate::server_fns::Backend;

    /// The session token from the `fusion_session` cookie, if any.
    pub type Session = Option<String>;

    /// The session cookie, shared by the REST API and the pages. On an https site it is
    /// `Secure` and `__Host-` prefixed (only this host, over TLS, for the whole site).
    #[derive(Clone, Copy, Debug, Default)]
    pub struct SessionCookie {
        pub secure: bool,
    }

    impl SessionCookie {
        pub fn name(&self) -> &'static str {
            if self.secure {
                "__Host-fusion_session"
            } else {
                "fusion_session"
            }
        }

        /// The `Set-Cookie` value that stores the session (or, with `max_age` 0, ends it).
        pub fn set(&self, token: &str, max_age: i64) -> String {
            let secure = if self.secure { "; Secure" } else { "" };
            format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
                self.name()
            )
        }

        /// The session token a request's `Cookie` headers carry.
        pub fn read(&self, headers: &http::HeaderMap) -> Session {
            let name = self.name();
            headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(cookie, _)| *cookie == name)
                .map(|(_, token)| token.to_owned())
                .filter(|token| !token.is_empty())
        }
    }

    /// The client's IP address, as the server's edge determined it (login throttling).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ClientAddress(pub std::net::IpAddr);

    /// The browser a sign-in comes from: its address and user agent (what a trusted
    /// device is).
    #[derive(Clone, Debug, Default)]
    pub struct Browser {
        pub address: Option<ClientAddress>,
        pub user_agent: String,
    }

    /// A session opened through the form: the cookie's token and when it ends.
    pub struct SignedIn {
        pub cookie_token: String,
        pub expires_at: chrono::DateTime<chrono::Utc>,
    }

    /// What the sign-in form's password leads to.
    pub enum SignInResult {
        SignedIn(SignedIn),
        SecondFactor(TwoFactorChallenge),
    }

    /// A server function's call as the `Backend` receives it: the session cookie's token,
    /// and the operation (its endpoint under `/ui/`), which an audited call records.
    pub struct UiCall {
        pub session: Session,
        pub operation: &'static str,
    }

    /// How the backend travels in Leptos context.
    pub type SharedBackend = Arc<dyn Backend>;
}
