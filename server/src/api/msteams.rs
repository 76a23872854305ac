//! `/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/…`:
//! the MS Teams endpoints of the vendor page, and `status` and `administrator` (extensions).
//! Each handler parses its input and calls one domain service method.

use app::api_types::{
    AdministratorRequest, ApplicationRequest, FileDownload, LinkRequest, MsTeamsStatus, Problem,
    ResetSecretRequest, SourcesResponse, UpdateVrpResponse,
};
use axum::{Json, extract::State, http::StatusCode};

use super::extract::{ApiJson, Authenticated, SubscriptionParams};
use crate::{
    domain::{
        AppError,
        onboarding::ApplicationInput,
        types::{AdminUpn, ApplicationId, Secret, SubscriptionId},
    },
    state::AppState,
};

/// The path parameters every endpoint here shares.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only describes the path for the OpenAPI document.
pub struct SubscriptionPathDoc {
    /// The DRaaS instance (service provider), e.g. `demo`.
    #[param(pattern = r"^[a-z0-9_-]{1,40}$", example = "demo")]
    draas_instance: String,
    /// A system generated unique ID (UUID) identifying the tenant to which the subscription belongs.
    #[param(example = "40000000-0000-4000-8000-000000000002")]
    uuid: uuid::Uuid,
    /// A system generated ID identifying the subscription.
    #[param(minimum = 1, example = 3)]
    subscription_id: i64,
}

/// Create or update the Azure AD application integration (MS Graph).
///
/// `msTeamsTenantId` is required for a new integration and, when given on an update,
/// must match the integrated tenant. The secret is stored encrypted and never returned.
#[utoipa::path(post, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/applications",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc), request_body = ApplicationRequest,
    responses(
        (status = 204, description = "The application has been correctly created or updated"),
        (status = 400, description = "An error occurred while creating or updating the application. This can happen if the optional parameter MS tenant ID was not passed in case of a new integration or does not match a linked entry in case of an update", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path requested doesn't exists for the provided tenant and subscription ID's", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn applications(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
    ApiJson(body): ApiJson<ApplicationRequest>,
) -> Result<StatusCode, AppError> {
    let input = ApplicationInput::parse(body)?;
    state
        .onboarding
        .set_application(&caller, &path, input)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Store the MS Teams administrator credentials (extension). The account must have
/// multi-factor authentication turned off; the password is never returned.
#[utoipa::path(put, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/administrator",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc), request_body = AdministratorRequest,
    responses(
        (status = 204, description = "The administrator credentials have been stored"),
        (status = 400, description = "Error while processing the request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn administrator(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
    ApiJson(body): ApiJson<AdministratorRequest>,
) -> Result<StatusCode, AppError> {
    let username = AdminUpn::parse(&body.username)?;
    let password = Secret::parse("password", body.password)?;
    state
        .onboarding
        .set_administrator(&caller, &path, username, password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download the create_app.ps1 script, customised with the group's settings (Base64).
#[utoipa::path(post, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/downloads/create_app",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 200, description = "The script has been correctly generated", body = FileDownload),
        (status = 400, description = "The subscription is not an msteams subscription (extension)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_app(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<Json<FileDownload>, AppError> {
    Ok(Json(
        state.onboarding.create_app_script(&caller, &path).await?,
    ))
}

/// Replace the secret of the integrated application.
#[utoipa::path(post, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/reset_secret",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc), request_body = ResetSecretRequest,
    responses(
        (status = 204, description = "The MS Teams application secret was successfully reset"),
        (status = 400, description = "Error while resetting the secret for the MS Teams application", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_secret(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
    ApiJson(body): ApiJson<ResetSecretRequest>,
) -> Result<StatusCode, AppError> {
    let application_id = ApplicationId::parse(&body.application_id)?;
    let secret = Secret::parse("secret", body.secret)?;
    state
        .onboarding
        .reset_secret(&caller, &path, application_id, secret)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlink the MS Teams tenant: its onboarded data is erased (or, for a linked
/// subscription, the link). Refused while users have direct routing enabled or other
/// subscriptions are linked to this tenant.
#[utoipa::path(post, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/unlink",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 204, description = "The MS Teams tenant has been successfuly unlinked from Fusion"),
        (status = 400, description = "Error while processing the request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unlink(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<StatusCode, AppError> {
    state.onboarding.unlink(&caller, &path).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscriptions in the caller's tree of authority with an onboarded MS Teams tenant.
#[utoipa::path(get, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/sources",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 200, description = "A list of linked subscriptions with an already onboarded MS Teams tenant has been found", body = SourcesResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action or the admin level is not right", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sources(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<Json<SourcesResponse>, AppError> {
    Ok(Json(SourcesResponse {
        sources: state.onboarding.sources(&caller, &path).await?,
    }))
}

/// Link the subscription to the already onboarded MS Teams tenant of another one.
#[utoipa::path(post, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/link",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc), request_body = LinkRequest,
    responses(
        (status = 204, description = "The MS Teams tenant was successfully linked to the subscription"),
        (status = 400, description = "Error while processing the request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action or the admin level is not right", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn link(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<StatusCode, AppError> {
    let source = SubscriptionId::from_body(body.subscription_id)?;
    state.onboarding.link(&caller, &path, source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscription's MS Teams tenant: ids, mode, status, domain and integrations (extension).
#[utoipa::path(get, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/status",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 200, description = "The MS Teams tenant of the subscription", body = MsTeamsStatus),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No MS Teams tenant found or the path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn status(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<Json<MsTeamsStatus>, AppError> {
    Ok(Json(state.onboarding.status(&caller, &path).await?))
}

/// Re-apply the voice routing settings (PSTN usage, voice route, voice routing policy)
/// in the MS Teams tenant, synchronously, and report what each did.
#[utoipa::path(put, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/update_vrp",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 200, description = "The Update process has finished", body = UpdateVrpResponse),
        (status = 400, description = "The request has ended with an error", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_vrp(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<Json<UpdateVrpResponse>, AppError> {
    Ok(Json(UpdateVrpResponse {
        status: state.onboarding.update_vrp(&caller, &path).await?,
    }))
}
