//! `GET /livez` and `GET /readyz` (extension): probes for an orchestrator or a load
//! balancer, beside the API like `/metrics`, without authentication. Each costs at most
//! one small query (`/readyz`'s, on the read pool, bounded by a timeout) and a few
//! atomic reads; they write nothing, and log only a failing query (with its cause, which
//! the body does not carry) beside the edge's line for every 5xx.

use std::{collections::BTreeSet, time::Duration};

use app::api_types::{
    DatabaseCheck, JobRunnerCheck, LiveStatus, Liveness, MigrationsCheck, NotReady, Problem,
    Readiness, ReadinessChecks, ReadyStatus,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::problem::CONTENT_TYPE;
use crate::{
    jobs::{RunnerLiveness, RunnerState},
    state::AppState,
    store::{Db, MIGRATOR},
};

/// How long `/readyz` waits for the database (a probe's own timeout is often 1 to 5 s).
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// `/livez` and `/readyz`, beside the API rather than under it.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(livez))
        .routes(routes!(readyz))
}

/// Liveness: the process serves requests (nothing else is checked, so a database
/// outage does not get the process restarted).
#[utoipa::path(get, path = "/livez", tag = "system",
    responses(
        (status = 200, description = "The process serves requests", body = Liveness,
            example = json!({"status": "ok"})),
    ))]
pub async fn livez() -> Json<Liveness> {
    Json(Liveness {
        status: LiveStatus::Ok,
    })
}

/// Readiness: the database answers a query within 2 s, every migration this server
/// embeds is applied, and the job runner's loop turns. Otherwise 503, naming the
/// failing checks, with every check's result in `checks`.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses(
        (status = 200, description = "Ready: every check passed", body = Readiness,
            example = json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok", "jobRunner": "ok"}})),
        (status = 503, description = "Not ready: a check failed (`not_ready`), or the request took longer than the server allows (the request deadline)", body = NotReady,
            example = json!({"type": "/problems/not_ready", "title": "Service Unavailable", "status": 503,
                "detail": "Not ready: jobRunner", "code": "not_ready", "error": "Not ready: jobRunner",
                "checks": {"database": "ok", "migrations": "ok", "jobRunner": "stale"}})),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let (database, migrations) = database_checks(&state.db).await;
    let checks = ReadinessChecks {
        database,
        migrations,
        job_runner: runner_check(&state.runner_liveness),
    };
    let failing = checks.failing();
    if failing.is_empty() {
        return Json(Readiness {
            status: ReadyStatus::Ready,
            checks,
        })
        .into_response();
    }
    let status = StatusCode::SERVICE_UNAVAILABLE;
    let problem = Problem::new(
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        "not_ready",
        format!("Not ready: {}", failing.join(", ")),
    );
    let body = NotReady {
        problem_type: problem.problem_type,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        code: problem.code,
        error: problem.error,
        checks,
        request_id: None,
    };
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// One query answers both: the database is up when it returns in time, and the
/// migrations are applied when it lists every version the binary embeds.
async fn database_checks(db: &Db) -> (DatabaseCheck, MigrationsCheck) {
    let applied =
        sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&db.read);
    let applied: BTreeSet<i64> = match tokio::time::timeout(DATABASE_TIMEOUT, applied).await {
        Ok(Ok(versions)) => versions.into_iter().collect(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database query failed");
            return (DatabaseCheck::Error, MigrationsCheck::Unknown);
        }
        Err(_) => return (DatabaseCheck::Timeout, MigrationsCheck::Unknown),
    };
    let all_applied = MIGRATOR
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .all(|migration| applied.contains(&migration.version));
    let migrations = if all_applied {
        MigrationsCheck::Ok
    } else {
        MigrationsCheck::Missing
    };
    (DatabaseCheck::Ok, migrations)
}

fn runner_check(liveness: &RunnerLiveness) -> JobRunnerCheck {
    match liveness.state() {
        RunnerState::Alive => JobRunnerCheck::Ok,
        RunnerState::Stale => JobRunnerCheck::Stale,
        RunnerState::Stopped => JobRunnerCheck::Stopped,
    }
}
