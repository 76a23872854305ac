//! The worker loop: claim due jobs up to the concurrency limit, execute each in its own
//! task, renew the leases of the jobs in hand, and settle each outcome.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::Semaphore;
use uuid::Uuid;

use super::{Job, JobHandler, JobSignal, Outcome, RunnerSettings, store};
use crate::store::Db;

pub struct JobRunner {
    db: Db,
    /// This process's name on the leases it takes.
    owner: String,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    settings: RunnerSettings,
    signal: JobSignal,
    /// Jobs this process is executing, with their lease tokens, which the heartbeat renews.
    in_hand: InHandMap,
}

type InHandMap = Arc<Mutex<BTreeMap<i64, String>>>;

/// Takes a job out of `in_hand` however its task ends, so that a job whose task died is
/// not kept leased forever by the heartbeat.
struct InHand {
    set: InHandMap,
    id: i64,
}

impl Drop for InHand {
    fn drop(&mut self) {
        if let Ok(mut set) = self.set.lock() {
            set.remove(&self.id);
        }
    }
}

impl JobRunner {
    pub fn new(db: Db, settings: RunnerSettings, signal: JobSignal) -> Self {
        JobRunner {
            db,
            owner: format!("worker-{}", Uuid::new_v4()),
            handlers: HashMap::new(),
            settings,
            signal,
            in_hand: Arc::default(),
        }
    }

    pub fn handle(mut self, kind: &'static str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    /// Runs the worker loop and its heartbeat until the process ends.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let runner = Arc::new(self);
        tokio::spawn(Arc::clone(&runner).heartbeat());
        tokio::spawn(runner.work())
    }

    async fn heartbeat(self: Arc<Self>) {
        let period = self.settings.lease / 3;
        loop {
            tokio::time::sleep(period).await;
            let tokens: Vec<String> = self
                .in_hand
                .lock()
                .map(|set| set.values().cloned().collect())
                .unwrap_or_default();
            if let Err(error) = store::heartbeat(&self.db, &tokens, self.settings.lease).await {
                tracing::warn!(%error, "job heartbeat failed");
            }
        }
    }

    async fn work(self: Arc<Self>) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        loop {
            let free = permits.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                let in_hand: Vec<i64> = self
                    .in_hand
                    .lock()
                    .map(|set| set.keys().copied().collect())
                    .unwrap_or_default();
                match store::claim(&self.db, &self.owner, free, self.settings.lease, &in_hand).await
                {
                    Ok(jobs) => jobs,
                    Err(error) => {
                        tracing::warn!(%error, "claiming jobs failed");
                        Vec::new()
                    }
                }
            };
            let full = free > 0 && claimed.len() == free;
            for job in claimed {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    return;
                };
                let guard = self.take(&job);
                let runner = Arc::clone(&self);
                tokio::spawn(async move {
                    runner.process(job).await;
                    drop(guard);
                    drop(permit);
                    runner.signal.wake();
                });
            }
            if full {
                continue; // More may be due right now.
            }
            let pause = self.pause(free == 0).await;
            tokio::select! {
                () = self.signal.woken() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    fn take(&self, job: &Job) -> InHand {
        if let Ok(mut set) = self.in_hand.lock() {
            set.insert(job.id, job.lease.clone());
        }
        InHand {
            set: Arc::clone(&self.in_hand),
            id: job.id,
        }
    }

    /// How long to sleep: until the next job falls due, at most one poll period.
    async fn pause(&self, busy: bool) -> Duration {
        if busy {
            return self.settings.poll;
        }
        match store::next_due(&self.db).await {
            Ok(Some(due)) => {
                let wait = u64::try_from(due - store::epoch_ms()).unwrap_or(0);
                Duration::from_millis(wait).min(self.settings.poll)
            }
            Ok(None) => self.settings.poll,
            Err(error) => {
                tracing::warn!(%error, "reading the next due job failed");
                self.settings.poll
            }
        }
    }

    async fn process(&self, job: Job) {
        let outcome = self.execute(&job).await;
        let outcome = match outcome {
            Outcome::Retry { error, .. } if job.attempts + 1 >= self.settings.max_attempts => {
                Outcome::Fail {
                    error: format!("{error} (gave up after {} attempts)", job.attempts + 1),
                    note: None,
                }
            }
            other => other,
        };
        let Err(error) = self.settle(&job, &outcome).await else {
            return;
        };
        tracing::error!(job = job.id, %error, "recording a job outcome failed");
        if job.attempts + 1 < self.settings.max_attempts {
            let delay = self.settings.backoff(job.attempts);
            if let Err(error) =
                store::release(&self.db, &job, delay, "recording the outcome failed").await
            {
                tracing::error!(job = job.id, %error, "releasing a job failed; its lease will run out");
            }
            return;
        }
        // It never records: end the run, through the handler if it can, else directly.
        let give_up = Outcome::Fail {
            error: "An internal error kept this task from recording its progress".into(),
            note: None,
        };
        if let Err(error) = self.settle(&job, &give_up).await {
            tracing::error!(job = job.id, %error, "recording the failure failed; abandoning the job");
            if let Err(error) =
                store::abandon(&self.db, &job, "An internal error ended this task").await
            {
                tracing::error!(job = job.id, %error, "abandoning a job failed; its lease will run out");
            }
        }
    }

    /// Runs the handler in a task of its own: a panic or an execution past the timeout
    /// is a failed try, not a job held forever.
    async fn execute(&self, job: &Job) -> Outcome {
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            return Outcome::Fail {
                error: format!("No handler for jobs of kind {}", job.kind),
                note: None,
            };
        };
        let task_job = job.clone();
        let mut task = tokio::spawn(async move { handler.execute(&task_job).await });
        match tokio::time::timeout(self.settings.execute_timeout, &mut task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(crashed)) => {
                tracing::error!(job = job.id, error = %crashed, "a job execution crashed");
                Outcome::Retry {
                    error: "An internal error interrupted this step".into(),
                    after: None,
                }
            }
            Err(_) => {
                task.abort();
                tracing::error!(job = job.id, "a job execution timed out");
                Outcome::Retry {
                    error: "This step took too long and was interrupted".into(),
                    after: None,
                }
            }
        }
    }

    async fn settle(&self, job: &Job, outcome: &Outcome) -> Result<(), crate::domain::AppError> {
        let mut tx = self.db.write.begin().await?;
        let backoff = self.settings.backoff(job.attempts);
        if !store::settle(&mut tx, job, outcome, backoff).await? {
            tracing::warn!(job = job.id, "lease lost; the outcome is dropped");
            return Ok(());
        }
        if let Some(handler) = self.handlers.get(job.kind.as_str()) {
            handler.record(&mut tx, job, outcome).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
