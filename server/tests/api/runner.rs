//! The job runner's hardening, in-process on a real SQLite file: a step that kills its
//! process every time is given up after its tries (and the wizard's tenant ends `failed`,
//! never stuck `onboarding`), runs an earlier process left behind are repaired at start,
//! Retry-After is capped, a lost lease cancels the running step, and a shutdown settles
//! what finishes within its grace and gives the rest back.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::helpers::{
    GLOBEX_LAB, GLOBEX_TEAMS, TENANT_GLOBEX, TestApp, UMBRELLA_TEAMS,
    jobs::{enqueue_job, eventually, job_database, job_row, transaction_row},
    leptos_options,
};
use async_trait::async_trait;
use axum::http::StatusCode;
use server::{
    config::Config,
    crypto::SecretBox,
    domain::{
        wizard::WIZARD_JOB,
        wizard_steps::{DnsCheckLoop, MicrosoftServices, WizardSteps},
    },
    jobs::{
        Job, JobError, JobHandler, JobRunner, JobSignal, Outcome, RunnerSettings, epoch_ms, store,
    },
    state::AppState,
    store::Db,
};
use sqlx::SqliteConnection as Connection;
use tokio::sync::Notify;

// ---------------------------------------------------------------------------------------
// The wizard, through the real router, with the runner under the test's control.

/// The real router and state on a temporary database with the demo data, the key that
/// sealed its secrets, and no job runner: each test decides who claims jobs.
struct Harness {
    app: TestApp,
    config: Config,
    secrets: SecretBox,
    url: String,
}

impl Harness {
    /// `start`, and a demo administrator signed in: its bearer token.
    async fn signed_in(username: &str) -> (Self, String) {
        let harness = Self::start().await;
        let token = harness.app.login(username).await;
        (harness, token)
    }

    async fn start() -> Self {
        crate::helpers::logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("fusion.db").display());
        let mut config = crate::helpers::config(url.clone());
        config.job_lease_ms = 300;
        let secrets = SecretBox::random();
        let server = Self::start_on(&url, &config, &secrets).await;
        // This process claims nothing until a test says so.
        server.runner.shutdown(Duration::ZERO).await;
        Harness {
            app: TestApp::serving(server.state, dir, secrets.clone()),
            config,
            secrets,
            url,
        }
    }

    async fn start_on(url: &str, config: &Config, secrets: &SecretBox) -> server::Server {
        let db = Db::connect(url).await.expect("database");
        server::start_with(config, leptos_options(), db, secrets.clone())
            .await
            .expect("start")
    }

    /// A second start on the same database file, as a restarted process does: a new
    /// connection, the demo seed again, and a job runner (its reconciler first).
    async fn restart(&self) -> TestApp {
        let server = Self::start_on(&self.url, &self.config, &self.secrets).await;
        // The files stay in the first harness's folder.
        let dir = tempfile::tempdir().expect("temp dir");
        TestApp::serving(server.state, dir, self.secrets.clone())
    }

    /// The wizard's real steps, on `state`'s database and simulator.
    fn wizard_steps(&self, state: &AppState) -> WizardSteps {
        let microsoft = Arc::new(state.microsoft.clone());
        WizardSteps::new(
            state.db.clone(),
            self.secrets.clone(),
            MicrosoftServices {
                graph: microsoft.clone(),
                dns: microsoft.clone(),
                teams: microsoft,
            },
            DnsCheckLoop {
                interval: Duration::from_millis(50),
                limit: 6,
            },
        )
    }
}

/// How long the tests here give a wizard run.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// Waits for Globex Teams' run to end, failed at step 2; the problem.
async fn failed_at_step_2(app: &TestApp, token: &str) -> serde_json::Value {
    let failed = app
        .wizard_ended_within(token, GLOBEX_TEAMS, RUN_LIMIT)
        .await;
    let problem = failed.assert_problem(400, "wizard_failed");
    assert_eq!(problem["failedStep"], 2, "{problem}");
    problem
}

/// How many calls of `operation` the simulated MS tenant's journal shows.
async fn journal_count(app: &TestApp, token: &str, ms_tenant: &str, operation: &str) -> usize {
    app.sim_journal(token, ms_tenant)
        .await
        .iter()
        .filter(|entry| entry["operation"] == operation)
        .count()
}

