//! `POST/GET …/msteams/wizard` and `GET /api/v01/transactions/{id}` (extension).

use app::api_types::{
    Problem, TransactionInfo, TransactionRef, WizardFailure, WizardRefusal, WizardState, WizardView,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::Authenticated,
    paths::{ApiPath, SubscriptionSegments, TransactionSegments},
    problem::CONTENT_TYPE,
    responses::{Forbidden, SubscriptionRefusals},
};
use crate::{
    domain::{AppError, wizard::WizardProgress},
    state::AppState,
};

/// The wizard, below a subscription's path (`api::SUBSCRIPTION`).
pub fn subscription_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start, state))
}

/// The asynchronous tasks.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(transaction))
}

/// Start the onboarding wizard (asynchronous). After a failed run, a new start resumes
/// at the failed step; executed steps are not redone.
#[utoipa::path(post, path = "/msteams/wizard",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "Asynchronous process has started", body = TransactionRef),
        (status = 400, description = "No stored application integration or administrator credentials, the subscription is linked, or its tenant is onboarded already (extension)", body = Problem),
        SubscriptionRefusals,
        (status = 409, description = "A wizard is running for this subscription (extension)", body = Problem),
    ))]
pub async fn start(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Json<TransactionRef>, AppError> {
    let id = state.wizard.start(&caller, &path).await?;
    Ok(Json(TransactionRef { id }))
}

/// Check the onboarding process: the six steps and whether it still runs.
///
/// 404 shortly after a start means the preparation phase (before step 0) is not over.
/// After a failure the answer is 400, a problem+json body that also carries the steps.
#[utoipa::path(get, path = "/msteams/wizard",
    tag = "msteams", security(("bearer" = [])), params(SubscriptionSegments),
    responses(
        (status = 200, description = "The wizard steps with their status is returned", body = WizardState),
        (status = 400, description = "The wizard has ended with an error (the steps and the failed step), or a malformed path parameter (a plain problem)", body = WizardRefusal),
        Forbidden,
        (status = 404, description = "The path requested doesn't exists for the provided tenant and subscription ID's or the MS Teams tenant has not been initialized yet", body = Problem),
        (status = 500, description = "Uncatched error on server side", body = Problem),
    ))]
pub async fn state(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<SubscriptionSegments>,
) -> Result<Response, AppError> {
    let progress = state.wizard.state(&caller, &path).await?;
    Ok(match WizardView::from(progress) {
        WizardView::NotStarted(detail) => return Err(AppError::NotFound(detail)),
        WizardView::Active(steps) => Json(steps).into_response(),
        WizardView::Failed(body) => {
            let mut response = (StatusCode::BAD_REQUEST, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
    })
}

/// What the REST API and the UI send for the wizard's progress: a failure becomes the
/// 400's problem+json body, which also carries the steps.
impl From<WizardProgress> for WizardView {
    fn from(progress: WizardProgress) -> Self {
        match progress {
            WizardProgress::NotStarted(detail) => WizardView::NotStarted(detail),
            WizardProgress::Active(state) => WizardView::Active(state),
            WizardProgress::Failed {
                error,
                state,
                failed_step,
            } => {
                let problem = error.to_problem();
                WizardView::Failed(WizardFailure {
                    problem_type: problem.problem_type,
                    title: problem.title,
                    status: problem.status,
                    detail: problem.detail,
                    code: problem.code,
                    error: problem.error,
                    running: state.running,
                    wizard_steps: state.wizard_steps,
                    failed_step,
                    request_id: None,
                })
            }
        }
    }
}

/// An asynchronous task (extension): its kind, status and, after a failure, its error.
#[utoipa::path(get, path = "/transactions/{id}", tag = "msteams", security(("bearer" = [])),
    params(TransactionSegments),
    responses(
        (status = 200, description = "The task", body = TransactionInfo),
        (status = 400, description = "The id is not an integer", body = Problem),
        Forbidden,
        (status = 404, description = "No such task in the caller's tree of authority", body = Problem),
    ))]
pub async fn transaction(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<TransactionSegments>,
) -> Result<Json<TransactionInfo>, AppError> {
    Ok(Json(state.wizard.transaction(&caller, id).await?))
}
