//! What every request handler and server function can reach.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::{
    config::Config,
    crypto::SecretBox,
    domain::{accounts::Accounts, directory::Directory, onboarding::Onboarding},
    simulator::SimulatorControl,
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
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, secrets: SecretBox, config: &Config) -> Self {
        let directory = Directory::new(db.clone());
        AppState {
            leptos_options,
            accounts: Accounts::new(db.clone(), config.session_hours),
            onboarding: Onboarding::new(db.clone(), directory.clone(), secrets),
            directory,
            simulator: SimulatorControl::new(db.clone()),
            db,
        }
    }
}
