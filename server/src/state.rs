//! What every request handler and server function can reach, and the job runner that
//! drives the wizard in the background.

use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::{
    config::Config,
    crypto::SecretBox,
    domain::{
        accounts::Accounts,
        directory::Directory,
        mock::MockControl,
        onboarding::Onboarding,
        wizard::{WIZARD_JOB, Wizard},
        wizard_steps::{DnsCheckLoop, MicrosoftServices, WizardSteps},
    },
    jobs::{JobGate, JobRunner, JobSignal, RunnerLiveness, RunnerSettings},
    metrics::Metrics,
    simulator::{SimSettings, SimulatedMicrosoft, SimulatorControl},
    store::Db,
    web::Site,
};

/// Nominal waits of the wizard, before the time scale.
const PREPARATION: Duration = Duration::from_secs(3);
const DNS_CHECK_INTERVAL: Duration = Duration::from_secs(15);
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub accounts: Accounts,
    pub directory: Directory,
    pub onboarding: Onboarding,
    pub wizard: Wizard,
    pub simulator: SimulatorControl,
    /// The mock controls: off unless configured (on with the demo).
    pub mock: MockControl,
    pub microsoft: SimulatedMicrosoft,
    pub job_signal: JobSignal,
    /// Whether the job runner's claim loop still turns (`GET /readyz`).
    pub runner_liveness: RunnerLiveness,
    /// What the mock controls' reset stops the job runner's steps with.
    pub job_gate: JobGate,
    /// How the site is reached and guarded (cookie, origin, timeouts).
    pub site: Site,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, secrets: SecretBox, config: &Config) -> Self {
        let directory = Directory::new(db.clone(), secrets.derive_key("list continuation tokens"));
        let simulator = SimulatorControl::new(db.clone());
        let sim_settings = SimSettings {
            time_scale: config.time_scale(),
            ..SimSettings::default()
        };
        let microsoft = SimulatedMicrosoft::new(db.clone(), simulator.clone(), sim_settings);
        let job_signal = JobSignal::default();
        let job_gate = JobGate::default();
        let mock = MockControl::new(
            db.clone(),
            secrets.clone(),
            job_gate.clone(),
            config.mock_controls(),
        );
        AppState {
            mock,
            leptos_options,
            accounts: Accounts::new(db.clone(), secrets.clone(), config.sign_in_settings()),
            onboarding: Onboarding::new(
                db.clone(),
                directory.clone(),
                secrets,
                Arc::new(microsoft.clone()),
            ),
            wizard: Wizard::new(
                db.clone(),
                directory.clone(),
                job_signal.clone(),
                sim_settings.scaled(PREPARATION),
            ),
            microsoft,
            directory,
            simulator,
            db,
            job_signal,
            runner_liveness: RunnerLiveness::default(),
            job_gate,
            site: Site::from_config(config),
            metrics: Metrics::default(),
        }
    }

    /// The job runner with the wizard's steps, calling the simulated Microsoft.
    pub fn job_runner(&self, secrets: SecretBox, config: &Config) -> JobRunner {
        let scale = self.microsoft.settings();
        let services = MicrosoftServices {
            graph: Arc::new(self.microsoft.clone()),
            dns: Arc::new(self.microsoft.clone()),
            teams: Arc::new(self.microsoft.clone()),
        };
        let steps = WizardSteps::new(
            self.db.clone(),
            secrets,
            services,
            DnsCheckLoop {
                interval: scale.scaled(DNS_CHECK_INTERVAL),
                limit: config.dns_check_limit.max(1),
            },
        );
        let settings = RunnerSettings {
            concurrency: config.workers.max(1),
            lease: Duration::from_millis(config.job_lease_ms.max(300)),
            poll: Duration::from_secs(1),
            max_attempts: 8,
            execute_timeout: Duration::from_secs(300),
            backoff_base: scale.scaled(BACKOFF_BASE),
            backoff_max: scale.scaled(BACKOFF_MAX),
        };
        JobRunner::new(self.db.clone(), settings, self.job_signal.clone())
            .reporting_to(self.runner_liveness.clone())
            .gated_by(self.job_gate.clone())
            .handle(WIZARD_JOB, Arc::new(steps))
    }
}
