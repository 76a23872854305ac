//! The job runner on a database of its own: jobs enqueued by hand, their rows read back,
//! and waiting for what the runner does in the background.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use server::store::Db;
use tempfile::TempDir;

/// A database on a temporary file with nothing seeded, for the runner's own tests.
pub async fn job_database() -> (Db, TempDir) {
    super::logs();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    (Db::connect(&url).await.unwrap(), dir)
}

/// A job of `kind` due now, with its running transaction; its id.
pub async fn enqueue_job(db: &Db, kind: &str) -> i64 {
    let mut tx = db.begin_write().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO transactions (kind, status, created_at, updated_at) VALUES (?, 'running', datetime(), datetime()) RETURNING id",
    )
    .bind(kind)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    server::jobs::store::enqueue(&mut tx, id, kind, 0, Duration::ZERO)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A job row: state, cursor, attempts, lease owner, last error.
pub async fn job_row(db: &Db, id: i64) -> (String, i64, i64, Option<String>, Option<String>) {
    sqlx::query_as("SELECT state, cursor, attempts, lease_owner, last_error FROM jobs WHERE id = ?")
        .bind(id)
        .fetch_one(&db.read)
        .await
        .unwrap()
}

/// A transaction's status and detail.
pub async fn transaction_row(db: &Db, id: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, detail FROM transactions WHERE id = ?")
        .bind(id)
        .fetch_one(&db.read)
        .await
        .unwrap()
}

/// Waits (20 s at most) until `check` holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