/// The tenant row of a subscription: status, current step, error, run id.
async fn tenant_row(db: &Db, subscription: i64) -> (String, Option<i64>, Option<String>, i64) {
    sqlx::query_as(
        "SELECT status, current_step, wizard_error, wizard_transaction_id FROM msteams_tenants
         WHERE owner_subscription_id = ?",
    )
    .bind(subscription)
    .fetch_one(&db.read)
    .await
    .unwrap()
}

/// The wizard's real steps, with one thing going wrong at step `at`.
struct Sabotaged {
    inner: WizardSteps,
    at: i64,
    sabotage: Sabotage,
}

enum Sabotage {
    /// The process dies while executing the step: it never returns (`reached` is told),
    /// and the test then drops the whole runtime it runs on.
    Dies { reached: Arc<Notify> },
    /// Nothing of the step can ever be recorded.
    CannotRecord,
}

#[async_trait]
impl JobHandler for Sabotaged {
    async fn execute(&self, job: &Job) -> Outcome {
        if let Sabotage::Dies { reached } = &self.sabotage
            && job.cursor == self.at
        {
            reached.notify_one();
            std::future::pending::<()>().await;
        }
        self.inner.execute(job).await
    }

    async fn record(&self, tx: &mut Connection, job: &Job, done: &Outcome) -> Result<(), JobError> {
        if let Sabotage::CannotRecord = self.sabotage
            && job.cursor == self.at
        {
            return Err("the disk said no".into());
        }
        self.inner.record(tx, job, done).await
    }

    async fn reconcile(&self, db: &Db) -> Result<u64, JobError> {
        self.inner.reconcile(db).await
    }
}

