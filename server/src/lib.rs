//! Fusion Teams Onboarding server: configuration, persistence, authentication, the
//! domain services, the REST API and the Leptos pages. See ARCHITECTURE.md.

pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod jobs;
pub mod microsoft;
pub mod seed;
pub mod simulator;
pub mod state;
pub mod store;
pub mod ui;
pub mod web;

use leptos::prelude::LeptosOptions;

use crate::{config::Config, crypto::SecretBox, domain::AppError, state::AppState, store::Db};

/// Opens the database (applying migrations), loads the secret key, seeds what the
/// configuration asks for, and returns the state the router needs.
pub async fn start(config: &Config, leptos_options: LeptosOptions) -> Result<AppState, AppError> {
    let db = Db::connect(&config.database_url).await?;
    let secrets = SecretBox::load(
        config.secret_key.as_deref(),
        &config.data_dir().join("secret.key"),
    )
    .map_err(|e| AppError::Internal(format!("secret key: {e}")))?;
    start_with(config, leptos_options, db, secrets).await
}

/// As `start`, with an open database and a key (tests use a random key). Also starts
/// the job runner, which picks up any run a previous process left unfinished.
pub async fn start_with(
    config: &Config,
    leptos_options: LeptosOptions,
    db: Db,
    secrets: SecretBox,
) -> Result<AppState, AppError> {
    seed::ensure_profiles(&db).await?;
    let state = AppState::new(leptos_options, db, secrets.clone(), config);
    if config.demo {
        seed::seed_demo(&state.db, &secrets).await?;
        seed::seed_simulator(&state.simulator).await?;
    }
    state.job_runner(secrets, config).spawn();
    Ok(state)
}
