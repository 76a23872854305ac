//! The `jobs` table: enqueue, claim with a lease, heartbeat, and settle.

use std::time::Duration;

use sqlx::{Row, SqliteConnection, sqlite::SqliteRow};

use super::{Job, Outcome};
use crate::{
    domain::AppError,
    store::{Db, now},
};

/// Milliseconds since the Unix epoch: how `run_at` and `lease_until` are kept.
pub fn epoch_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn after(delay: Duration) -> i64 {
    epoch_ms().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
}

/// Adds a job for the transaction `id`, due after `delay`. Part of the caller's
/// transaction, so a start and its job land together.
pub async fn enqueue(
    conn: &mut SqliteConnection,
    id: i64,
    kind: &str,
    cursor: i64,
    delay: Duration,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, state, cursor, run_at, created_at, updated_at) VALUES (?, ?, 'ready', ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(kind)
    .bind(cursor)
    .bind(after(delay))
    .bind(now())
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `limit` due jobs for `owner`: ready, due, and not leased (or leased by a
/// worker whose lease ran out, which is how a crash is recovered).
pub async fn claim(
    db: &Db,
    owner: &str,
    limit: usize,
    lease: Duration,
) -> Result<Vec<Job>, AppError> {
    let now = epoch_ms();
    let rows = sqlx::query(
        "UPDATE jobs SET lease_owner = ?1, lease_until = ?2
         WHERE id IN (SELECT id FROM jobs WHERE state = 'ready' AND run_at <= ?3
                        AND (lease_until IS NULL OR lease_until < ?3)
                      ORDER BY run_at LIMIT ?4)
         RETURNING id, kind, cursor, memo, attempts",
    )
    .bind(owner)
    .bind(after(lease))
    .bind(now)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&db.write)
    .await?;
    Ok(rows.iter().map(job).collect())
}

fn job(row: &SqliteRow) -> Job {
    Job {
        id: row.get("id"),
        kind: row.get("kind"),
        cursor: row.get("cursor"),
        memo: row.get("memo"),
        attempts: row.get("attempts"),
    }
}

/// When the next job falls due (or a lease runs out), in ms since the epoch.
pub async fn next_due(db: &Db) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(MAX(run_at, COALESCE(lease_until, 0))) FROM jobs WHERE state = 'ready'",
    )
    .fetch_one(&db.read)
    .await?)
}

/// Extends the leases `owner` holds on `ids`.
pub async fn heartbeat(db: &Db, owner: &str, ids: &[i64], lease: Duration) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(ids).map_err(|e| AppError::Internal(e.to_string()))?;
    sqlx::query(
        "UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND state = 'ready'
         AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(after(lease))
    .bind(owner)
    .bind(ids)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Moves the job as the outcome says and releases the lease, only if `owner` still
/// holds it. Returns false when the lease was lost (another worker has the job).
pub async fn settle(
    conn: &mut SqliteConnection,
    job: &Job,
    owner: &str,
    outcome: &Outcome,
    backoff: Duration,
) -> Result<bool, AppError> {
    let (state, cursor, memo, attempts, run_at, error) = match outcome {
        Outcome::Advance {
            cursor,
            after: delay,
            ..
        } => ("ready", *cursor, None, 0, after(*delay), None),
        Outcome::Wait { after: delay, memo } => (
            "ready",
            job.cursor,
            memo.clone(),
            job.attempts,
            after(*delay),
            None,
        ),
        Outcome::Done { .. } => ("done", job.cursor, None, job.attempts, epoch_ms(), None),
        Outcome::Retry {
            error,
            after: delay,
        } => (
            "ready",
            job.cursor,
            job.memo.clone(),
            job.attempts + 1,
            after(delay.unwrap_or(backoff)),
            Some(error.clone()),
        ),
        Outcome::Fail { error, .. } => (
            "failed",
            job.cursor,
            job.memo.clone(),
            job.attempts,
            epoch_ms(),
            Some(error.clone()),
        ),
    };
    let moved = sqlx::query(
        "UPDATE jobs SET state = ?, cursor = ?, memo = ?, attempts = ?, run_at = ?, last_error = ?,
                lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND lease_owner = ?",
    )
    .bind(state)
    .bind(cursor)
    .bind(memo)
    .bind(attempts)
    .bind(run_at)
    .bind(&error)
    .bind(now())
    .bind(job.id)
    .bind(owner)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if moved {
        let status = match state {
            "done" => "succeeded",
            "failed" => "failed",
            _ => "running",
        };
        sqlx::query("UPDATE transactions SET status = ?, detail = ?, updated_at = ? WHERE id = ?")
            .bind(status)
            .bind(&error)
            .bind(now())
            .bind(job.id)
            .execute(conn)
            .await?;
    }
    Ok(moved)
}

/// Gives a job back after its outcome could not be recorded: it is tried again later.
pub async fn release(db: &Db, job: &Job, owner: &str, delay: Duration) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ? WHERE id = ? AND lease_owner = ?",
    )
    .bind(after(delay))
    .bind(job.id)
    .bind(owner)
    .execute(&db.write)
    .await?;
    Ok(())
}
