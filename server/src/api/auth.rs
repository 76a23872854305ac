//! `/api/v01/auth`: sign in (with a second factor from devices not trusted yet), refresh
//! the access token, sign out; `/api/v01/system/users/local`: who is signed in. As the
//! platform's public docs (login, 2FA payload) and the vendor's clients (2FA and TOTP
//! endpoints, refresh, logout by GET, the current user) show them.

use app::{
    api_types::{
        CurrentUser, LoginRequest, LoginResponse, Problem, RefreshedTokens, TokenPair,
        TwoFactorOption, TwoFactorRequest,
    },
    backend::ClientAddress,
};
use axum::{
    Extension, Json,
    extract::{FromRequestParts, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    audit::AuditActor,
    extract::{ApiJson, Authenticated, bearer},
};
use crate::{
    domain::{
        AppError,
        accounts::{Device, SecondFactorAnswer, Session, SignIn, current_user},
    },
    state::AppState,
    store::accounts::SessionKind,
};

/// Sign-in, refresh, sign-out and the current user.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(two_factor))
        .routes(routes!(two_factor_totp))
        .routes(routes!(refresh))
        .routes(routes!(logout, logout_by_get))
        .routes(routes!(local_user))
}

/// Sign in. From a device the user has not trusted, a user with a second factor gets
/// the challenge (`2fa_payload`, `option`) instead of the tokens.
#[utoipa::path(post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in (the tokens), or the second factor is needed (the challenge)", body = LoginResponse),
        (status = 400, description = "Missing username or password, or a malformed body", body = Problem),
        (status = 401, description = "Invalid username or password", body = Problem),
        (status = 429, description = "Too many failed sign-ins for this account, from this address, or for this pair: wait as Retry-After says", body = Problem,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "Too many sign-ins are being checked at once: try again shortly", body = Problem,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn login(
    State(state): State<AppState>,
    signing: Signing,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let signed_in = state
        .accounts
        .login(
            &body.username,
            &body.password,
            &signing.device,
            SessionKind::Api,
        )
        .await?;
    Ok(Json(match signed_in {
        SignIn::Session(session) => LoginResponse::Tokens(signing.tokens(*session)),
        SignIn::SecondFactor(challenge) => LoginResponse::SecondFactor(challenge),
    }))
}

/// The second factor by e-mail: the code received, the login's `2fa_payload`, and
/// whether to trust this device.
#[utoipa::path(post, path = "/auth/2fa", tag = "auth",
    request_body = TwoFactorRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, description = "A malformed code or body, or a challenge that expects a TOTP code", body = Problem),
        (status = 401, description = "A wrong code, or a sign-in that expired, does not exist, or was started from another device (user agent and network)", body = Problem),
        (status = 429, description = "Too many wrong codes: wait as Retry-After says", body = Problem,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn two_factor(
    state: State<AppState>,
    signing: Signing,
    body: ApiJson<TwoFactorRequest>,
) -> Result<Json<TokenPair>, AppError> {
    second_factor(TwoFactorOption::Email, state, signing, body).await
}

/// The second factor from an authenticator app (TOTP).
#[utoipa::path(post, path = "/auth/2fa_totp", tag = "auth",
    request_body = TwoFactorRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, description = "A malformed code or body, or a challenge that expects an e-mailed code", body = Problem),
        (status = 401, description = "A wrong or already used code, or a sign-in that expired, does not exist, or was started from another device (user agent and network)", body = Problem),
        (status = 429, description = "Too many wrong codes: wait as Retry-After says", body = Problem,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn two_factor_totp(
    state: State<AppState>,
    signing: Signing,
    body: ApiJson<TwoFactorRequest>,
) -> Result<Json<TokenPair>, AppError> {
    second_factor(TwoFactorOption::Totp, state, signing, body).await
}

async fn second_factor(
    option: TwoFactorOption,
    State(state): State<AppState>,
    signing: Signing,
    ApiJson(body): ApiJson<TwoFactorRequest>,
) -> Result<Json<TokenPair>, AppError> {
    let answer = SecondFactorAnswer {
        option,
        payload: &body.payload,
        code: &body.code,
        trust: body.trust,
    };
    let session = state
        .accounts
        .second_factor(answer, &signing.device, SessionKind::Api)
        .await?;
    Ok(Json(signing.tokens(session)))
}

/// A new access token, with the refresh token as the bearer; a new refresh token too
/// (replacing the current one) when the current one is close to its end.
#[utoipa::path(get, path = "/auth/access_token", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A new access token", body = RefreshedTokens),
        (status = 401, description = "No refresh token, or one unknown, expired or replaced (a browser session's cookie is none): sign in again", body = Problem),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<RefreshedTokens>, AppError> {
    let refresh_token = bearer(&headers).flatten().ok_or_else(|| {
        AppError::Unauthenticated(
            "Send the refresh token as Authorization: Bearer <refresh_token>".into(),
        )
    })?;
    Ok(Json(state.accounts.refresh(&refresh_token).await?))
}

/// Sign out: the session of the bearer token (access or refresh) ends, or else (by POST
/// only) the browser's session cookie's; the cookie is cleared. Without a token (as the
/// vendor's client calls it) it only answers.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out (also when the session had already ended)"),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    actor: Option<Extension<AuditActor>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // An `Authorization` header (even of another scheme) names the session to end,
    // never the cookie, as everywhere else.
    let token = match bearer(&headers) {
        Some(token) => token,
        None => state.site.cookie.read(&headers),
    };
    end_session(&state, actor, token).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let expired = state.site.cookie.set("", 0);
    response.headers_mut().insert(
        header::SET_COOKIE,
        expired
            .parse()
            .map_err(|_| AppError::Internal("unencodable cookie".into()))?,
    );
    Ok(response)
}

/// Sign out as the vendor's client does it (GET). Only a bearer token ends a session:
/// a page of another site can make the browser send a GET with its cookie.
#[utoipa::path(get, path = "/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out (also without a session)"),
    ))]
pub async fn logout_by_get(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    end_session(&state, None, bearer(&headers).flatten()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn end_session(
    state: &AppState,
    actor: Option<Extension<AuditActor>>,
    token: Option<String>,
) -> Result<(), AppError> {
    let Some(token) = token else {
        return Ok(());
    };
    let owner = state.accounts.logout(&token).await?;
    if let (Some(Extension(actor)), Some(owner)) = (actor, owner) {
        actor.set(&owner);
    }
    Ok(())
}

/// Who is signed in: the level (`ui_profile`) and every role with whether the profile
/// grants it (`profile.api_rules`), as the vendor's client reads them.
#[utoipa::path(get, path = "/system/users/local", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in administrator", body = CurrentUser),
    ))]
pub async fn local_user(Authenticated(caller): Authenticated) -> Json<CurrentUser> {
    Json(current_user(&caller))
}

/// Who is signing in from where: the device (client address and user agent) a second
/// factor and its trust are bound to, and the audit entry a success names.
pub struct Signing {
    device: Device,
    actor: Option<AuditActor>,
}

impl<S: Send + Sync> FromRequestParts<S> for Signing {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ClientAddress>()
            .map(|ClientAddress(address)| *address);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        Ok(Signing {
            device: Device::new(address, user_agent),
            actor: parts.extensions.get::<AuditActor>().cloned(),
        })
    }
}

impl Signing {
    /// A session's tokens (a sign-in that worked is audited, failures only counted).
    fn tokens(&self, session: Session) -> TokenPair {
        if let Some(actor) = &self.actor {
            actor.set(&session.caller.username);
        }
        TokenPair {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
        }
    }
}
