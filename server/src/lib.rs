//! Fusion Teams Onboarding server: configuration, persistence, authentication, the
//! domain services, the REST API and the Leptos pages. See ARCHITECTURE.md.

pub mod admin_cli;
pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod jobs;
pub mod metrics;
pub mod microsoft;
pub mod scenario;
pub mod seed;
pub mod serve;
pub mod simulator;
pub mod state;
pub mod store;
pub mod ui;
pub mod web;

use std::time::Duration;

use leptos::prelude::LeptosOptions;

use crate::{
    config::Config,
    crypto::{KeySource, SecretBox},
    domain::AppError,
    jobs::RunnerHandle,
    state::AppState,
    store::{DatabaseLock, Db},
};

/// A started server: what the router serves, and the job runner to stop at shutdown.
pub struct Server {
    pub state: AppState,
    pub runner: RunnerHandle,
    /// Held while the process runs: no second server opens the same database.
    _lock: Option<DatabaseLock>,
}

impl Server {
    /// Stops claiming wizard steps, lets running ones finish within `grace`, and gives
    /// back the rest. Returns the database lock: hold it until the process has stopped
    /// serving too, so that no second server starts on the file while this one still
    /// answers requests.
    pub async fn shutdown(self, grace: Duration) -> Option<DatabaseLock> {
        self.runner.shutdown(grace).await;
        self._lock
    }
}

/// Takes the database's lock, loads the keys, opens the database (applying migrations),
/// re-seals secrets under the current key, seeds what the configuration asks for, and
/// starts the job runner.
pub async fn start(config: &Config, leptos_options: LeptosOptions) -> Result<Server, String> {
    let lock = DatabaseLock::acquire(&config.database_url)?;
    let legacy_key_file = config.data_dir().join("secret.key");
    let key_file = config.secret_key_path();
    let key_from_env = non_empty_env("FUSION_SECRET_KEY");
    // A key file this start creates from nothing is removed again if the database turns
    // out to hold secrets it cannot open: the next start must not silently use it.
    let generates_key = key_from_env.is_none() && !key_file.exists() && !legacy_key_file.exists();
    // A key an earlier version kept beside the database, which is not moved because a
    // key is already configured: it opens what it sealed, then it is removed.
    let stranded_legacy_key = (config.secret_key_file.is_none()
        && legacy_key_file != key_file
        && legacy_key_file.exists()
        && (key_from_env.is_some() || key_file.exists()))
    .then(|| crypto::read_key(&legacy_key_file))
    .transpose()
    .map_err(|error| format!("secret key: {error}"))?;
    let old_key_from_env = non_empty_env("FUSION_OLD_SECRET_KEY");
    let explicit_old_key = old_key_from_env.is_some() || config.old_secret_key_file.is_some();
    let mut secrets = SecretBox::load(KeySource {
        key_from_env,
        key_file: key_file.clone(),
        legacy_key_file: config
            .secret_key_file
            .is_none()
            .then_some(legacy_key_file.clone()),
        old_key_from_env,
        old_key_file: config.old_secret_key_file.as_deref(),
    })
    .map_err(|error| format!("secret key: {error}"))?;
    if let (Some(legacy), false) = (stranded_legacy_key, explicit_old_key) {
        secrets = secrets.with_previous(legacy);
    }
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|error| format!("database {}: {error}", config.database_url))?;
    let resealed = match domain::secrets::reseal_stale(&db, &secrets).await {
        Ok(resealed) => resealed,
        Err(error) => {
            if generates_key {
                let _ = std::fs::remove_file(&key_file);
            }
            return Err(format!("re-encrypting stored secrets: {error}"));
        }
    };
    if stranded_legacy_key.is_some() {
        match std::fs::remove_file(&legacy_key_file) {
            Ok(()) => {
                tracing::warn!(path = %legacy_key_file.display(), "removed the old key file beside the database: every stored secret is sealed with the configured key now")
            }
            Err(error) => {
                tracing::warn!(path = %legacy_key_file.display(), %error, "cannot remove the old key file beside the database: remove it by hand")
            }
        }
    }
    if resealed > 0 {
        tracing::info!(resealed, "re-encrypted stored secrets with the current key");
    }
    let mut server = start_with(config, leptos_options, db, secrets)
        .await
        .map_err(|error| error.to_string())?;
    server._lock = lock;
    Ok(server)
}

/// As `start`, with an open database and a key (tests use a random key), and no lock.
/// Also starts the job runner, which picks up any run a previous process left unfinished,
/// the audit log's retention and the forgetting of ended sessions.
pub async fn start_with(
    config: &Config,
    leptos_options: LeptosOptions,
    db: Db,
    secrets: SecretBox,
) -> Result<Server, AppError> {
    seed::ensure_profiles(&db).await?;
    let state = AppState::new(leptos_options, db, secrets.clone(), config);
    let chosen = config
        .scenario_to_load()
        .map_err(|error| AppError::invalid("invalid_scenario", error))?;
    match chosen {
        Some((chosen, text)) => {
            if !scenario::load_into_empty(&state.db, &secrets, &chosen, &text).await? {
                tracing::info!("the database holds data: the scenario is not loaded over it");
            }
        }
        None if scenario::database_is_empty(&state.db).await? => tracing::warn!(
            "the database is empty and no scenario is given: nobody can sign in. Load your \
             tree with --scenario FILE (README, \"Your own data\"), then add the first \
             administrator with `server admin add USERNAME --level group --node UUID \
             --profile msteams-admin`; or start with --demo for the demo data"
        ),
        None => {}
    }
    store::audit::keep_trimmed(
        state.db.clone(),
        config.audit_retention_days,
        state.metrics.clone(),
    );
    state.accounts.keep_purged();
    let runner = state.job_runner(secrets, config).spawn();
    Ok(Server {
        state,
        runner,
        _lock: None,
    })
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
