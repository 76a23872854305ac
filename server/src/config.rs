//! Start-up settings, from flags or environment variables.

use std::path::PathBuf;

use clap::Parser;

#[derive(Clone, Parser)]
#[command(
    name = "server",
    about = "Fusion Teams Onboarding: the web app and its REST API"
)]
pub struct Config {
    /// SQLite database; the file and its folder are created when missing.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/fusion.db")]
    pub database_url: String,

    /// Seed the demo hierarchy and administrators (idempotent) and print their logins.
    #[arg(long, env = "FUSION_DEMO", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub demo: bool,

    /// 32-byte key (64 hex characters) that encrypts stored secrets. Without it a key
    /// file beside the database is used, created on first start.
    #[arg(long, env = "FUSION_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// How long a login session lasts, in hours.
    #[arg(long, env = "FUSION_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,
}

impl Config {
    /// The folder holding the SQLite file, for the key file beside it.
    pub fn data_dir(&self) -> PathBuf {
        crate::store::sqlite_file_path(&self.database_url)
            .and_then(|path| path.parent().map(PathBuf::from))
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }
}
