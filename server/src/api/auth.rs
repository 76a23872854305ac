//! `/api/v01/auth`: login, logout, me (extension).

use app::{
    api_types::{CurrentUser, LoginRequest, LoginResponse, Problem},
    backend::ClientAddress,
};
use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    audit::AuditActor,
    extract::{ApiJson, Authenticated, session_token},
};
use crate::{
    domain::{AppError, accounts::current_user},
    state::AppState,
};

/// Sign in. Returns a bearer token, and sets the same session as an HttpOnly cookie.
#[utoipa::path(post, path = "/api/v01/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Missing username or password, or a malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for this account, from this address, or for this pair: wait as Retry-After says", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "Too many sign-ins are being checked at once: try again shortly", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn login(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddress>>,
    actor: Option<Extension<AuditActor>>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let client = client.map(|Extension(ClientAddress(address))| address);
    let session = state
        .accounts
        .login(&body.username, &body.password, client)
        .await?;
    // Only a sign-in that worked is audited: failures are counted, not stored.
    if let Some(Extension(actor)) = actor {
        actor.set(&session.caller.username);
    }
    let max_age = (session.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    let cookie = state.site.cookie.set(&session.token, max_age);
    let body = LoginResponse {
        token: session.token,
        expires_at: session.expires_at,
        user: current_user(&session.caller),
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, header_value(&cookie)?);
    Ok(response)
}

/// Sign out: the session ends for the token and the cookie alike.
#[utoipa::path(post, path = "/api/v01/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out (also when the session had already ended)"),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    actor: Option<Extension<AuditActor>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = session_token(&headers, &state.site.cookie) {
        if let (Ok(caller), Some(Extension(actor))) =
            (state.accounts.authenticate(&token).await, actor)
        {
            actor.set(&caller.username);
        }
        state.accounts.logout(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let expired = state.site.cookie.set("", 0);
    response
        .headers_mut()
        .insert(header::SET_COOKIE, header_value(&expired)?);
    Ok(response)
}

/// Who is signed in, at which level, for which node, with which roles.
#[utoipa::path(get, path = "/api/v01/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in administrator", body = CurrentUser),
        (status = 401, description = "Not signed in, or the session has expired", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(Authenticated(caller): Authenticated) -> Json<CurrentUser> {
    Json(current_user(&caller))
}

fn header_value(text: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(text).map_err(|_| AppError::Internal("unencodable header".into()))
}
