//! `GET /metrics` (extension): the server's counters in the Prometheus text format, for
//! group admins (a scraper signs in with a bearer token like any client).

use app::api_types::{AdminLevel, Problem};
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Authenticated;
use crate::{domain::AppError, metrics::JobCounts, state::AppState};

/// `/metrics`, beside the API rather than under it.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Counters: answers by method, route template and status, with latency histograms;
/// sign-in failures and throttling; wizard jobs by state and the queue's depth;
/// anonymous refusals by status (they are not audited), audit rows trimmed.
#[utoipa::path(get, path = "/metrics", tag = "system", security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4",
            example = "fusion_anonymous_refusals_total{status=\"401\"} 3\n"),
        (status = 403, description = "Only group admins read the metrics", body = Problem),
    ))]
pub async fn metrics(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response, AppError> {
    if caller.level != AdminLevel::Group {
        return Err(AppError::Forbidden(
            "Only group admins may read the server's metrics".into(),
        ));
    }
    let (by_state, due) = crate::jobs::store::counts(&state.db).await?;
    let jobs = JobCounts { by_state, due };
    let mut response = state.metrics.render(&jobs).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
