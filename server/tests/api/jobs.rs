//! The job runner on a real SQLite file with handlers made to misbehave: a stale claim
//! cannot move a job, an outcome that never records ends the job, a panicking step is
//! retried and then fails. Nothing stays leased or running forever.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::helpers::{enqueue_job, job_database};
use async_trait::async_trait;
use server::{
    domain::AppError,
    jobs::{Job, JobHandler, JobRunner, JobSignal, Outcome, RunnerSettings, store},
    store::Db,
};
use sqlx::SqliteConnection;

fn settings() -> RunnerSettings {
    RunnerSettings {
        concurrency: 2,
        lease: Duration::from_secs(2),
        poll: Duration::from_millis(20),
        max_attempts: 3,
        execute_timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
    }
}

/// Waits for the job to leave `ready`; returns its state, attempts, lease and the
/// transaction's status and detail.
async fn ended(db: &Db, id: i64) -> (String, Option<String>, String, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row: (String, Option<String>, String, Option<String>) = sqlx::query_as(
            "SELECT j.state, j.lease_owner, x.status, x.detail FROM jobs j JOIN transactions x ON x.id = j.id WHERE j.id = ?",
        )
        .bind(id)
        .fetch_one(&db.read)
        .await
        .unwrap();
        if row.0 != "ready" {
            return row;
        }
        assert!(Instant::now() < deadline, "job {id} never ended: {row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stale_claim_cannot_move_a_job_another_claim_holds() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "test").await;
    let first = store::claim(&db, "worker-a", 10, Duration::from_millis(1), &[])
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    tokio::time::sleep(Duration::from_millis(10)).await;
    // The lease ran out: another worker (or the same one) claims it again.
    let second = store::claim(&db, "worker-a", 10, Duration::from_secs(30), &[])
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_ne!(first[0].lease, second[0].lease);
    // A job in hand is not claimed again by its own worker.
    assert!(
        store::claim(&db, "worker-a", 10, Duration::from_secs(30), &[id])
            .await
            .unwrap()
            .is_empty()
    );

    let done = Outcome::Done { note: None };
    let mut tx = db.write.begin().await.unwrap();
    assert!(
        !store::settle(&mut tx, &first[0], &done, Duration::ZERO, Duration::ZERO)
            .await
            .unwrap()
    );
    assert!(
        store::settle(&mut tx, &second[0], &done, Duration::ZERO, Duration::ZERO)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let state: String = sqlx::query_scalar("SELECT status FROM transactions WHERE id = ?")
        .bind(id)
        .fetch_one(&db.read)
        .await
        .unwrap();
    assert_eq!(state, "succeeded");
}

/// Executes fine, but its outcome never records.
struct NeverRecords(Arc<AtomicUsize>);

#[async_trait]
impl JobHandler for NeverRecords {
    async fn execute(&self, _job: &Job) -> Outcome {
        self.0.fetch_add(1, Ordering::SeqCst);
        Outcome::Done { note: None }
    }

    async fn record(&self, _: &mut SqliteConnection, _: &Job, _: &Outcome) -> Result<(), AppError> {
        Err(AppError::Internal("the record always fails".into()))
    }
}

#[tokio::test]
async fn an_outcome_that_never_records_ends_the_job_failed() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "stubborn").await;
    let runs = Arc::new(AtomicUsize::new(0));
    JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("stubborn", Arc::new(NeverRecords(Arc::clone(&runs))))
        .spawn();
    let (state, lease, status, detail) = ended(&db, id).await;
    assert_eq!(
        (state.as_str(), lease, status.as_str()),
        ("failed", None, "failed")
    );
    assert!(detail.unwrap().contains("internal error"));
    assert_eq!(runs.load(Ordering::SeqCst), 3, "tried max_attempts times");
}

/// Panics on every execution.
struct Panics;

#[async_trait]
impl JobHandler for Panics {
    async fn execute(&self, _job: &Job) -> Outcome {
        panic!("a bug in a step");
    }

    async fn record(&self, _: &mut SqliteConnection, _: &Job, _: &Outcome) -> Result<(), AppError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_panicking_step_is_retried_then_the_job_fails() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "panics").await;
    JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("panics", Arc::new(Panics))
        .spawn();
    let (state, lease, status, detail) = ended(&db, id).await;
    assert_eq!(
        (state.as_str(), lease, status.as_str()),
        ("failed", None, "failed")
    );
    let detail = detail.unwrap();
    assert!(detail.contains("gave up after 3 attempts"), "{detail}");
    assert!(
        !detail.contains("a bug in a step"),
        "the panic text stays in the log: {detail}"
    );
}
