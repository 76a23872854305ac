//! What the UI needs from the server, declared here so that `app` never depends on
//! `server`: the error the server functions return, the views they exchange, and (on
//! the server) the `Backend` trait the server implements over its domain services and
//! provides through Leptos context.

use std::fmt;

use leptos::{prelude::*, server_fn::codec::JsonEncoding};
use serde::{Deserialize, Serialize};

use crate::api_types::{
    MsTeamsAdmin, MsTeamsStatus, Subscription, Tenant, WizardFailure, WizardState,
};

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

/// A page of tenants with their subscriptions, from the same lists as the REST API's
/// (`GET …/tenants`, then each tenant's `GET …/subscriptions`). An empty list (the API's
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

/// `GET wizard` in one type: not started (404), active or done (200), failed (400).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WizardView {
    NotStarted(String),
    Active(WizardState),
    Failed(WizardFailure),
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

    use async_trait::async_trait;

    use super::{Overview, SubRef, SubscriptionPage, UiError, WizardView};
    use crate::api_types::{
        ApplicationRequest, CurrentUser, FileDownload, LinkSource, MintedCredentials,
        MsTeamsAdminRemoval, MsTeamsAdminRequest, ResetSecretRequest, SimFault, SimJournalEntry,
        SimMail, SimTenantDetail, SimTenantSummary, TwoFactorChallenge, TwoFactorOption,
        VoiceRoutingStatus,
    };

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

    /// The server's side of every server function. Each method authenticates the
    /// session, then calls the same domain service as the REST route.
    #[async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn login(
            &self,
            username: String,
            password: String,
            browser: Browser,
        ) -> Result<SignInResult, UiError>;
        async fn second_factor(
            &self,
            option: TwoFactorOption,
            payload: String,
            code: String,
            trust: bool,
            browser: Browser,
        ) -> Result<SignedIn, UiError>;
        async fn logout(&self, session: Session) -> Result<(), UiError>;
        async fn me(&self, session: Session) -> Result<CurrentUser, UiError>;
        async fn overview(
            &self,
            session: Session,
            page: u32,
            search: String,
        ) -> Result<Overview, UiError>;
        async fn subscription(
            &self,
            session: Session,
            at: SubRef,
        ) -> Result<SubscriptionPage, UiError>;
        async fn wizard(&self, session: Session, at: SubRef) -> Result<WizardView, UiError>;
        async fn start_wizard(&self, session: Session, at: SubRef) -> Result<i64, UiError>;
        async fn create_app(&self, session: Session, at: SubRef) -> Result<FileDownload, UiError>;
        async fn set_application(
            &self,
            session: Session,
            at: SubRef,
            body: ApplicationRequest,
        ) -> Result<(), UiError>;
        /// `POST msteams/admins`: store or replace the account, or change its password.
        async fn store_administrator(
            &self,
            session: Session,
            at: SubRef,
            body: MsTeamsAdminRequest,
        ) -> Result<(), UiError>;
        /// `DELETE msteams/admins`.
        async fn remove_administrator(
            &self,
            session: Session,
            at: SubRef,
            body: MsTeamsAdminRemoval,
        ) -> Result<(), UiError>;
        async fn reset_secret(
            &self,
            session: Session,
            at: SubRef,
            body: ResetSecretRequest,
        ) -> Result<(), UiError>;
        async fn update_vrp(
            &self,
            session: Session,
            at: SubRef,
        ) -> Result<VoiceRoutingStatus, UiError>;
        async fn sources(&self, session: Session, at: SubRef) -> Result<Vec<LinkSource>, UiError>;
        async fn link(&self, session: Session, at: SubRef, source: i64) -> Result<(), UiError>;
        async fn unlink(&self, session: Session, at: SubRef) -> Result<(), UiError>;
        async fn sim_tenants(&self, session: Session) -> Result<Vec<SimTenantSummary>, UiError>;
        async fn sim_tenant(
            &self,
            session: Session,
            id: String,
        ) -> Result<SimTenantDetail, UiError>;
        async fn sim_set_faults(
            &self,
            session: Session,
            id: String,
            faults: Vec<SimFault>,
        ) -> Result<(), UiError>;
        async fn sim_create_app(
            &self,
            session: Session,
            id: String,
        ) -> Result<MintedCredentials, UiError>;
        async fn sim_journal(
            &self,
            session: Session,
            id: String,
        ) -> Result<Vec<SimJournalEntry>, UiError>;
        async fn sim_outbox(&self, session: Session) -> Result<Vec<SimMail>, UiError>;
    }

    /// How the backend travels in Leptos context.
    pub type SharedBackend = Arc<dyn Backend>;
}
