//! The server functions the pages call. On the server each reads the session cookie and
//! calls the `Backend` from context; in the browser each is an HTTP call to `/ui/…`.

use leptos::prelude::*;

use crate::{
    api_types::{
        ApplicationRequest, CurrentUser, FileDownload, LinkSource, MintedCredentials,
        MsTeamsAdminRemoval, MsTeamsAdminRequest, ResetSecretRequest, SimFault, SimJournalEntry,
        SimMail, SimTenantDetail, SimTenantSummary, VoiceRoutingStatus,
    },
    backend::{Overview, SignInStep, SubRef, SubscriptionPage, UiError, WizardView},
};

#[cfg(feature = "ssr")]
mod context {
    use leptos::prelude::*;

    use crate::backend::{
        Browser, ClientAddress, Session, SessionCookie, SharedBackend, SignedIn, UiError,
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
                .chars()
                .take(512)
                .collect(),
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
        crate::backend::SignInResult::SignedIn(signed_in) => {
            context::start_session(&signed_in);
            leptos_axum::redirect(&next);
            Ok(SignInStep::Done)
        }
        crate::backend::SignInResult::SecondFactor(challenge) => {
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
    let option = crate::api_types::TwoFactorOption::parse(&option).ok_or_else(|| UiError {
        status: 400,
        code: "validation_failed".into(),
        detail: "option must be email or totp".into(),
    })?;
    let browser = context::browser().await;
    // A checkbox sends its value only when ticked.
    let trust = trust.is_some_and(|value| value != "false");
    let signed_in = context::backend()?
        .second_factor(option, payload, code.trim().to_owned(), trust, browser)
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

/// Who is signed in; `None` when nobody is.
#[server(prefix = "/ui", endpoint = "me", input = leptos::server_fn::codec::Json)]
pub async fn me() -> Result<Option<CurrentUser>, UiError> {
    let session = context::session().await;
    if session.is_none() {
        return Ok(None);
    }
    match context::backend()?.me(session).await {
        Ok(user) => Ok(Some(user)),
        Err(error) if error.unauthenticated() => Ok(None),
        Err(error) => Err(error),
    }
}

#[server(prefix = "/ui", endpoint = "tenant_overview", input = leptos::server_fn::codec::Json)]
pub async fn tenant_overview(page: u32, search: String) -> Result<Overview, UiError> {
    let session = context::session().await;
    context::backend()?.overview(session, page, search).await
}

#[server(prefix = "/ui", endpoint = "subscription", input = leptos::server_fn::codec::Json)]
pub async fn subscription(at: SubRef) -> Result<SubscriptionPage, UiError> {
    let session = context::session().await;
    context::backend()?.subscription(session, at).await
}

#[server(prefix = "/ui", endpoint = "wizard", input = leptos::server_fn::codec::Json)]
pub async fn wizard(at: SubRef) -> Result<WizardView, UiError> {
    let session = context::session().await;
    context::backend()?.wizard(session, at).await
}

#[server(prefix = "/ui", endpoint = "start_wizard", input = leptos::server_fn::codec::Json)]
pub async fn start_wizard(at: SubRef) -> Result<i64, UiError> {
    let session = context::session().await;
    context::backend()?.start_wizard(session, at).await
}

#[server(prefix = "/ui", endpoint = "create_app", input = leptos::server_fn::codec::Json)]
pub async fn create_app(at: SubRef) -> Result<FileDownload, UiError> {
    let session = context::session().await;
    context::backend()?.create_app(session, at).await
}

#[server(prefix = "/ui", endpoint = "set_application", input = leptos::server_fn::codec::Json)]
pub async fn set_application(at: SubRef, body: ApplicationRequest) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?.set_application(session, at, body).await
}

#[server(prefix = "/ui", endpoint = "store_administrator", input = leptos::server_fn::codec::Json)]
pub async fn store_administrator(at: SubRef, body: MsTeamsAdminRequest) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?
        .store_administrator(session, at, body)
        .await
}

#[server(prefix = "/ui", endpoint = "remove_administrator", input = leptos::server_fn::codec::Json)]
pub async fn remove_administrator(at: SubRef, body: MsTeamsAdminRemoval) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?
        .remove_administrator(session, at, body)
        .await
}

#[server(prefix = "/ui", endpoint = "reset_secret", input = leptos::server_fn::codec::Json)]
pub async fn reset_secret(at: SubRef, body: ResetSecretRequest) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?.reset_secret(session, at, body).await
}

#[server(prefix = "/ui", endpoint = "update_vrp", input = leptos::server_fn::codec::Json)]
pub async fn update_vrp(at: SubRef) -> Result<VoiceRoutingStatus, UiError> {
    let session = context::session().await;
    context::backend()?.update_vrp(session, at).await
}

#[server(prefix = "/ui", endpoint = "sources", input = leptos::server_fn::codec::Json)]
pub async fn sources(at: SubRef) -> Result<Vec<LinkSource>, UiError> {
    let session = context::session().await;
    context::backend()?.sources(session, at).await
}

#[server(prefix = "/ui", endpoint = "link", input = leptos::server_fn::codec::Json)]
pub async fn link(at: SubRef, source: i64) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?.link(session, at, source).await
}

#[server(prefix = "/ui", endpoint = "unlink", input = leptos::server_fn::codec::Json)]
pub async fn unlink(at: SubRef) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?.unlink(session, at).await
}

#[server(prefix = "/ui", endpoint = "sim_tenants", input = leptos::server_fn::codec::Json)]
pub async fn sim_tenants() -> Result<Vec<SimTenantSummary>, UiError> {
    let session = context::session().await;
    context::backend()?.sim_tenants(session).await
}

#[server(prefix = "/ui", endpoint = "sim_tenant", input = leptos::server_fn::codec::Json)]
pub async fn sim_tenant(id: String) -> Result<SimTenantDetail, UiError> {
    let session = context::session().await;
    context::backend()?.sim_tenant(session, id).await
}

#[server(prefix = "/ui", endpoint = "sim_set_faults", input = leptos::server_fn::codec::Json)]
pub async fn sim_set_faults(id: String, faults: Vec<SimFault>) -> Result<(), UiError> {
    let session = context::session().await;
    context::backend()?
        .sim_set_faults(session, id, faults)
        .await
}

#[server(prefix = "/ui", endpoint = "sim_create_app", input = leptos::server_fn::codec::Json)]
pub async fn sim_create_app(id: String) -> Result<MintedCredentials, UiError> {
    let session = context::session().await;
    context::backend()?.sim_create_app(session, id).await
}

#[server(prefix = "/ui", endpoint = "sim_journal", input = leptos::server_fn::codec::Json)]
pub async fn sim_journal(id: String) -> Result<Vec<SimJournalEntry>, UiError> {
    let session = context::session().await;
    context::backend()?.sim_journal(session, id).await
}

#[server(prefix = "/ui", endpoint = "sim_outbox", input = leptos::server_fn::codec::Json)]
pub async fn sim_outbox() -> Result<Vec<SimMail>, UiError> {
    let session = context::session().await;
    context::backend()?.sim_outbox(session).await
}
