//! `POST/GET …/msteams/wizard` and `GET /api/v01/transactions/{id}` (extension).

use app::api_types::{Problem, TransactionInfo, TransactionRef, WizardRefusal, WizardState};
use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    extract::{Authenticated, PathParams, SubscriptionParams},
    msteams::SubscriptionPathDoc,
    problem::CONTENT_TYPE,
};
use crate::{
    domain::{AppError, types::clip, wizard::WizardReport},
    state::AppState,
};

/// Start the onboarding wizard (asynchronous). After a failed run, a new start resumes
/// at the failed step; executed steps are not redone.
#[utoipa::path(post, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/wizard",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 200, description = "Asynchronous process has started", body = TransactionRef),
        (status = 400, description = "No stored application integration or administrator credentials, the subscription is linked, or its tenant is onboarded already (extension)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path tenant / subscription doesn't exist", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A wizard is running for this subscription (extension)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<Json<TransactionRef>, AppError> {
    let id = state.wizard.start(&caller, &path).await?;
    Ok(Json(TransactionRef { id }))
}

/// Check the onboarding process: the six steps and whether it still runs.
///
/// 404 shortly after a start means the preparation phase (before step 0) is not over.
/// After a failure the answer is 400, a problem+json body that also carries the steps.
#[utoipa::path(get, path = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}/msteams/wizard",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionPathDoc),
    responses(
        (status = 200, description = "The wizard steps with their status is returned", body = WizardState),
        (status = 400, description = "The wizard has ended with an error (the steps and the failed step), or a malformed path parameter (a plain problem)", body = WizardRefusal, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path requested doesn't exists for the provided tenant and subscription ID's or the MS Teams tenant has not been initialized yet", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Uncatched error on server side", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn state(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    SubscriptionParams(path): SubscriptionParams,
) -> Result<Response, AppError> {
    Ok(match state.wizard.state(&caller, &path).await? {
        WizardReport::NotStarted(detail) => return Err(AppError::NotFound(detail)),
        WizardReport::Active(steps) => Json(steps).into_response(),
        WizardReport::Failed(body) => {
            let mut response = (StatusCode::BAD_REQUEST, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
    })
}

/// The id of an asynchronous task.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only describes the path for the OpenAPI document.
pub struct TransactionPath {
    /// The transaction id returned when the task started.
    id: i64,
}

/// An asynchronous task (extension): its kind, status and, after a failure, its error.
#[utoipa::path(get, path = "/api/v01/transactions/{id}", tag = "msteams", security(("bearer" = [])),
    params(TransactionPath),
    responses(
        (status = 200, description = "The task", body = TransactionInfo),
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API consumer doesn't have sufficient rights to perform this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task in the caller's tree of authority", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn transaction(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: PathParams,
) -> Result<Json<TransactionInfo>, AppError> {
    let raw = path.get("id")?;
    let id = raw.parse::<i64>().map_err(|_| {
        AppError::invalid(
            "invalid_path_parameter",
            format!("transaction id '{}' is not an integer", clip(raw)),
        )
    })?;
    Ok(Json(state.wizard.transaction(&caller, id).await?))
}
