//! Read endpoints (extension): the tenants and subscriptions an administrator may see.

use app::api_types::{Paged, Problem, SubscriptionSummary, TenantSummary};
use axum::{Json, extract::State};

use super::extract::{Authenticated, ListQuery, TenantParams};
use crate::{domain::AppError, state::AppState};

/// Tenants in the caller's tree of authority, by name, optionally filtered by `search`.
#[utoipa::path(get, path = "/api/v01/draas/{draas_instance}/tenants", tag = "directory", security(("bearer" = [])),
    params(
        ("draas_instance" = String, Path, pattern = r"^[a-z0-9_-]{1,40}$", example = "demo", description = "The DRaaS instance (service provider), e.g. `demo`"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 2147483647, description = "Page number, from 1 (default 1)"),
        ("size" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1 to 1000 (default 25)"),
        ("search" = Option<String>, Query, max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$", description = "Only tenants whose name contains this text (at most 100 characters)"),
    ),
    responses(
        (status = 200, description = "A page of tenants", body = Paged<TenantSummary>),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown DRaaS instance", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tenants(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: TenantParams,
    query: ListQuery,
) -> Result<Json<Paged<TenantSummary>>, AppError> {
    Ok(Json(
        state
            .directory
            .tenants(&caller, &path.instance, query.page, &query.search)
            .await?,
    ))
}

/// A tenant's subscriptions, each with its MS Teams state.
#[utoipa::path(get, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions", tag = "directory", security(("bearer" = [])),
    params(
        ("draas_instance" = String, Path, pattern = r"^[a-z0-9_-]{1,40}$", example = "demo", description = "The DRaaS instance (service provider), e.g. `demo`"),
        ("uuid" = uuid::Uuid, Path, example = "40000000-0000-4000-8000-000000000002", description = "The tenant's UUID"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 2147483647, description = "Page number, from 1 (default 1)"),
        ("size" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1 to 1000 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of subscriptions", body = Paged<SubscriptionSummary>),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant doesn't exist or lies outside the caller's tree of authority", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn subscriptions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: TenantParams,
    query: ListQuery,
) -> Result<Json<Paged<SubscriptionSummary>>, AppError> {
    let tenant = path
        .tenant
        .ok_or_else(|| AppError::Internal("route without {uuid}".into()))?;
    Ok(Json(
        state
            .directory
            .subscriptions(&caller, &path.instance, tenant, query.page)
            .await?,
    ))
}
