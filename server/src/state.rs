//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::{
    config::Config,
    crypto::SecretBox,
    domain::{accounts::Accounts, directory::Directory, onboarding::Onboarding},
    simulator::{SimulatedMicrosoft, SimulatorControl},
    store::Db,
};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub accounts: Accounts,
    pub directory: Directory,
    pub onboarding: Onboarding,
    pub simulator: SimulatorControl,
    pub microsoft: SimulatedMicrosoft,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, secrets: SecretBox, config: &Config) -> Self {
        let directory = Directory::new(db.clone());
        let simulator = SimulatorControl::new(db.clone());
        let microsoft = SimulatedMicrosoft::new(db.clone(), simulator.clone());
        AppState {
            leptos_options,
            accounts: Accounts::new(db.clone(), config.session_hours),
            onboarding: Onboarding::new(
                db.clone(),
                directory.clone(),
                secrets,
                Arc::new(microsoft.clone()),
            ),
            microsoft,
            directory,
            simulator,
            db,
        }
    }
}
