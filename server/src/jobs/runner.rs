//! The worker loop: claim due jobs up to the concurrency limit, execute each in its own
//! task, renew the leases of the jobs in hand (cancelling a step whose lease was lost),
//! settle each outcome, and on shutdown stop claiming, let running steps finish within
//! a deadline and give back the rest.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    sync::{Semaphore, watch},
    task::{AbortHandle, JoinHandle},
};
use uuid::Uuid;

use super::{
    Job, JobError, JobGate, JobHandler, JobSignal, Outcome, RunnerLiveness, RunnerSettings, store,
};
use crate::store::Db;

pub struct JobRunner {
    db: Db,
    /// This process's name on the leases it takes.
    owner: String,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    settings: RunnerSettings,
    signal: JobSignal,
    /// Jobs this process is executing, which the heartbeat renews.
    in_hand: InHandMap,
    stop: watch::Sender<bool>,
    /// Where the claim loop notes its turns, for readiness.
    liveness: RunnerLiveness,
    /// What a rewrite of the whole state (the mock controls) stops steps with.
    gate: JobGate,
}

/// A job in hand: its claim's lease token, and its execution task once started.
#[derive(Debug)]
struct Held {
    lease: String,
    execution: Option<AbortHandle>,
}

type InHandMap = Arc<Mutex<BTreeMap<i64, Held>>>;

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

/// Marks the runner stopped when its claim loop's task ends, whichever way.
struct Stopped(RunnerLiveness);

impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Controls a spawned runner.
pub struct RunnerHandle {
    runner: Arc<JobRunner>,
    /// The claim loop, which ends once told to stop.
    worker: JoinHandle<()>,
}

