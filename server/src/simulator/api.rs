//! `/sim/v1`: the simulator's control API (extension), thin over `SimulatorControl`.

use app::api_types::{
    MintedCredentials, NewSimTenant, Problem, SimFaults, SimJournalEntry, SimMail, SimTenantDetail,
    SimTenantSummary,
};
use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::{
        extract::{ApiJson, Authenticated, QueryParams},
        paths::{ApiPath, SimTenantSegments, VoiceObjectSegments},
        responses::{SimForbidden, SimTenantRefusals},
    },
    domain::AppError,
    state::AppState,
};

/// The simulator's operations, below `/sim/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenants, create_tenant))
        .routes(routes!(tenant))
        .routes(routes!(set_faults))
        .routes(routes!(run_create_app))
        .routes(routes!(journal))
        .routes(routes!(outbox))
        .routes(routes!(delete_voice_object))
}

/// Create a simulated MS tenant with chosen licenses and faults.
#[utoipa::path(post, path = "/tenants", tag = "simulator", security(("bearer" = [])), request_body = NewSimTenant,
    responses(
        (status = 201, description = "The simulated tenant", body = SimTenantDetail),
        (status = 400, description = "Invalid input", body = Problem),
        SimForbidden,
        (status = 409, description = "A tenant with this id exists", body = Problem),
    ))]
pub async fn create_tenant(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<NewSimTenant>,
) -> Result<(StatusCode, Json<SimTenantDetail>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(state.simulator.create_tenant(&caller, body).await?),
    ))
}

/// The simulated MS tenants.
#[utoipa::path(get, path = "/tenants", tag = "simulator", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every simulated tenant", body = Vec<SimTenantSummary>,
            example = json!([
                {"msTenantId": "a1000000-0000-4000-8000-000000000001", "name": "Contoso",
                    "initialDomain": "contoso.onmicrosoft.com", "faults": [], "createdAt": "2025-03-04T08:00:00Z"},
                {"msTenantId": "a1000000-0000-4000-8000-000000000002", "name": "Fabrikam",
                    "initialDomain": "fabrikam.onmicrosoft.com", "faults": ["mfa_enabled"], "createdAt": "2025-03-04T08:00:00Z"}
            ])),
        SimForbidden,
    ))]
pub async fn tenants(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<SimTenantSummary>>, AppError> {
    Ok(Json(state.simulator.tenants(&caller).await?))
}

/// Everything a simulated tenant holds: applications, licenses, domains, DNS records,
/// users and Teams voice objects.
#[utoipa::path(get, path = "/tenants/{ms_tenant_id}", tag = "simulator", security(("bearer" = [])),
    params(SimTenantSegments),
    responses(
        (status = 200, description = "The simulated tenant", body = SimTenantDetail),
        SimTenantRefusals,
    ))]
pub async fn tenant(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(tenant): ApiPath<SimTenantSegments>,
) -> Result<Json<SimTenantDetail>, AppError> {
    Ok(Json(state.simulator.tenant(&caller, tenant).await?))
}

/// Replace the faults switched on for a simulated tenant.
#[utoipa::path(put, path = "/tenants/{ms_tenant_id}/faults", tag = "simulator", security(("bearer" = [])),
    params(SimTenantSegments),
    request_body = SimFaults,
    responses(
        (status = 200, description = "The tenant with its faults", body = SimTenantSummary),
        (status = 400, description = "Unknown fault", body = Problem),
        SimTenantRefusals,
    ))]
pub async fn set_faults(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(tenant): ApiPath<SimTenantSegments>,
    ApiJson(body): ApiJson<SimFaults>,
) -> Result<Json<SimTenantSummary>, AppError> {
    Ok(Json(
        state
            .simulator
            .set_faults(&caller, tenant, &body.faults)
            .await?,
    ))
}

/// Run create_app.ps1 in the simulated tenant: returns the MS tenant id, application id
/// and a new secret, ready for `msteams/applications`.
#[utoipa::path(post, path = "/tenants/{ms_tenant_id}/create_app", tag = "simulator", security(("bearer" = [])),
    params(SimTenantSegments),
    responses(
        (status = 200, description = "What the script prints", body = MintedCredentials),
        SimTenantRefusals,
    ))]
