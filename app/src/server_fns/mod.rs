//! The UI's operations: what the pages call and the server answers. Each is declared
//! once, in the `operations!` list below, which writes both of its sides: the server
//! function (in the browser an HTTP call to `POST /ui/<endpoint>` with JSON arguments; on
//! the server it reads the session cookie and calls the `Backend` from context) and the
//! `Backend` method the server implements (`server/src/ui.rs`). Signing in and out set
//! cookies and redirect, so their server functions are written out at the end.

#[cfg(feature = "ssr")]
mod context;

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api_types::TwoFactorOption,
    backend::{Browser, Session, SignInResult, SignedIn},
};
use crate::{
    api_types::{
        ApplicationRequest, CurrentUser, FileDownload, LinkSource, MintedCredentials,
        MsTeamsAdminRemoval, MsTeamsAdminRequest, NewSimTenant, ResetSecretRequest, SimFault,
        SimJournalEntry, SimMail, SimTenantDetail, SimTenantSummary, VoiceRoutingStatus,
        WizardView,
    },
    backend::{Overview, SignInStep, SubRef, SubscriptionPage, UiError},
};

/// Writes the `Backend` trait (the methods given in its braces, then one per operation)
/// and each operation's server function. An operation is
/// `#[endpoint = "<name>"] /// docs pub async fn <name>(<arguments>) -> <answer>;`: its
/// server function returns `Result<<answer>, UiError>`, and its `Backend` method takes
/// the call (session and operation) before the same arguments.
macro_rules! operations {
    (
        $(#[$trait_doc:meta])*
        pub trait Backend { $($written_out:tt)* }
        $(
            #[endpoint = $endpoint:tt]
            $(#[$doc:meta])*
            pub async fn $name:ident($($arg:ident: $arg_type:ty),* $(,)?) -> $answer:ty;
        )*
    ) => {
        $(#[$trait_doc])*
        #[cfg(feature = "ssr")]
        #[async_trait::async_trait]
        pub trait Backend: Send + Sync + 'static {
            $($written_out)*
            $(
                $(#[$doc])*
                async fn $name(
                    &self,
                    call: $crate::backend::UiCall,
                    $($arg: $arg_type),*
                ) -> Result<$answer, UiError>;
            )*
        }

        $(
            $(#[$doc])*
            #[server(prefix = "/ui", endpoint = $endpoint, input = leptos::server_fn::codec::Json)]
            pub async fn $name($($arg: $arg_type),*) -> Result<$answer, UiError> {
                let call = context::call($endpoint).await;
                context::backend()?.$name(call $(, $arg)*).await
            }
        )*
    };
}

operations! {
    /// The server's side of every server function: each method authenticates the
    /// session, then calls the same domain service as the REST route.
    pub trait Backend {
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
    }

    #[endpoint = "me"]
    /// Who is signed in; `None` when nobody is (or the session has ended).
    pub async fn me() -> Option<CurrentUser>;

    #[endpoint = "tenant_overview"]
    /// The home page: a page of the caller's tenants with their subscriptions.
    pub async fn tenant_overview(page: u32, search: String) -> Overview;

    #[endpoint = "subscription"]
    pub async fn subscription(at: SubRef) -> SubscriptionPage;

    #[endpoint = "wizard"]
    pub async fn wizard(at: SubRef) -> WizardView;

    #[endpoint = "start_wizard"]
    pub async fn start_wizard(at: SubRef) -> i64;

    #[endpoint = "create_app"]
    pub async fn create_app(at: SubRef) -> FileDownload;

    #[endpoint = "set_application"]
    pub async fn set_application(at: SubRef, body: ApplicationRequest) -> ();

    #[endpoint = "store_administrator"]
    /// `POST msteams/admins`: store or replace the account, or change its password.
    pub async fn store_administrator(at: SubRef, body: MsTeamsAdminRequest) -> ();

    #[endpoint = "remove_administrator"]
    /// `DELETE msteams/admins`.
    pub async fn remove_administrator(at: SubRef, body: MsTeamsAdminRemoval) -> ();

    #[endpoint = "reset_secret"]
    pub async fn reset_secret(at: SubRef, body: ResetSecretRequest) -> ();

    #[endpoint = "update_vrp"]
    pub async fn update_vrp(at: SubRef) -> VoiceRoutingStatus;

    #[endpoint = "sources"]
    pub async fn sources(at: SubRef) -> Vec<LinkSource>;

    #[endpoint = "link"]
    pub async fn link(at: SubRef, source: i64) -> ();

    #[endpoint = "unlink"]
    pub async fn unlink(at: SubRef) -> ();

    #[endpoint = "sim_tenants"]
    pub async fn sim_tenants() -> Vec<SimTenantSummary>;

    #[endpoint = "sim_tenant"]
    pub async fn sim_tenant(id: String) -> SimTenantDetail;

    #[endpoint = "sim_set_faults"]
    pub async fn sim_set_faults(id: String, faults: Vec<SimFault>) -> ();

    #[endpoint = "sim_create_app"]
    pub async fn sim_create_app(id: String) -> MintedCredentials;

    #[endpoint = "sim_journal"]
    pub async fn sim_journal(id: String) -> Vec<SimJournalEntry>;

    #[endpoint = "sim_outbox"]
    pub async fn sim_outbox() -> Vec<SimMail>;

    #[endpoint = "sim_create_tenant"]
    /// `POST /sim/v1/tenants`: a new simulated MS tenant.
    pub async fn sim_create_tenant(body: NewSimTenant) -> SimTenantDetail;

    #[endpoint = "mock_reset"]
    /// `POST /mock/v1/reset`: back to the loaded scenario; every session ends.
    pub async fn mock_reset() -> ();
}

/// Signs in and sets the session cookie; or, for a user with a second factor on a
/// browser not trusted yet, answers the challenge, which the sign-in page asks the code
/// for. Without JavaScript the form posts here and the browser is sent on: to `next`
/// (the home page by default), or to the page asking for the code.
#[server(prefix = "/ui", endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<SignInStep, UiError> {
    let browser = context::browser().await;
    let next = crate::backend::safe_next(next);
    match context::backend()?
        .login(username, password, browser)
        .await?
    {
        SignInResult::SignedIn(signed_in) => {
            context::start_session(&signed_in);
            leptos_axum::redirect(&next);
            Ok(SignInStep::Done)
        }
        SignInResult::SecondFactor(challenge) => {
            let step = SignInStep::SecondFactor {
                payload: challenge.payload,
                option: challenge.option,
            };
            leptos_axum::redirect(&crate::backend::second_factor_page(&step, &next));
            Ok(step)
        }
    }
}

/// The second step of a sign-in: the code (e-mailed, or from an authenticator app), and
/// whether to trust this browser; sets the session cookie.
#[server(prefix = "/ui", endpoint = "second_factor")]
pub async fn second_factor(
    payload: String,
    option: String,
    code: String,
    trust: Option<String>,
    next: Option<String>,
) -> Result<SignInStep, UiError> {
    let option = TwoFactorOption::parse(&option).ok_or_else(|| UiError {
        status: 400,
        code: "validation_failed".into(),
        detail: "option must be email or totp".into(),
    })?;
    let browser = context::browser().await;
    // A checkbox sends its value only when ticked.
    let trust = trust.is_some_and(|value| value != "false");
    let signed_in = context::backend()?
        .second_factor(option, payload, code, trust, browser)
        .await?;
    context::start_session(&signed_in);
    leptos_axum::redirect(&crate::backend::safe_next(next));
    Ok(SignInStep::Done)
}

#[server(prefix = "/ui", endpoint = "logout")]
pub async fn logout() -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?.logout(session).await?;
    context::set_cookie("", 0);
    leptos_axum::redirect("/login");
    Ok(())
}
