//! The job runner on a real SQLite file with handlers made to misbehave: a stale claim
//! cannot move a job, an outcome that never records ends the job, a panicking step is
//! retried and then fails. Nothing stays leased or running forever.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use server::{
    jobs::{Job, JobError, JobHandler, JobRunner, JobSignal, Outcome, RunnerSettings, store},
    store::Db,
};
use sqlx::SqliteConnection;

use crate::helpers::jobs::{enqueue_job, eventually, job_database, job_row};

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

/// Executes fine, but its outcome never records.
struct NeverRecords(Arc<AtomicUsize>);

#[async_trait]
impl JobHandler for NeverRecords {
    async fn execute(&self, _job: &Job) -> Outcome {
        self.0.fetch_add(1, Ordering::SeqCst);
        Outcome::Done { note: None }
    }

    async fn record(&self, _: &mut SqliteConnection, _: &Job, _: &Outcome) -> Result<(), JobError> {
        Err("the record always fails".into())
    }
}

/// Panics on every execution.
struct Panics;

#[async_trait]
impl JobHandler for Panics {
    async fn execute(&self, _job: &Job) -> Outcome {
        panic!("a bug in a step");
    }

    async fn record(&self, _: &mut SqliteConnection, _: &Job, _: &Outcome) -> Result<(), JobError> {
        Ok(())
    }
}

/// Waits for the job to leave `ready`; returns its state, lease and last error. (The
/// runner moves only the job: a transaction is its handler's, e.g. the wizard's.)
async fn ended(db: &Db, id: i64) -> (String, Option<String>, Option<String>) {
    eventually(&format!("job {id} to end"), || async {
        job_row(db, id).await.0 != "ready"
    })
    .await;
    let (state, _, _, lease, error) = job_row(db, id).await;
    (state, lease, error)
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
    assert_eq!(job_row(&db, id).await.0, "done");
}

#[tokio::test]
async fn an_outcome_that_never_records_ends_the_job_failed() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "stubborn").await;
    let runs = Arc::new(AtomicUsize::new(0));
    JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("stubborn", Arc::new(NeverRecords(Arc::clone(&runs))))
        .spawn();
    let (state, lease, error) = ended(&db, id).await;
    assert_eq!((state.as_str(), lease), ("failed", None));
    assert!(error.unwrap().contains("internal error"));
    assert_eq!(runs.load(Ordering::SeqCst), 3, "tried max_attempts times");
}

#[tokio::test]
async fn a_panicking_step_is_retried_then_the_job_fails() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "panics").await;
    JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("panics", Arc::new(Panics))
        .spawn();
    let (state, lease, error) = ended(&db, id).await;
    assert_eq!((state.as_str(), lease), ("failed", None));
    let detail = error.unwrap();
    assert!(detail.contains("gave up after 3 attempts"), "{detail}");
    assert!(
        !detail.contains("a bug in a step"),
        "the panic text stays in the log: {detail}"
    );
}