impl RunnerHandle {
    /// Stops claiming, waits up to `grace` for the steps in hand to finish, then
    /// cancels the rest and gives their jobs back (due at once, the try not counted).
    pub async fn shutdown(self, grace: Duration) {
        let runner = self.runner;
        // `send_replace`, not `send`: the value must change even when no one listens
        // yet (a shutdown right after `spawn`, before the claim loop has started).
        runner.stop.send_replace(true);
        // Not ready from now on: it takes no new work.
        runner.liveness.stop();
        let deadline = tokio::time::Instant::now() + grace;
        // The claim loop ends at its next turn; jobs it was claiming when told to stop
        // it gives back itself, so none is claimed behind this shutdown's back.
        let _ = tokio::time::timeout_at(deadline, self.worker).await;
        while !runner.held_tokens().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let unfinished: Vec<(String, Option<AbortHandle>)> = runner
            .in_hand
            .lock()
            .map(|set| {
                set.values()
                    .map(|held| (held.lease.clone(), held.execution.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (_, execution) in &unfinished {
            if let Some(execution) = execution {
                execution.abort();
            }
        }
        let tokens: Vec<String> = unfinished.into_iter().map(|(lease, _)| lease).collect();
        match store::release_unfinished(&runner.db, &tokens).await {
            Ok(0) => {}
            Ok(released) => tracing::info!(released, "gave back unfinished wizard steps"),
            Err(error) => {
                tracing::warn!(%error, "giving back unfinished jobs failed; their leases will run out")
            }
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
            stop: watch::channel(false).0,
            liveness: RunnerLiveness::default(),
            gate: JobGate::default(),
        }
    }

    /// Runs each step under `gate` (the application's, which the mock controls' reset
    /// takes exclusively).
    pub fn gated_by(mut self, gate: JobGate) -> Self {
        self.gate = gate;
        self
    }

    /// Notes the claim loop's turns in `liveness` (the application's, which readiness
    /// reads) rather than in one of its own.
    pub fn reporting_to(mut self, liveness: RunnerLiveness) -> Self {
        self.liveness = liveness;
        self
    }

    pub fn handle(mut self, kind: &'static str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    /// Repairs what jobs of an earlier process left behind, then runs the worker loop
    /// and its heartbeat until shut down.
    pub fn spawn(self) -> RunnerHandle {
        let runner = Arc::new(self);
        // Alive from now on; stale if the loop then goes a lease (at least two polls)
        // without a turn: by then another process would take its jobs anyway.
        let settings = &runner.settings;
        runner
            .liveness
            .start(settings.lease.max(settings.poll.saturating_mul(2)));
        tokio::spawn(Arc::clone(&runner).heartbeat());
        let worker = Arc::clone(&runner);
        let worker = tokio::spawn(async move {
            // However the loop ends (shutdown, or a panic), the runner is stopped.
            let _stopped = Stopped(worker.liveness.clone());
            worker.reconcile().await;
            worker.work().await;
        });
        RunnerHandle { runner, worker }
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    async fn reconcile(&self) {
        for (kind, handler) in &self.handlers {
            match handler.reconcile(&self.db).await {
                Ok(0) => {}
                Ok(fixed) => tracing::warn!(kind, fixed, "repaired runs left without a live job"),
                Err(error) => {
                    tracing::error!(kind, %error, "repairing runs left without a live job failed")
                }
            }
        }
    }

    fn held_tokens(&self) -> Vec<String> {
        self.in_hand
            .lock()
            .map(|set| set.values().map(|held| held.lease.clone()).collect())
            .unwrap_or_default()
    }

    async fn heartbeat(self: Arc<Self>) {
        let period = self.settings.lease / 3;
        loop {
            tokio::time::sleep(period).await;
            let tokens = self.held_tokens();
            if tokens.is_empty() && self.stopped() {
                return; // Shut down, and nothing left in hand to keep.
            }
            match store::heartbeat(&self.db, &tokens, self.settings.lease).await {
                Ok(renewed) => self.cancel_lost(&tokens, &renewed),
                Err(error) => tracing::warn!(%error, "job heartbeat failed"),
            }
        }
    }

    /// A lease that was not renewed belongs to another claim now (this process stalled
    /// past it): the step still running here is cancelled, so that two never run at once.
    fn cancel_lost(&self, sent: &[String], renewed: &[String]) {
        let Ok(set) = self.in_hand.lock() else {
            return;
        };
        for (id, held) in set.iter() {
            let lost = sent.contains(&held.lease) && !renewed.contains(&held.lease);
            if let (true, Some(execution)) = (lost, &held.execution)
                && !execution.is_finished()
            {
                tracing::warn!(job = id, "lease lost; cancelling the step");
                execution.abort();
            }
        }
    }

    async fn work(self: Arc<Self>) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut stop = self.stop.subscribe();
        while !self.stopped() {
            self.liveness.beat();
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
            if self.stopped() {
                // Told to stop while claiming: give these back untouched.
                let tokens: Vec<String> = claimed.into_iter().map(|job| job.lease).collect();
                if let Err(error) = store::release_unfinished(&self.db, &tokens).await {
                    tracing::warn!(%error, "giving back jobs claimed at shutdown failed; their leases will run out");
                }
                return;
            }
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
                _ = stop.changed() => {}
            }
        }
    }

    fn take(&self, job: &Job) -> InHand {
        if let Ok(mut set) = self.in_hand.lock() {
            set.insert(
                job.id,
                Held {
                    lease: job.lease.clone(),
                    execution: None,
                },
            );
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
        let _step = self.gate.step().await;
        // The state may have been rewritten while this step waited for the gate.
        match store::still_held(&self.db, &job).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(job = job.id, %error, "checking a claim failed; the lease will run out");
                return;
            }
        }
        let max = self.settings.max_attempts;
        let outcome = if job.attempts > max {
            // Claimed again and again without an outcome (e.g. the step kills the
            // process): a poison job ends here instead of running once more.
            Outcome::Fail {
                error: format!(
                    "This step was interrupted {} times without finishing; the run is stopped",
                    job.attempts - 1
                ),
                note: None,
            }
        } else {
            match self.execute(&job).await {
                // Cancelled: the lease went to another claim, or this process is
                // shutting down and gives the job back. Either way, nothing to record.
                None => return,
                Some(Outcome::Retry { error, .. }) if job.attempts >= max => Outcome::Fail {
                    error: format!("{error} (gave up after {} attempts)", job.attempts),
                    note: None,
                },
                Some(other) => other,
            }
        };
        let Err(error) = self.settle(&job, &outcome).await else {
            return;
        };
        tracing::error!(job = job.id, %error, "recording a job outcome failed");
        if job.attempts < max {
            let delay = self.settings.backoff(job.attempts);
            if let Err(error) =
                store::release(&self.db, &job, delay, "recording the outcome failed").await
            {
                tracing::error!(job = job.id, %error, "releasing a job failed; its lease will run out");
            }
            return;
        }
        // It never records: end the run, through the handler if it can, else directly
        // and then let the handler repair what it left (e.g. a tenant still `onboarding`).
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
            self.reconcile().await;
        }
    }

    /// Runs the handler in a task of its own: a panic or an execution past the timeout
    /// is a failed try, not a job held forever. `None` when it was cancelled (a lost
    /// lease, or shutdown).
    async fn execute(&self, job: &Job) -> Option<Outcome> {
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            return Some(Outcome::Fail {
                error: format!("No handler for jobs of kind {}", job.kind),
                note: None,
            });
        };
        let task_job = job.clone();
        let mut cancelled = self.gate.cancelled();
        let mut task = tokio::spawn(async move { handler.execute(&task_job).await });
        if let Ok(mut set) = self.in_hand.lock()
            && let Some(held) = set.get_mut(&job.id)
        {
            held.execution = Some(task.abort_handle());
        }
        let finished = tokio::select! {
            finished = tokio::time::timeout(self.settings.execute_timeout, &mut task) => finished,
            _ = cancelled.changed() => {
                // The whole state is being rewritten: the step stops where it is.
                task.abort();
                return None;
            }
        };
        Some(match finished {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(ended)) if ended.is_cancelled() => return None,
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
        })
    }

    async fn settle(&self, job: &Job, outcome: &Outcome) -> Result<(), JobError> {
        let mut tx = self.db.begin_write().await?;
        let backoff = self.settings.backoff(job.attempts);
        if !store::settle(&mut tx, job, outcome, backoff, self.settings.backoff_max).await? {
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
