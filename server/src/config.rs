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

    /// Multiplies every simulated Microsoft latency and wait: 1.0 makes a demo wizard
    /// take about a minute, 0.01 about a second, 0 as fast as the machine goes.
    #[arg(long, env = "FUSION_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,

    /// Wizard steps executed at once by this process.
    #[arg(long, env = "FUSION_WORKERS", default_value_t = 16)]
    pub workers: usize,

    /// How long a worker's claim on a job holds without a heartbeat, in milliseconds:
    /// after a crash, its jobs are taken up again this long after the last heartbeat.
    #[arg(long, env = "FUSION_JOB_LEASE_MS", default_value_t = 30_000)]
    pub job_lease_ms: u64,

    /// Verification checks of a domain's TXT record before the wizard gives up.
    #[arg(long, env = "FUSION_DNS_CHECK_LIMIT", default_value_t = 6)]
    pub dns_check_limit: u32,
}

impl Config {
    /// The defaults, on this database (tests, tools).
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut config = Config::parse_from(["server"]);
        config.database_url = database_url.into();
        config
    }

    /// The time scale, made safe: negative or not a number means 0.
    pub fn time_scale(&self) -> f64 {
        if self.time_scale.is_finite() {
            self.time_scale.max(0.0)
        } else {
            0.0
        }
    }

    /// The folder holding the SQLite file, for the key file beside it.
    pub fn data_dir(&self) -> PathBuf {
        crate::store::sqlite_file_path(&self.database_url)
            .and_then(|path| path.parent().map(PathBuf::from))
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }
}
