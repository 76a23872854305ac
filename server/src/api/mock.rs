//! `/mock/v1` (extension): the mock controls, thin over `domain::mock::MockControl`.
//! Only on a server that turns them on (`--mock-controls`, on with the demo; 404
//! otherwise); only group admins with `mock.manage` (the `mock-admin` profile).

use app::api_types::Problem;
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::Authenticated, problem, responses::MockRefusals};
use crate::{domain::AppError, scenario::Scenario, state::AppState};

/// The mock controls, below `/mock/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reset))
        .routes(routes!(export))
        .routes(routes!(replace))
}

/// Go back to the loaded scenario (the one the server started with, or the last one
/// posted to `POST /mock/v1/scenario`).
///
/// Everything a scenario fills is rewritten: every session ends (the caller's too: sign
/// in again), wizard jobs and their transactions are dropped (a running step is
/// cancelled), the simulator starts again. Profiles and the audit log stay.
#[utoipa::path(post, path = "/reset", tag = "mock", security(("bearer" = [])),
    responses(
        (status = 204, description = "The state is the loaded scenario's again"),
        MockRefusals,
    ))]
pub async fn reset(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<StatusCode, AppError> {
    state.mock.reset(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current state as a scenario file.
///
/// Secrets are not exported: administrators come without `password` (load such a
/// scenario after adding passwords), TOTP second factors are left out, and an onboarded
/// tenant's `secret` and `administratorPassword` are placeholders. Tenants part-way
/// through onboarding and simulated users are not part of a scenario.
#[utoipa::path(get, path = "/export", tag = "mock", security(("bearer" = [])),
    responses(
        (status = 200, description = "The state as a scenario", body = Scenario),
        MockRefusals,
    ))]
pub async fn export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response, AppError> {
    let scenario = state.mock.export(&caller).await?;
    let disposition = [(
        header::CONTENT_DISPOSITION,
        "attachment; filename=\"scenario.json\"",
    )];
    Ok((disposition, Json(scenario)).into_response())
}

/// Replace the state with this scenario, which a reset then goes back to.
///
/// The body is a scenario file (at most 64 KiB; larger ones load at start with
/// `--scenario`). One with mistakes changes nothing: the 400 lists each with its line.
/// Sessions end and jobs go as for a reset.
#[utoipa::path(post, path = "/scenario", tag = "mock", security(("bearer" = [])),
    request_body = Scenario,
    responses(
        (status = 204, description = "The state is the posted scenario's"),
        (status = 400, description = "The scenario has mistakes (each with its line) or is not JSON", body = Problem),
        MockRefusals,
        (status = 415, description = "The body is not sent as application/json", body = Problem),
    ))]
pub async fn replace(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    // Who may is answered first: the body tells nothing to anyone else.
    state.mock.allow(&caller)?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Ok(problem::response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The body must be JSON, sent with Content-Type: application/json",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::invalid("invalid_scenario", "The body is not UTF-8 text"))?;
    state.mock.replace(&caller, text).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
