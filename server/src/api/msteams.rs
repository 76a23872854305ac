//! `/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/…`:
//! the MS Teams endpoints of the vendor page, `status` (public docs; its sub-objects and
//! values as the vendor's portal client reads them) and `admins` (the vendor's portal
//! client; its role strings are ours).
//! Each handler parses its input and calls one domain service method.

use app::api_types::{
    ApplicationRequest, FileDownload, LinkRequest, MsTeamsAdmin, MsTeamsAdminRemoval,
    MsTeamsAdminRequest, MsTeamsStatus, Problem, ResetSecretRequest, SourcesResponse,
    UpdateVrpResponse,
};
use axum::{Json, extract::State, http::StatusCode};
use base64::{Engine, engine::general_purpose::STANDARD};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{ApiJson, Authenticated},
    paths::{ApiPath, SubscriptionSegments},
    responses::{Forbidden, SubscriptionRefusals},
};
use crate::{
    domain::{
        AppError,
        create_app::Script,
        onboarding::{AdministratorChange, AdministratorRemoval, ApplicationInput},
        types::{ApplicationId, Secret, SubscriptionId},
    },
    state::AppState,
};

/// The operations below a subscription's path (`api::SUBSCRIPTION`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(applications))
        .routes(routes!(admins, store_admin, remove_admin))
        .routes(routes!(create_app))
        .routes(routes!(reset_secret))
        .routes(routes!(unlink))
        .routes(routes!(sources))
        .routes(routes!(link))
        .routes(routes!(status))
        .routes(routes!(update_vrp))
}

/// Create or update the Azure AD application integration (MS Graph).
///
/// `msTeamsTenantId` is required for a new integration and, when given on an update,
/// must match the integrated tenant. The secret is stored encrypted and never returned.
#[utoipa::path(post, path = "/msteams/applications",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments), request_body = ApplicationRequest,
    responses(
        (status = 204, description = "The application has been correctly created or updated"),
        (status = 400, description = "An error occurred while creating or updating the application. This can happen if the optional parameter MS tenant ID was not passed in case of a new integration or does not match a linked entry in case of an update", body = Problem),
        Forbidden,
        (status = 404, description = "The path requested doesn't exists for the provided tenant and subscription ID's", body = Problem),
    ))]
pub async fn applications(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
    ApiJson(body): ApiJson<ApplicationRequest>,
) -> Result<StatusCode, AppError> {
    let input = ApplicationInput::parse(body)?;
    state
        .onboarding
        .set_application(&caller, &path, input)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The MS Teams administrator account (PowerShell) of the subscription's MS Teams tenant.
///
/// Source: the vendor's portal client (no documentation page shows it). Role: ours,
/// `tenants.instance.subscriptions.instance.msteams.administrator.read`, as no source
/// names one. `id` and `msUsername` are both null when no account is stored. A linked
/// subscription shows the account of the tenant it shares. The password is never returned.
#[utoipa::path(get, path = "/msteams/admins",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "The stored administrator account, or nulls when none is stored", body = MsTeamsAdmin),
        SubscriptionRefusals,
    ))]
pub async fn admins(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<MsTeamsAdmin>, AppError> {
    Ok(Json(state.onboarding.administrator(&caller, &path).await?))
}

/// Store the MS Teams administrator account, replace it, or change its password.
///
/// Source: the vendor's portal client. Role: ours,
/// `tenants.instance.subscriptions.instance.msteams.administrator.update`, as no source
/// names one. `{msUsername, msPassword}` stores the account or replaces the stored one;
/// `{msPassword}` alone changes the stored account's password (400 when none is stored).
/// The account must have multi-factor authentication turned off. The password is stored
/// encrypted and never returned. A linked subscription's account is managed on the
/// subscription that owns the shared tenant (400). Refused while the wizard runs (400
/// `wizard_running`, as for `DELETE`): its steps sign in with the account.
#[utoipa::path(post, path = "/msteams/admins",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments), request_body = MsTeamsAdminRequest,
    responses(
        (status = 204, description = "The administrator account has been stored, or its password changed"),
        (status = 400, description = "Error while processing the request: an invalid msUsername or msPassword, no stored account whose password to change, the wizard is running, or a sip-trunks or linked subscription", body = Problem),
        SubscriptionRefusals,
    ))]
pub async fn store_admin(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
    ApiJson(body): ApiJson<MsTeamsAdminRequest>,
) -> Result<StatusCode, AppError> {
    let change = AdministratorChange::parse(body)?;
    state
        .onboarding
        .store_administrator(&caller, &path, change)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the stored MS Teams administrator account.
///
/// Source: the vendor's portal client, which sends `{id, msUsername}` as `GET` gave
/// them. Role: ours, `tenants.instance.subscriptions.instance.msteams.administrator.update`.
/// A body that does not name the stored account, or no stored account, is a 400 (as the
/// vendor page answers an application that does not match the integration), so that 404
/// keeps meaning the path. Refused while the wizard runs. When nothing else is stored and
/// no wizard has run, the MS Teams tenant goes with it (`msteams/status` answers 404 again).
#[utoipa::path(delete, path = "/msteams/admins",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments), request_body = MsTeamsAdminRemoval,
    responses(
        (status = 204, description = "The administrator account has been removed"),
        (status = 400, description = "Error while processing the request: the body does not name the stored account, none is stored, the wizard is running, or a sip-trunks or linked subscription", body = Problem),
        SubscriptionRefusals,
    ))]
