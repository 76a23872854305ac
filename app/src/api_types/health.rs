//! `GET /livez` and `GET /readyz` (extension): whether the process serves requests, and
//! whether it can do its work (database, migrations, job runner).

use serde::{Deserialize, Serialize};

/// `GET /livez`: the process serves requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"status": "ok"})))]
pub struct Liveness {
    pub status: LiveStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LiveStatus {
    Ok,
}

/// `GET /readyz` when every check passes (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "jobRunner": "ok"}
    }))
)]
pub struct Readiness {
    pub status: ReadyStatus,
    pub checks: ReadinessChecks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReadyStatus {
    Ready,
}

/// What each readiness check found: `ok`, or a short word for what failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"database": "ok", "migrations": "ok", "jobRunner": "ok"}))
)]
pub struct ReadinessChecks {
    pub database: DatabaseCheck,
    pub migrations: MigrationsCheck,
    pub job_runner: JobRunnerCheck,
}

impl ReadinessChecks {
    /// The names (as in the body) of the checks that failed.
    pub fn failing(&self) -> Vec<&'static str> {
        [
            ("database", self.database == DatabaseCheck::Ok),
            ("migrations", self.migrations == MigrationsCheck::Ok),
            ("jobRunner", self.job_runner == JobRunnerCheck::Ok),
        ]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name)
        .collect()
    }
}

/// The database: it answered a query in time (`ok`), did not answer within the
/// check's timeout (`timeout`), or answered with an error (`error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DatabaseCheck {
    Ok,
    Timeout,
    Error,
}

/// The migrations: every one this server embeds is applied (`ok`), one is not
/// (`missing`), or they could not be read because the database did not answer
/// (`unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MigrationsCheck {
    Ok,
    Missing,
    Unknown,
}

/// The job runner (the wizard's steps): its loop turns (`ok`), has not turned for longer
/// than a job lease (`stale`), or it is not running: never started, shutting down, or
/// ended (`stopped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobRunnerCheck {
    Ok,
    Stale,
    Stopped,
}

/// `GET /readyz` when a check fails (503): a problem+json body (`not_ready`) naming the
/// failing checks in `detail`, with every check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "type": "/problems/not_ready",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "Not ready: jobRunner",
        "code": "not_ready",
        "error": "Not ready: jobRunner",
        "checks": {"database": "ok", "migrations": "ok", "jobRunner": "stale"}
    }))
)]
pub struct NotReady {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// `not_ready`.
    pub code: String,
    /// The message again, as on every problem.
    pub error: String,
    pub checks: ReadinessChecks,
    /// Extension: the request's id (its `X-Request-Id`).
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 64))]
    pub request_id: Option<String>,
}