pub async fn run_create_app(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(tenant): ApiPath<SimTenantSegments>,
) -> Result<Json<MintedCredentials>, AppError> {
    Ok(Json(state.simulator.run_create_app(&caller, tenant).await?))
}

/// The journal of simulated Graph and PowerShell calls, newest first.
#[utoipa::path(get, path = "/tenants/{ms_tenant_id}/journal", tag = "simulator", security(("bearer" = [])),
    params(
        SimTenantSegments,
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many entries (default 200, at most 1000)"),
    ),
    responses(
        (status = 200, description = "Journal entries", body = Vec<SimJournalEntry>,
            example = json!([
                {"id": 42, "at": "2025-03-04T09:20:05Z", "operation": "New-CsOnlineVoiceRoute", "target": "Draas-VR",
                    "outcome": "created", "status": 201, "latencyMs": 180,
                    "detail": "Voice route Draas-VR created with PSTN usage DRaaS-PSTN-Usage"},
                {"id": 41, "at": "2025-03-04T09:20:04Z", "operation": "Set-CsOnlinePstnUsages", "target": "DRaaS-PSTN-Usage",
                    "outcome": "created", "status": 201, "latencyMs": 150,
                    "detail": "PSTN usage DRaaS-PSTN-Usage added"}
            ])),
        SimTenantRefusals,
    ))]
pub async fn journal(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(tenant): ApiPath<SimTenantSegments>,
    QueryParams(query): QueryParams,
) -> Result<Json<Vec<SimJournalEntry>>, AppError> {
    let limit = limit(query.get("limit"), 200, 1000)?;
    Ok(Json(state.simulator.journal(&caller, tenant, limit).await?))
}

/// Delete a Teams voice object (`pstn_usage`, `voice_route`, `voice_routing_policy`) in the
/// simulated tenant, as an administrator could by hand.
#[utoipa::path(delete, path = "/tenants/{ms_tenant_id}/voice_objects/{kind}/{identity}", tag = "simulator",
    security(("bearer" = [])),
    params(VoiceObjectSegments),
    responses(
        (status = 204, description = "Deleted"),
        SimForbidden,
        (status = 404, description = "No such object or tenant", body = Problem),
    ))]
pub async fn delete_voice_object(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(object): ApiPath<VoiceObjectSegments>,
) -> Result<StatusCode, AppError> {
    state
        .simulator
        .delete_voice_object(&caller, object.tenant, &object.kind, &object.identity)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The simulated mail server's outbox: what the platform would have e-mailed (the
/// second factor's sign-in codes) to the caller itself and to administrators of nodes
/// strictly below the caller's, newest first. Mail to peers on the caller's own node,
/// or to another DRaaS instance's administrators, never shows.
#[utoipa::path(get, path = "/outbox", tag = "simulator", security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "At most this many messages (default 20, at most 200)"),
    ),
    responses(
        (status = 200, description = "Messages, newest first", body = Vec<SimMail>,
            example = json!([
                {"id": 7, "to": "mia@alpha-telecom.example", "subject": "Your Fusion sign-in code",
                    "body": "Your sign-in code is 493027. It is valid for 10 minutes.\nIf you did not just sign in, change your password.",
                    "sentAt": "2025-03-04T09:01:12Z"}
            ])),
        SimForbidden,
    ))]
pub async fn outbox(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    QueryParams(query): QueryParams,
) -> Result<Json<Vec<SimMail>>, AppError> {
    let limit = limit(query.get("limit"), 20, 200)?;
    Ok(Json(state.simulator.outbox(&caller, limit).await?))
}

/// The `limit` query parameter: `default` when absent, else an integer from 1 to `max`
/// (400 otherwise).
fn limit(raw: Option<&String>, default: u32, max: u32) -> Result<u32, AppError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            AppError::invalid(
                "invalid_query_parameter",
                format!("limit must be an integer from 1 to {max}"),
            )
        })
}