pub async fn remove_admin(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
    ApiJson(body): ApiJson<MsTeamsAdminRemoval>,
) -> Result<StatusCode, AppError> {
    let removal = AdministratorRemoval::parse(body)?;
    state
        .onboarding
        .remove_administrator(&caller, &path, removal)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download the create_app.ps1 script, customised with the group's settings (Base64).
#[utoipa::path(post, path = "/downloads/create_app",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "The script has been correctly generated", body = FileDownload),
        (status = 400, description = "The subscription is not an msteams subscription (extension)", body = Problem),
        SubscriptionRefusals,
    ))]
pub async fn create_app(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<FileDownload>, AppError> {
    let script = state.onboarding.create_app_script(&caller, &path).await?;
    Ok(Json(FileDownload::from(script)))
}

/// The script as the REST API and the UI send it: its text in Base64.
impl From<Script> for FileDownload {
    fn from(script: Script) -> Self {
        FileDownload {
            file_name: script.file_name.to_owned(),
            file_body: STANDARD.encode(script.text),
        }
    }
}

/// Replace the secret of the integrated application.
#[utoipa::path(post, path = "/msteams/reset_secret",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments), request_body = ResetSecretRequest,
    responses(
        (status = 204, description = "The MS Teams application secret was successfully reset"),
        (status = 400, description = "Error while resetting the secret for the MS Teams application", body = Problem),
        SubscriptionRefusals,
    ))]
pub async fn reset_secret(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
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
#[utoipa::path(post, path = "/msteams/unlink",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 204, description = "The MS Teams tenant has been successfuly unlinked from Fusion"),
        (status = 400, description = "Error while processing the request", body = Problem),
        SubscriptionRefusals,
    ))]
pub async fn unlink(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<StatusCode, AppError> {
    state.onboarding.unlink(&caller, &path).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscriptions in the caller's tree of authority with an onboarded MS Teams tenant.
#[utoipa::path(get, path = "/msteams/sources",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "A list of linked subscriptions with an already onboarded MS Teams tenant has been found", body = SourcesResponse),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action or the admin level is not right", body = Problem),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem),
    ))]
pub async fn sources(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<SourcesResponse>, AppError> {
    Ok(Json(SourcesResponse {
        sources: state.onboarding.sources(&caller, &path).await?,
    }))
}

/// Link the subscription to the already onboarded MS Teams tenant of another one.
#[utoipa::path(post, path = "/msteams/link",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments), request_body = LinkRequest,
    responses(
        (status = 204, description = "The MS Teams tenant was successfully linked to the subscription"),
        (status = 400, description = "Error while processing the request", body = Problem),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action or the admin level is not right", body = Problem),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem),
    ))]
pub async fn link(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<StatusCode, AppError> {
    let source = SubscriptionId::from_body(body.subscription_id)?;
    state.onboarding.link(&caller, &path, source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscription's MS Teams tenant: ids, mode, status, domain and integrations.
///
/// Source: the public Fusion documentation (path, role, the fields, 404); the
/// sub-objects `domain {name, verified}`, `powershell {msUserName, active}` and
/// `msGraph {msApplicationId, active}` and the `status` values as the vendor's portal
/// client reads them. `status`: `not_initiated` while no wizard step has executed (no
/// run yet, or a run still preparing or at step 0), `wizard_<step>_ok` while the wizard
/// runs (`<step>` the last executed), `wizard_<step>_error` after it failed at `<step>`,
/// `onboarded`, `already_linked` for a subscription linked to another's tenant. The
/// Operator Connect values `waiting_for_confirmation` and `no_consent` are never produced.
/// Extensions (ours): `linkedTo`, and `updatedAt` and `secretExpiresAt` in the integrations.
/// Nothing of any secret is returned.
#[utoipa::path(get, path = "/msteams/status",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "The MS Teams tenant of the subscription", body = MsTeamsStatus),
        Forbidden,
        (status = 404, description = "No MS Teams tenant found or the path tenant / subscription doesn't exist", body = Problem),
    ))]
pub async fn status(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<MsTeamsStatus>, AppError> {
    Ok(Json(state.onboarding.status(&caller, &path).await?))
}

/// Re-apply the voice routing settings (PSTN usage, voice route, voice routing policy)
/// in the MS Teams tenant, synchronously, and report what each did.
#[utoipa::path(put, path = "/msteams/update_vrp",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "The Update process has finished", body = UpdateVrpResponse),
        (status = 400, description = "The request has ended with an error", body = Problem),
        SubscriptionRefusals,
    ))]
pub async fn update_vrp(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<UpdateVrpResponse>, AppError> {
    Ok(Json(UpdateVrpResponse {
        status: state.onboarding.update_vrp(&caller, &path).await?,
    }))
}
