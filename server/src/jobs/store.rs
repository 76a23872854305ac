//! The `jobs` table: enqueue, claim with a lease, heartbeat, and settle.

use std::time::Duration;

use sqlx::{Row, SqliteConnection, sqlite::SqliteRow};

use super::{Job, JobState, Outcome};
use crate::store::{Db, now};

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
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, state, cursor, run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(kind)
    .bind(JobState::Ready)
    .bind(cursor)
    .bind(after(delay))
    .bind(now())
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `limit` due jobs for `owner`: ready, due, and not leased (or leased by a
/// worker whose lease ran out, which is how a crash is recovered), except `in_hand`
/// (the jobs this worker is executing). Each claim gets its own lease token, so a stale
/// holder can never move a job another claim holds. The claim counts as a try, so a
/// step that kills the process every time still runs out of tries.
pub async fn claim(
    db: &Db,
    owner: &str,
    limit: usize,
    lease: Duration,
    in_hand: &[i64],
) -> Result<Vec<Job>, sqlx::Error> {
    let now = epoch_ms();
    let rows = sqlx::query(
        "UPDATE jobs SET lease_owner = ?1 || '/' || lower(hex(randomblob(8))), lease_until = ?2,
                attempts = attempts + 1
         WHERE id IN (SELECT id FROM jobs WHERE state = ?6 AND run_at <= ?3
                        AND (lease_until IS NULL OR lease_until < ?3)
                        AND id NOT IN (SELECT value FROM json_each(?5))
                      ORDER BY run_at LIMIT ?4)
         RETURNING id, kind, cursor, memo, attempts, lease_owner",
    )
    .bind(owner)
    .bind(after(lease))
    .bind(now)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind(json(in_hand)?)
    .bind(JobState::Ready)
    .fetch_all(&db.write)
    .await?;
    Ok(rows.iter().map(job).collect())
}

fn json<T: serde::Serialize>(values: &[T]) -> Result<String, sqlx::Error> {
    serde_json::to_string(values).map_err(|error| sqlx::Error::Encode(Box::new(error)))
}

fn job(row: &SqliteRow) -> Job {
    Job {
        id: row.get("id"),
        kind: row.get("kind"),
        cursor: row.get("cursor"),
        memo: row.get("memo"),
        attempts: row.get("attempts"),
        lease: row.get("lease_owner"),
    }
}

/// When the next job falls due (or a lease runs out), in ms since the epoch.
pub async fn next_due(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MIN(MAX(run_at, COALESCE(lease_until, 0))) FROM jobs WHERE state = ?",
    )
    .bind(JobState::Ready)
    .fetch_one(&db.read)
    .await
}

/// Extends the leases held by `tokens` (each claim's own token). Returns the tokens
/// that still held their lease: the others were lost (taken over after a stall).
pub async fn heartbeat(
    db: &Db,
    tokens: &[String],
    lease: Duration,
) -> Result<Vec<String>, sqlx::Error> {
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "UPDATE jobs SET lease_until = ? WHERE state = ?
         AND lease_owner IN (SELECT value FROM json_each(?)) RETURNING lease_owner",
    )
    .bind(after(lease))
    .bind(JobState::Ready)
    .bind(json(tokens)?)
    .fetch_all(&db.write)
    .await
}

/// Gives back jobs this process holds but will not finish (it is shutting down): they
/// are due again at once for the next process, and the interrupted try does not count.
pub async fn release_unfinished(db: &Db, tokens: &[String]) -> Result<u64, sqlx::Error> {
    if tokens.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, attempts = MAX(attempts - 1, 0), updated_at = ?
         WHERE state = ? AND lease_owner IN (SELECT value FROM json_each(?))",
    )
    .bind(now())
    .bind(JobState::Ready)
    .bind(json(tokens)?)
    .execute(&db.write)
    .await?
    .rows_affected())
}