/// One life of a server process: on a runtime of its own, with its own connections and
/// the wizard's runner, until it reaches step `crash_at`; then it is killed (the runtime
/// dropped: no shutdown, no release, its lease left behind).
async fn life_that_dies_at(harness: &Harness, crash_at: i64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let reached = Arc::new(Notify::new());
    let (url, config, secrets) = (
        harness.url.clone(),
        harness.config.clone(),
        harness.secrets.clone(),
    );
    let state = runtime
        .spawn(async move {
            let db = Db::connect(&url).await.expect("database");
            AppState::new(leptos_options(), db, secrets, &config)
        })
        .await
        .unwrap();
    let handler = Sabotaged {
        inner: harness.wizard_steps(&state),
        at: crash_at,
        sabotage: Sabotage::Dies {
            reached: Arc::clone(&reached),
        },
    };
    let settings = RunnerSettings {
        concurrency: 4,
        lease: Duration::from_millis(150),
        poll: Duration::from_millis(50),
        max_attempts: 8,
        execute_timeout: Duration::from_secs(60),
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
    };
    let db = state.db.clone();
    runtime
        .spawn(async move {
            JobRunner::new(db, settings, JobSignal::default())
                .handle(WIZARD_JOB, Arc::new(handler))
                .spawn()
        })
        .await
        .unwrap();
    if tokio::time::timeout(Duration::from_secs(20), reached.notified())
        .await
        .is_err()
    {
        let rows: Vec<(i64, String, i64, i64, Option<String>)> =
            sqlx::query_as("SELECT id, state, cursor, attempts, lease_owner FROM jobs")
                .fetch_all(&harness.app.db.read)
                .await
                .unwrap();
        panic!("the doomed process never reached step {crash_at}: {rows:?}");
    }
    runtime.shutdown_background();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_kills_its_process_every_time_is_given_up_and_the_tenant_can_resume() {
    let (harness, token) = Harness::signed_in("alpha.admin").await;
    let app = &harness.app;
    let ms_tenant = app
        .prepare_wizard(&token, GLOBEX_TEAMS, "Runner Test", &[])
        .await;
    let id = app.start_wizard(&token, GLOBEX_TEAMS).await;

    // Eight processes in a row die in step 2 (the first runs the preparation and steps
    // 0 and 1 before it): each claim counts as a try, though none records an outcome.
    for _ in 0..8 {
        life_that_dies_at(&harness, 2).await;
    }
    let (state, cursor, attempts, lease, _) = job_row(&app.db, id).await;
    assert_eq!((state.as_str(), cursor, attempts), ("ready", 2, 8));
    assert!(lease.is_some(), "the last killed process left its lease");
    assert_eq!(tenant_row(&app.db, GLOBEX_TEAMS.1).await.0, "onboarding");

    // The next process (the real runner) claims it a ninth time and gives up at once.
    let runner = harness
        .app
        .state
        .job_runner(harness.secrets.clone(), &harness.config)
        .spawn();
    let problem = failed_at_step_2(app, &token).await;
    assert_eq!(problem["running"], false, "{problem}");
    let detail = problem["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("interrupted 8 times"),
        "the failure says why: {detail}"
    );
    let executed: Vec<bool> = problem["wizardSteps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["executed"] == true)
        .collect();
    assert_eq!(executed, [true, true, false, false, false, false]);
    let (state, _, attempts, lease, _) = job_row(&app.db, id).await;
    assert_eq!((state.as_str(), attempts, lease), ("failed", 9, None));
    let (tenant_status, current_step, error, _) = tenant_row(&app.db, GLOBEX_TEAMS.1).await;
    assert_eq!(
        (tenant_status.as_str(), current_step, error.as_deref()),
        ("failed", Some(2), Some(detail.as_str()))
    );
    let transaction = app
        .get(&format!("/api/v01/transactions/{id}"), &token)
        .await
        .json();
    assert_eq!(transaction["status"], "failed", "{transaction}");
    assert_eq!(transaction["detail"], detail.as_str(), "{transaction}");
    // The poison step was not run a ninth time: step 2 never reached Microsoft.
    assert_eq!(
        journal_count(app, &token, &ms_tenant, "POST /domains").await,
        0
    );

    // Resume: the run starts again at step 2 and completes.
    let second = app.start_wizard(&token, GLOBEX_TEAMS).await;
    assert!(second > id);
    let done = app
        .wizard_ended_within(&token, GLOBEX_TEAMS, RUN_LIMIT)
        .await;
    done.assert_status(StatusCode::OK);
    assert!(
        done.json()["wizardSteps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|step| step["executed"] == true),
        "{}",
        done.text()
    );
    assert_eq!(tenant_row(&app.db, GLOBEX_TEAMS.1).await.0, "onboarded");
    // create_app.ps1's call and step 1's, once: steps before the failed one are not redone.
    assert_eq!(
        journal_count(app, &token, &ms_tenant, "POST /servicePrincipals").await,
        2
    );

    // And the subscription is not stuck: it can be unlinked.
    let answer = app.post_unlink(&token, GLOBEX_TEAMS).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    runner.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wizard_run_abandoned_by_the_runner_leaves_the_tenant_failed_not_onboarding() {
    let (harness, token) = Harness::signed_in("alpha.admin").await;
    let app = &harness.app;
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Runner Test", &[])
        .await;
    let id = app.start_wizard(&token, GLOBEX_TEAMS).await;
    let settings = RunnerSettings {
        concurrency: 2,
        lease: Duration::from_secs(2),
        poll: Duration::from_millis(20),
        max_attempts: 3,
        execute_timeout: Duration::from_secs(10),
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
    };
    let step_2_unrecordable = Sabotaged {
        inner: harness.wizard_steps(&app.state),
        at: 2,
        sabotage: Sabotage::CannotRecord,
    };
    let runner = JobRunner::new(app.db.clone(), settings, JobSignal::default())
        .handle(WIZARD_JOB, Arc::new(step_2_unrecordable))
        .spawn();

    let problem = failed_at_step_2(app, &token).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("Start the wizard again"), "{detail}");
    let (state, _, _, lease, _) = job_row(&app.db, id).await;
    assert_eq!((state.as_str(), lease), ("failed", None));
    assert_eq!(transaction_row(&app.db, id).await.0, "failed");
    // Not stuck: a new run is accepted (it fails again at the same step, of course).
    let again = app.start_wizard(&token, GLOBEX_TEAMS).await;
    assert!(again > id);
    runner.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reconciler_at_start_fails_runs_left_without_a_live_job_and_spares_live_ones() {
    let (harness, alpha) = Harness::signed_in("alpha.admin").await;
    let app = &harness.app;
    let beta = app.login("beta.admin").await;

    // Globex Teams: a run whose job ended failed without recording it on the tenant
    // (as the runner's `abandon` used to leave it).
    app.prepare_wizard(&alpha, GLOBEX_TEAMS, "Runner Test", &[])
        .await;
    let failed_job = app.start_wizard(&alpha, GLOBEX_TEAMS).await;
    app.execute(&format!(
        "UPDATE jobs SET state = 'failed', last_error = 'abandoned', lease_owner = NULL
         WHERE id = {failed_job}"
    ))
    .await;

    // Umbrella Teams: a live run, not due for an hour.
    app.prepare_wizard(&beta, UMBRELLA_TEAMS, "Runner Test", &[])
        .await;
    let live_job = app.start_wizard(&beta, UMBRELLA_TEAMS).await;
    let in_an_hour = epoch_ms() + 3_600_000;
    app.execute(&format!(
        "UPDATE jobs SET run_at = {in_an_hour} WHERE id = {live_job}"
    ))
    .await;

    // Globex Teams Lab: onboarding, with a running transaction but no job at all.
    let mut tx = app.db.begin_write().await.unwrap();
    let missing_job: i64 = sqlx::query_scalar(
        "INSERT INTO transactions (kind, subscription_id, status, created_at, updated_at)
         VALUES (?, ?, 'running', datetime(), datetime()) RETURNING id",
    )
    .bind(WIZARD_JOB)
    .bind(GLOBEX_LAB.1)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE msteams_tenants SET status = 'onboarding', current_step = 3, wizard_transaction_id = ?
         WHERE owner_subscription_id = ?",
    )
    .bind(missing_job)
    .bind(GLOBEX_LAB.1)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A restart: the reconciler runs before the runner claims anything.
    let restarted = harness.restart().await;
    let db = &restarted.db;
    eventually("the orphaned runs to be failed", || async {
        tenant_row(db, GLOBEX_TEAMS.1).await.0 == "failed"
            && tenant_row(db, GLOBEX_LAB.1).await.0 == "failed"
    })
    .await;

    for (subscription, transaction, step) in [
        (GLOBEX_TEAMS.1, failed_job, 0),
        (GLOBEX_LAB.1, missing_job, 3),
    ] {
        let (status, current_step, error, run) = tenant_row(db, subscription).await;
        assert_eq!(
            (status.as_str(), current_step, run),
            ("failed", Some(step), transaction)
        );
        let error = error.expect("a message on the tenant");
        assert!(error.contains("Start the wizard again"), "{error}");
        let (status, detail) = transaction_row(db, transaction).await;
        assert_eq!(
            (status.as_str(), detail.as_deref()),
            ("failed", Some(error.as_str()))
        );
        // GET wizard answers the failure with its steps (created if the run had none).
        let answer = restarted
            .get_wizard(&alpha, (TENANT_GLOBEX, subscription))
            .await;
        let problem = answer.assert_problem(400, "wizard_failed");
        assert_eq!(problem["failedStep"], step, "{problem}");
        assert_eq!(problem["wizardSteps"].as_array().unwrap().len(), 6);
        assert_eq!(problem["detail"], error.as_str());
    }

    // The live run is left alone.
    let (status, _, error, run) = tenant_row(db, UMBRELLA_TEAMS.1).await;
    assert_eq!(
        (status.as_str(), error, run),
        ("onboarding", None, live_job)
    );
    let (state, _, _, _, _) = job_row(db, live_job).await;
    assert_eq!(state, "ready");
    assert_eq!(
        transaction_row(db, live_job).await,
        ("running".into(), None)
    );
    let refused = restarted.post_wizard(&beta, UMBRELLA_TEAMS).await;
    refused.assert_problem(409, "wizard_running");

    // Neither failed subscription is stuck: one resumes and completes, the other unlinks.
    restarted.start_wizard(&alpha, GLOBEX_TEAMS).await;
    let done = restarted
        .wizard_ended_within(&alpha, GLOBEX_TEAMS, RUN_LIMIT)
        .await;
    done.assert_status(StatusCode::OK);
    restarted
        .post_unlink(&alpha, GLOBEX_LAB)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

// ---------------------------------------------------------------------------------------
// The runner itself, with handlers made for the purpose.

fn settings() -> RunnerSettings {
    RunnerSettings {
        concurrency: 4,
        lease: Duration::from_millis(300),
        poll: Duration::from_millis(20),
        max_attempts: 3,
        execute_timeout: Duration::from_secs(30),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(2),
    }
}

/// `run_at` of a job, and its lease.
async fn schedule(db: &Db, id: i64) -> (i64, Option<String>, Option<i64>) {
    sqlx::query_as("SELECT run_at, lease_owner, lease_until FROM jobs WHERE id = ?")
        .bind(id)
        .fetch_one(&db.read)
        .await
        .unwrap()
}

/// Fails transiently once, asking (Retry-After) to be called back after its delay.
struct AsksToWait(Duration);

#[async_trait]
impl JobHandler for AsksToWait {
    async fn execute(&self, _job: &Job) -> Outcome {
        Outcome::Retry {
            error: "throttled".into(),
            after: Some(self.0),
        }
    }

    async fn record(&self, _: &mut Connection, _: &Job, _: &Outcome) -> Result<(), JobError> {
        Ok(())
    }
}

#[tokio::test]
async fn retry_after_beyond_the_backoff_maximum_is_capped_and_shorter_ones_are_honoured() {
    let (db, _dir) = job_database().await;
    let greedy = enqueue_job(&db, "greedy").await;
    let modest = enqueue_job(&db, "modest").await;
    let runner = JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("greedy", Arc::new(AsksToWait(Duration::from_secs(3600))))
        .handle("modest", Arc::new(AsksToWait(Duration::from_millis(700))))
        .spawn();
    let mut settled_at = [0; 2];
    for (slot, id) in [greedy, modest].into_iter().enumerate() {
        eventually("the retry to be settled", || async {
            job_row(&db, id).await.4.is_some()
        })
        .await;
        settled_at[slot] = epoch_ms();
    }
    runner.shutdown(Duration::ZERO).await;

    let (run_at, lease, _) = schedule(&db, greedy).await;
    assert_eq!(lease, None);
    let wait = run_at - settled_at[0];
    // backoff_max is 2 s: an hour's Retry-After becomes at most that.
    assert!(
        (1_000..=2_000).contains(&wait),
        "the retry is due in {wait} ms, not after the hour asked"
    );
    let (state, _, attempts, _, error) = job_row(&db, greedy).await;
    assert_eq!(
        (state.as_str(), attempts, error.as_deref()),
        ("ready", 1, Some("throttled"))
    );
    let wait = schedule(&db, modest).await.0 - settled_at[1];
    assert!(
        (200..=700).contains(&wait),
        "a Retry-After below the cap is honoured: due in {wait} ms"
    );
}

/// Sets its flag when dropped: proves a future was cancelled rather than left running.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A step that runs until it is cancelled (or, with `finish_after`, finishes then).
#[derive(Default)]
struct Step {
    finish_after: Option<Duration>,
    started: Arc<AtomicUsize>,
    cancelled: Arc<AtomicBool>,
    recorded: Arc<AtomicUsize>,
}

#[async_trait]
impl JobHandler for Step {
    async fn execute(&self, _job: &Job) -> Outcome {
        let _flag = DropFlag(Arc::clone(&self.cancelled));
        self.started.fetch_add(1, Ordering::SeqCst);
        match self.finish_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending::<()>().await,
        }
        // Finished: not cancelled after all.
        std::mem::forget(_flag);
        Outcome::Done { note: None }
    }

    async fn record(&self, _: &mut Connection, _: &Job, _: &Outcome) -> Result<(), JobError> {
        self.recorded.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_lease_cancels_the_running_step_and_the_stale_holder_settles_nothing() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "endless").await;
    let step = Arc::new(Step::default());
    let runner = JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("endless", Arc::clone(&step) as Arc<dyn JobHandler>)
        .spawn();
    eventually("the step to start", || async {
        step.started.load(Ordering::SeqCst) == 1
    })
    .await;
    let (_, _, attempts, held, _) = job_row(&db, id).await;
    assert_eq!(attempts, 1);
    let held = held.expect("leased");

    // This process stalls past its lease (simulated: the lease runs out), and another
    // worker claims the job.
    let stolen = loop {
        sqlx::query("UPDATE jobs SET lease_until = 0 WHERE id = ?")
            .bind(id)
            .execute(&db.write)
            .await
            .unwrap();
        let claimed = store::claim(&db, "worker-b", 1, Duration::from_secs(60), &[])
            .await
            .unwrap();
        if let Some(job) = claimed.into_iter().next() {
            break job;
        }
    };
    assert_ne!(stolen.lease, held);

    // The next heartbeat finds the lease gone and cancels the step here.
    let lost_at = Instant::now();
    eventually("the step to be cancelled", || async {
        step.cancelled.load(Ordering::SeqCst)
    })
    .await;
    assert!(
        lost_at.elapsed() < Duration::from_secs(1),
        "cancelled within a heartbeat or two: {:?}",
        lost_at.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(step.recorded.load(Ordering::SeqCst), 0, "nothing recorded");
    assert_eq!(step.started.load(Ordering::SeqCst), 1, "not run again here");
    let (state, _, attempts, lease, error) = job_row(&db, id).await;
    assert_eq!(
        (state.as_str(), attempts, lease.as_deref(), error),
        ("ready", 2, Some(stolen.lease.as_str()), None)
    );

    // The new holder is the one that moves it on.
    let mut tx = db.begin_write().await.unwrap();
    let done = Outcome::Done { note: None };
    assert!(
        store::settle(&mut tx, &stolen, &done, Duration::ZERO, Duration::ZERO)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(job_row(&db, id).await.0, "done");
    runner.shutdown(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_settles_steps_that_finish_within_grace_and_gives_back_the_rest() {
    let (db, _dir) = job_database().await;
    let quick_job = enqueue_job(&db, "quick").await;
    let stuck_job = enqueue_job(&db, "stuck").await;
    let quick = Arc::new(Step {
        finish_after: Some(Duration::from_millis(300)),
        ..Step::default()
    });
    let stuck = Arc::new(Step::default());
    let runner = JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("quick", Arc::clone(&quick) as Arc<dyn JobHandler>)
        .handle("stuck", Arc::clone(&stuck) as Arc<dyn JobHandler>)
        .spawn();
    eventually("both steps to start", || async {
        quick.started.load(Ordering::SeqCst) == 1 && stuck.started.load(Ordering::SeqCst) == 1
    })
    .await;

    let grace = Duration::from_secs(1);
    let stopping = Instant::now();
    runner.shutdown(grace).await;
    let took = stopping.elapsed();
    assert!(
        took >= grace - Duration::from_millis(100) && took < grace + Duration::from_millis(500),
        "shutdown waited for the grace period, not longer: {took:?}"
    );

    // The quick step finished within the grace period and was settled.
    assert_eq!(quick.recorded.load(Ordering::SeqCst), 1);
    assert!(!quick.cancelled.load(Ordering::SeqCst));
    assert_eq!(job_row(&db, quick_job).await.0, "done");

    // The stuck one was cancelled and given back: due at once, its try not counted.
    // (An abort takes effect when the runtime next drops the task, just after.)
    eventually("the stuck step to be aborted", || async {
        stuck.cancelled.load(Ordering::SeqCst)
    })
    .await;
    assert_eq!(stuck.recorded.load(Ordering::SeqCst), 0);
    let (state, _, attempts, lease, error) = job_row(&db, stuck_job).await;
    assert_eq!(
        (state.as_str(), attempts, lease, error),
        ("ready", 0, None, None)
    );
    let (run_at, _, lease_until) = schedule(&db, stuck_job).await;
    assert!(run_at <= epoch_ms(), "due at once");
    assert_eq!(lease_until, None);

    // The stopped runner claims nothing more.
    let later = enqueue_job(&db, "quick").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (state, _, attempts, lease, _) = job_row(&db, later).await;
    assert_eq!((state.as_str(), attempts, lease), ("ready", 0, None));
    assert_eq!(quick.started.load(Ordering::SeqCst), 1);

    // The next process takes the given-back job up at once, as its first try.
    let next = Arc::new(Step {
        finish_after: Some(Duration::ZERO),
        ..Step::default()
    });
    let restarted = Instant::now();
    let runner = JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("stuck", Arc::clone(&next) as Arc<dyn JobHandler>)
        .handle("quick", Arc::clone(&next) as Arc<dyn JobHandler>)
        .spawn();
    eventually("the given-back job to be done", || async {
        job_row(&db, stuck_job).await.0 == "done"
    })
    .await;
    assert!(restarted.elapsed() < Duration::from_secs(1));
    assert_eq!(job_row(&db, stuck_job).await.2, 1, "one try, this one");
    runner.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_shutdown_right_after_spawn_stops_the_runner_before_it_claims_anything() {
    let (db, _dir) = job_database().await;
    let id = enqueue_job(&db, "quick").await;
    let step = Arc::new(Step {
        finish_after: Some(Duration::ZERO),
        ..Step::default()
    });
    // On this single-threaded runtime the claim loop has not started (nor listened for
    // the stop) when the shutdown comes.
    JobRunner::new(db.clone(), settings(), JobSignal::default())
        .handle("quick", Arc::clone(&step) as Arc<dyn JobHandler>)
        .spawn()
        .shutdown(Duration::ZERO)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(step.started.load(Ordering::SeqCst), 0, "nothing ran");
    let (state, _, attempts, lease, _) = job_row(&db, id).await;
    assert_eq!((state.as_str(), attempts, lease), ("ready", 0, None));
}
