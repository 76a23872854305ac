//! `/sim/v1`: the simulator's control API (extension), thin over `SimulatorControl`.

use app::api_types::{
    MintedCredentials, NewSimTenant, Problem, SimFaults, SimJournalEntry, SimMail, SimTenantDetail,
    SimTenantSummary,
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{any, delete, get, post, put},
};

use crate::{
    api::{
        extract::{ApiJson, Authenticated, PathParams, QueryParams},
        with_json_edges,
    },
    domain::{
        AppError,
        types::{MsTenantId, clip},
    },
    state::AppState,
};

pub fn router(state: AppState) -> Router<AppState> {
    let sim = Router::new()
        .route("/tenants", get(tenants).post(create_tenant))
        .route("/tenants/{ms_tenant_id}", get(tenant))
        .route("/tenants/{ms_tenant_id}/faults", put(set_faults))
        .route("/tenants/{ms_tenant_id}/create_app", post(run_create_app))
        .route("/tenants/{ms_tenant_id}/journal", get(journal))
        .route("/outbox", get(outbox))
        .route(
            "/tenants/{ms_tenant_id}/voice_objects/{kind}/{identity}",
            delete(delete_voice_object),
        );
    let sim = with_json_edges(sim, state, "No such simulator endpoint");
    Router::new().nest("/sim/v1", sim).route(
        "/sim/v1/",
        any(|| async { AppError::NotFound("No such simulator endpoint".into()) }),
    )
}

fn tenant_id(raw: &str) -> Result<MsTenantId, AppError> {
    MsTenantId::parse(raw).map_err(|_| {
        AppError::invalid(
            "invalid_path_parameter",
            format!("'{}' is not a tenant GUID", clip(raw)),
        )
    })
}

/// Create a simulated MS tenant with chosen licenses and faults.
#[utoipa::path(post, path = "/sim/v1/tenants", tag = "simulator", security(("bearer" = [])), request_body = NewSimTenant,
    responses(
        (status = 201, description = "The simulated tenant", body = SimTenantDetail),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The simulator.manage role is required", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A tenant with this id exists", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/sim/v1/tenants", tag = "simulator", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every simulated tenant", body = Vec<SimTenantSummary>),
        (status = 403, description = "The simulator.manage role is required", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tenants(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<SimTenantSummary>>, AppError> {
    Ok(Json(state.simulator.tenants(&caller).await?))
}

/// Everything a simulated tenant holds: applications, licenses, domains, DNS records,
/// users and Teams voice objects.
#[utoipa::path(get, path = "/sim/v1/tenants/{ms_tenant_id}", tag = "simulator", security(("bearer" = [])),
    params(("ms_tenant_id" = uuid::Uuid, Path, description = "The simulated Azure AD tenant id")),
    responses(
        (status = 200, description = "The simulated tenant", body = SimTenantDetail),
        (status = 404, description = "No such simulated tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tenant(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: PathParams,
) -> Result<Json<SimTenantDetail>, AppError> {
    Ok(Json(
        state
            .simulator
            .tenant(&caller, tenant_id(path.get("ms_tenant_id")?)?)
            .await?,
    ))
}

/// Replace the faults switched on for a simulated tenant.
#[utoipa::path(put, path = "/sim/v1/tenants/{ms_tenant_id}/faults", tag = "simulator", security(("bearer" = [])),
    params(("ms_tenant_id" = uuid::Uuid, Path, description = "The simulated Azure AD tenant id")),
    request_body = SimFaults,
    responses(
        (status = 200, description = "The tenant with its faults", body = SimTenantSummary),
        (status = 400, description = "Unknown fault", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such simulated tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_faults(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: PathParams,
    ApiJson(body): ApiJson<SimFaults>,
) -> Result<Json<SimTenantSummary>, AppError> {
    Ok(Json(
        state
            .simulator
            .set_faults(&caller, tenant_id(path.get("ms_tenant_id")?)?, &body.faults)
            .await?,
    ))
}

/// Run create_app.ps1 in the simulated tenant: returns the MS tenant id, application id
/// and a new secret, ready for `msteams/applications`.
#[utoipa::path(post, path = "/sim/v1/tenants/{ms_tenant_id}/create_app", tag = "simulator", security(("bearer" = [])),
    params(("ms_tenant_id" = uuid::Uuid, Path, description = "The simulated Azure AD tenant id")),
    responses(
        (status = 200, description = "What the script prints", body = MintedCredentials),
        (status = 404, description = "No such simulated tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn run_create_app(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: PathParams,
) -> Result<Json<MintedCredentials>, AppError> {
    Ok(Json(
        state
            .simulator
            .run_create_app(&caller, tenant_id(path.get("ms_tenant_id")?)?)
            .await?,
    ))
}

/// The journal of simulated Graph and PowerShell calls, newest first.
#[utoipa::path(get, path = "/sim/v1/tenants/{ms_tenant_id}/journal", tag = "simulator", security(("bearer" = [])),
    params(
        ("ms_tenant_id" = uuid::Uuid, Path, description = "The simulated Azure AD tenant id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many entries (default 200, at most 1000)"),
    ),
    responses(
        (status = 200, description = "Journal entries", body = Vec<SimJournalEntry>),
        (status = 404, description = "No such simulated tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn journal(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: PathParams,
    QueryParams(query): QueryParams,
) -> Result<Json<Vec<SimJournalEntry>>, AppError> {
    let limit = match query.get("limit") {
        None => 200,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                AppError::invalid(
                    "invalid_query_parameter",
                    "limit must be an integer from 1 to 1000",
                )
            })?,
    };
    Ok(Json(
        state
            .simulator
            .journal(&caller, tenant_id(path.get("ms_tenant_id")?)?, limit)
            .await?,
    ))
}

/// Delete a Teams voice object (`pstn_usage`, `voice_route`, `voice_routing_policy`) in the
/// simulated tenant, as an administrator could by hand.
#[utoipa::path(delete, path = "/sim/v1/tenants/{ms_tenant_id}/voice_objects/{kind}/{identity}", tag = "simulator",
    security(("bearer" = [])),
    params(
        ("ms_tenant_id" = uuid::Uuid, Path, description = "The simulated Azure AD tenant id"),
        ("kind" = String, Path, description = "`pstn_usage`, `voice_route` or `voice_routing_policy`"),
        ("identity" = String, Path, description = "The object's identity, e.g. `Draas-VR`"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such object or tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_voice_object(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: PathParams,
) -> Result<StatusCode, AppError> {
    state
        .simulator
        .delete_voice_object(
            &caller,
            tenant_id(path.get("ms_tenant_id")?)?,
            path.get("kind")?,
            path.get("identity")?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The simulated mail server's outbox: what the platform would have e-mailed (the
/// second factor's sign-in codes) to the caller itself and to administrators of nodes
/// strictly below the caller's, newest first. Mail to peers on the caller's own node,
/// or to another DRaaS instance's administrators, never shows.
#[utoipa::path(get, path = "/sim/v1/outbox", tag = "simulator", security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "At most this many messages (default 20, at most 200)"),
    ),
    responses(
        (status = 200, description = "Messages, newest first", body = Vec<SimMail>),
        (status = 403, description = "The simulator.manage role is required", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn outbox(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    QueryParams(query): QueryParams,
) -> Result<Json<Vec<SimMail>>, AppError> {
    let limit = match query.get("limit") {
        None => 20,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| {
                AppError::invalid(
                    "invalid_query_parameter",
                    "limit must be an integer from 1 to 200",
                )
            })?,
    };
    Ok(Json(state.simulator.outbox(&caller, limit).await?))
}