/// Moves the job as the outcome says and releases the lease, only if this claim still
/// holds it. Returns false when the lease was lost (another claim has the job). A retry
/// waits `backoff`, or what the far side asked (Retry-After) up to `backoff_max`.
pub async fn settle(
    conn: &mut SqliteConnection,
    job: &Job,
    outcome: &Outcome,
    backoff: Duration,
    backoff_max: Duration,
) -> Result<bool, sqlx::Error> {
    let to = JobMove::from_outcome(job, outcome, backoff, backoff_max);
    Ok(sqlx::query(
        "UPDATE jobs SET state = ?, cursor = ?, memo = ?, attempts = ?, run_at = ?, last_error = ?,
                lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND lease_owner = ?",
    )
    .bind(to.state)
    .bind(to.cursor)
    .bind(to.memo)
    .bind(to.attempts)
    .bind(to.run_at)
    .bind(to.error)
    .bind(now())
    .bind(job.id)
    .bind(&job.lease)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Where an outcome moves a job: the columns `settle` writes.
#[derive(Debug)]
struct JobMove {
    state: JobState,
    cursor: i64,
    memo: Option<String>,
    attempts: i64,
    /// When it is due next (ms since the epoch); for an ended job, when it ended.
    run_at: i64,
    /// `last_error`.
    error: Option<String>,
}

impl JobMove {
    /// The job unchanged and due now; each outcome states what it changes.
    fn staying(job: &Job) -> Self {
        JobMove {
            state: JobState::Ready,
            cursor: job.cursor,
            memo: job.memo.clone(),
            attempts: job.attempts,
            run_at: epoch_ms(),
            error: None,
        }
    }

    /// Where `outcome` moves `job`: `settle`'s rules, as columns.
    fn from_outcome(
        job: &Job,
        outcome: &Outcome,
        backoff: Duration,
        backoff_max: Duration,
    ) -> Self {
        let stay = JobMove::staying(job);
        match outcome {
            Outcome::Advance {
                cursor,
                after: delay,
                ..
            } => JobMove {
                cursor: *cursor,
                memo: None,
                attempts: 0,
                run_at: after(*delay),
                ..stay
            },
            // A wait is progress: the tries count again from zero.
            Outcome::Wait { after: delay, memo } => JobMove {
                memo: memo.clone(),
                attempts: 0,
                run_at: after(*delay),
                ..stay
            },
            Outcome::Done { .. } => JobMove {
                state: JobState::Done,
                memo: None,
                ..stay
            },
            // The try was counted when it was claimed.
            Outcome::Retry {
                error,
                after: delay,
            } => JobMove {
                run_at: after(delay.map_or(backoff, |delay| delay.min(backoff_max))),
                error: Some(error.clone()),
                ..stay
            },
            Outcome::Fail { error, .. } => JobMove {
                state: JobState::Failed,
                error: Some(error.clone()),
                ..stay
            },
        }
    }
}

/// The jobs by state, and how many ready ones are due now (for `/metrics`).
pub async fn counts(db: &Db) -> Result<(Vec<(String, i64)>, i64), sqlx::Error> {
    let by_state = sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
        .fetch_all(&db.read)
        .await?;
    let due = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = ? AND run_at <= ?")
        .bind(JobState::Ready)
        .bind(epoch_ms())
        .fetch_one(&db.read)
        .await?;
    Ok((by_state, due))
}

/// Whether this claim still holds its job (the job may have gone with a rewrite of the
/// whole state, or its lease to another claim).
pub async fn still_held(db: &Db, job: &Job) -> Result<bool, sqlx::Error> {
    let held = sqlx::query("SELECT 1 FROM jobs WHERE id = ? AND lease_owner = ?")
        .bind(job.id)
        .bind(&job.lease)
        .fetch_optional(&db.read)
        .await?;
    Ok(held.is_some())
}

/// Gives a job back after its outcome could not be recorded: it is tried again later
/// (the failed try was counted at its claim).
pub async fn release(db: &Db, job: &Job, delay: Duration, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ?,
                last_error = ?, updated_at = ?
         WHERE id = ? AND lease_owner = ?",
    )
    .bind(after(delay))
    .bind(error)
    .bind(now())
    .bind(job.id)
    .bind(&job.lease)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Ends a job whose outcome cannot be recorded at all: it fails with `error`, and its
/// handler's `reconcile` repairs what the job left behind.
pub async fn abandon(db: &Db, job: &Job, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?
         WHERE id = ? AND lease_owner = ?",
    )
    .bind(JobState::Failed)
    .bind(error)
    .bind(now())
    .bind(job.id)
    .bind(&job.lease)
    .execute(&db.write)
    .await?;
    Ok(())
}
