//! The durable job runner: asynchronous tasks (the onboarding wizard) stored in the
//! `jobs` table, claimed by workers with a lease a heartbeat renews, and moved on only by
//! the lease holder, in the same transaction as the effects of the work it did. See
//! ARCHITECTURE.md for why this is our own and not apalis.

mod runner;
pub mod store;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use sqlx::SqliteConnection;
use tokio::sync::Notify;

pub use runner::{JobRunner, RunnerHandle};
pub use store::{enqueue, epoch_ms};

use crate::store::Db;

/// What a handler's `record` or `reconcile` can fail with: the runner does not look
/// inside, it logs it and retries, releases or abandons the job.
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// Where a job stands, as `jobs.state` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum JobState {
    /// Due at `run_at` (or leased and running).
    Ready,
    Done,
    Failed,
}

/// A claimed job, as its handler sees it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Also the transaction id.
    pub id: i64,
    pub kind: String,
    /// Where the handler is; its meaning is the handler's (the wizard: the step).
    pub cursor: i64,
    /// What the handler remembers across waits at this cursor (JSON).
    pub memo: Option<String>,
    /// Tries at this cursor so far, this one included (a try counts when it is claimed).
    pub attempts: i64,
    /// This claim's lease token: only its holder may move the job on.
    pub lease: String,
}

/// What one execution of a job's current cursor came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Move on to `cursor`, after `after`.
    Advance {
        cursor: i64,
        after: Duration,
        note: Option<String>,
    },
    /// Not yet (e.g. DNS still propagating): come back to this cursor after `after`.
    Wait {
        after: Duration,
        memo: Option<String>,
    },
    /// Finished.
    Done { note: Option<String> },
    /// A transient fault: try this cursor again, after `after` if the far side said so
    /// (Retry-After), else after the runner's backoff.
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// A permanent fault: the job ends with this error.
    Fail { error: String, note: Option<String> },
}

/// The work of one kind of job.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Does the work at the job's cursor. It may call out (Microsoft) but writes nothing
    /// of Fusion's own: the outcome is recorded by `record`.
    async fn execute(&self, job: &Job) -> Outcome;

    /// Writes the outcome's effects on Fusion data inside the transaction that also
    /// moves the job, so the two land together or not at all.
    async fn record(
        &self,
        tx: &mut SqliteConnection,
        job: &Job,
        outcome: &Outcome,
    ) -> Result<(), JobError>;

    /// Repairs what this kind's jobs left behind when they ended without recording an
    /// outcome (at start, and after the runner abandoned a job). Returns what it fixed.
    async fn reconcile(&self, _db: &Db) -> Result<u64, JobError> {
        Ok(0)
    }
}

/// How the runner paces itself.
#[derive(Clone, Debug)]
pub struct RunnerSettings {
    /// Jobs executed at once by this process.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat; a crashed worker's jobs are claimed
    /// again this long after its last heartbeat.
    pub lease: Duration,
    /// The longest the runner sleeps before looking for due jobs again.
    pub poll: Duration,
    /// Tries of one cursor before a transient fault becomes the job's failure.
    pub max_attempts: i64,
    /// The longest one execution may take; beyond it, it counts as a failed try.
    pub execute_timeout: Duration,
    /// The first retry delay; it doubles per attempt up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl RunnerSettings {
    /// The wait after the `attempts`-th try failed (1 for the first try).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exponent = u32::try_from((attempts - 1).clamp(0, 16)).unwrap_or(16);
        self.backoff_base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.backoff_max)
    }
}

/// Lets the whole state be rewritten under the runner (the mock controls' reset): every
/// job step runs holding a shared guard, and `exclusive` first cancels the steps running
/// (each task is aborted) and then waits for the guards to go, so nothing a step does
/// lands after the rewrite. A step claimed meanwhile checks its lease is still held.
#[derive(Clone, Debug)]
pub struct JobGate {
    lock: Arc<tokio::sync::RwLock<()>>,
    cancel: tokio::sync::watch::Sender<u64>,
}

impl Default for JobGate {
    fn default() -> Self {
        JobGate {
            lock: Arc::default(),
            cancel: tokio::sync::watch::channel(0).0,
        }
    }
}

impl JobGate {
    /// Held while a step executes and records its outcome.
    pub(crate) async fn step(&self) -> tokio::sync::OwnedRwLockReadGuard<()> {
        self.lock.clone().read_owned().await
    }

    /// Resolves when `exclusive` asks the running steps to stop.
    pub(crate) fn cancelled(&self) -> tokio::sync::watch::Receiver<u64> {
        self.cancel.subscribe()
    }

    /// Cancels the running steps and holds every step off until the guard drops.
    pub async fn exclusive(&self) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        self.cancel.send_modify(|round| *round += 1);
        self.lock.clone().write_owned().await
    }
}

/// Wakes the runner when a job is enqueued, so it need not wait for its next poll.
#[derive(Clone, Debug, Default)]
pub struct JobSignal(Arc<Notify>);

impl JobSignal {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.notified().await;
    }
}

/// Whether the runner's claim loop still turns, for readiness (`GET /readyz`): the loop
/// notes every turn here, and a runner never started, stopping or stopped, or whose loop
/// has not turned within its bound, is not alive. Only atomics: reading it costs nothing.
#[derive(Clone, Debug)]
pub struct RunnerLiveness(Arc<Pulse>);

#[derive(Debug)]
struct Pulse {
    origin: Instant,
    /// Milliseconds from `origin` to the loop's last turn, plus one; `NOT_RUNNING` before
    /// the runner starts and once it is told to stop (or its loop ended).
    beat: AtomicU64,
    /// How long (ms) the loop may go without a turn before the runner counts as stalled.
    bound: AtomicU64,
}

const NOT_RUNNING: u64 = 0;

/// What `RunnerLiveness` says of the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunnerState {
    Alive,
    /// Its loop has not turned within the bound (stuck, e.g. waiting on the database).
    Stale,
    /// Never started, shutting down, or its loop ended.
    Stopped,
}

impl Default for RunnerLiveness {
    fn default() -> Self {
        RunnerLiveness(Arc::new(Pulse {
            origin: Instant::now(),
            beat: AtomicU64::new(NOT_RUNNING),
            bound: AtomicU64::new(0),
        }))
    }
}

impl RunnerLiveness {
    pub fn state(&self) -> RunnerState {
        let beat = self.0.beat.load(Ordering::Relaxed);
        if beat == NOT_RUNNING {
            return RunnerState::Stopped;
        }
        let since = self.now().saturating_sub(beat);
        if since > self.0.bound.load(Ordering::Relaxed) {
            RunnerState::Stale
        } else {
            RunnerState::Alive
        }
    }

    /// The runner starts: alive now, stale once its loop goes `bound` without a turn.
    pub(crate) fn start(&self, bound: Duration) {
        let bound = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
        self.0.bound.store(bound, Ordering::Relaxed);
        self.0.beat.store(self.now(), Ordering::Relaxed);
    }

    /// One turn of the claim loop; none once told to stop, so that a last turn cannot
    /// make a stopping runner look alive again.
    pub(crate) fn beat(&self) {
        let now = self.now();
        let _ = self
            .0
            .beat
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |beat| {
                (beat != NOT_RUNNING).then_some(now)
            });
    }

    pub(crate) fn stop(&self) {
        self.0.beat.store(NOT_RUNNING, Ordering::Relaxed);
    }

    /// Milliseconds since `origin`, plus one (never `NOT_RUNNING`).
    fn now(&self) -> u64 {
        u64::try_from(self.0.origin.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }
}
