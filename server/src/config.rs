//! Start-up settings, from flags or environment variables.

use std::{path::PathBuf, time::Duration};

use clap::Parser;

use crate::{
    admin_cli::AdminCommand,
    scenario::{self, Scenario},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// What the binary does instead of serving.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Manage the administrators of the database (`--database-url`) without a scenario:
    /// add, passwd, disable, list. Passwords are read from a prompt, or from the first
    /// line of standard input, never from an argument.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Clone, Parser)]
#[command(
    name = "server",
    about = "Fusion Teams Onboarding: the web app and its REST API",
    after_help = "The key that encrypts stored secrets comes from FUSION_SECRET_KEY (64 hex \
                  characters) or else from --secret-key-file, never from a flag value."
)]
pub struct Config {
    /// Without a command, the server runs.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// How log lines are written: `text` for people, `json` (one object a line, with the
    /// request's id in its span) for a log collector.
    #[arg(long, env = "FUSION_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// SQLite database; the file and its folder are created when missing.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/fusion.db")]
    pub database_url: String,

    /// Load the demo scenario (`scenarios/demo.json`) into an empty database and print its
    /// logins. Default: on, unless a public URL or a scenario is given (the demo
    /// passwords are public).
    #[arg(long, env = "FUSION_DEMO", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub demo: Option<bool>,

    /// The mock controls under /mock/v1 (reset, export, replace every group's data), for
    /// group admins with the mock-admin profile. Default: on with the demo, else off.
    #[arg(long, env = "FUSION_MOCK_CONTROLS", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub mock_controls: Option<bool>,

    /// A scenario file (JSON, see README "Your own data") to load into an empty database
    /// instead of the demo; a database that holds data keeps it.
    #[arg(long, env = "FUSION_SCENARIO")]
    pub scenario: Option<PathBuf>,

    /// File holding the 32-byte key (64 hex characters) that encrypts stored secrets,
    /// created (mode 0600) on first start when missing. Used unless FUSION_SECRET_KEY is
    /// set. Default: `$XDG_CONFIG_HOME/fusion-teams-onboarding/secret.key` (or under
    /// `~/.config`), outside the data folder so that a backup of the database does not
    /// carry its key.
    #[arg(long, env = "FUSION_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,

    /// Key rotation: a file with the previous key. Secrets sealed with it are re-encrypted
    /// with the current key at start (FUSION_OLD_SECRET_KEY holds it in the environment).
    #[arg(long, env = "FUSION_OLD_SECRET_KEY_FILE")]
    pub old_secret_key_file: Option<PathBuf>,

    /// How long a sign-in lasts, in hours: the refresh token's lifetime (and the browser
    /// session's).
    #[arg(long, env = "FUSION_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,

    /// How long an access token lasts, in minutes (a refresh gives a new one).
    #[arg(long, env = "FUSION_ACCESS_TOKEN_MINUTES", default_value_t = 60)]
    pub access_token_minutes: u32,

    /// Days a device stays trusted after a second factor with "trust this device".
    #[arg(long, env = "FUSION_TRUSTED_DEVICE_DAYS", default_value_t = 30)]
    pub trusted_device_days: u32,

    /// Minutes an e-mailed sign-in code (and any second-factor challenge) holds.
    #[arg(long, env = "FUSION_TWO_FACTOR_MINUTES", default_value_t = 10)]
    pub two_factor_minutes: u32,

    /// The address users reach the site at, e.g. `https://teams.example.com`. An
    /// https URL makes the session cookie `Secure` (named `__Host-fusion_session`) and
    /// adds HSTS; cross-site checks compare a request's Origin with it. Default: the
    /// request's own Host.
    #[arg(long, env = "FUSION_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Mark the session cookie `Secure` (and `__Host-` prefixed) even without an https
    /// public URL (`true`), or never (`false`). Default: on when the public URL is https.
    #[arg(long, env = "FUSION_SECURE_COOKIE", action = clap::ArgAction::Set)]
    pub secure_cookie: Option<bool>,

    /// Take the client's address from the last `X-Forwarded-For` entry (set this only
    /// behind a reverse proxy that writes it), for login throttling.
    #[arg(long, env = "FUSION_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub trust_forwarded_for: bool,

    /// Seconds a client has to send a request's headers (and an idle connection stays open).
    #[arg(long, env = "FUSION_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request may take, body included, before it is answered 503.
    #[arg(long, env = "FUSION_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Connections served at once; further ones wait in the listen queue.
    #[arg(long, env = "FUSION_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,

    /// Connections one client address may hold at once (0: no limit); more are closed
    /// at once. Behind a reverse proxy every connection comes from the proxy: raise it.
    #[arg(long, env = "FUSION_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub max_connections_per_address: usize,

    /// On SIGTERM or Ctrl-C: seconds to finish requests and running wizard steps.
    #[arg(long, env = "FUSION_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Days the audit log keeps its rows (0 keeps them forever).
    #[arg(long, env = "FUSION_AUDIT_RETENTION_DAYS", default_value_t = 90)]
    pub audit_retention_days: u32,

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

    /// Whether to seed and print the demo data: as asked, else only for a site that is
    /// not given a public URL (a workstation, a test).
    pub fn demo(&self) -> bool {
        self.demo
            .unwrap_or(self.public_url.is_none() && self.scenario.is_none())
    }

    /// Whether the mock controls are on: as asked, else with the demo data.
    pub fn mock_controls(&self) -> bool {
        self.mock_controls.unwrap_or_else(|| self.demo())
    }

    /// The scenario to load into an empty database, with its text: the file's, the
    /// demo, or none. A file that cannot be read or has mistakes stops the start,
    /// naming their lines.
    pub fn scenario_to_load(&self) -> Result<Option<(Scenario, String)>, String> {
        let Some(path) = &self.scenario else {
            let demo = || (scenario::demo().clone(), scenario::DEMO_TEXT.to_owned());
            return Ok(self.demo().then(demo));
        };
        if self.demo == Some(true) {
            return Err(
                "--demo and --scenario both ask for the data to start with: give one".into(),
            );
        }
        let shown = path.display();
        let text =
            std::fs::read_to_string(path).map_err(|error| format!("scenario {shown}: {error}"))?;
        match scenario::parse(&text) {
            Ok(parsed) => Ok(Some((parsed, text))),
            Err(error) => Err(format!("scenario {shown}:\n{error}")),
        }
    }

    /// The time scale, made safe: negative or not a number means 0.
    pub fn time_scale(&self) -> f64 {
        if self.time_scale.is_finite() {
            self.time_scale.max(0.0)
        } else {
            0.0
        }
    }

    /// The folder holding the SQLite file.
    pub fn data_dir(&self) -> PathBuf {
        crate::store::sqlite_file_path(&self.database_url)
            .and_then(|path| path.parent().map(PathBuf::from))
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Where the key file is: the flag, else the user's configuration folder.
    pub fn secret_key_path(&self) -> PathBuf {
        self.secret_key_file.clone().unwrap_or_else(|| {
            let config_home = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|dir| dir.is_absolute())
                .or_else(|| {
                    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config"))
                })
                .unwrap_or_else(|| PathBuf::from("."));
            config_home
                .join("fusion-teams-onboarding")
                .join("secret.key")
        })
    }

    /// Whether the public URL is https.
    pub fn public_url_is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }

    /// Whether the session cookie is `Secure` (and `__Host-` prefixed).
    pub fn secure_cookie(&self) -> bool {
        self.secure_cookie
            .unwrap_or_else(|| self.public_url_is_https())
    }

    /// The public URL's origin (`scheme://host[:port]`) as a browser writes it in
    /// `Origin`: lowercased, without the scheme's default port.
    pub fn public_origin(&self) -> Option<String> {
        let url = self.public_url.as_deref()?.trim().to_ascii_lowercase();
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let default_port = match scheme {
            "https" => ":443",
            "http" => ":80",
            _ => "",
        };
        let authority = authority
            .strip_suffix(default_port)
            .filter(|_| !default_port.is_empty())
            .unwrap_or(authority);
        (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
    }

    /// The lifetimes of sign-ins, from the options (each at least a minute).
    pub fn sign_in_settings(&self) -> crate::domain::accounts::SignInSettings {
        let minutes = |n: u32| chrono::Duration::minutes(i64::from(n.max(1)));
        crate::domain::accounts::SignInSettings {
            access_ttl: minutes(self.access_token_minutes),
            refresh_ttl: minutes(self.session_hours.max(1).saturating_mul(60)),
            trusted_device_ttl: minutes(self.trusted_device_days.max(1).saturating_mul(24 * 60)),
            challenge_ttl: minutes(self.two_factor_minutes),
        }
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.clamp(1, 300))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.clamp(1, 3600))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs.min(600))
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn the_public_origin_is_written_as_browsers_send_it() {
        for (url, origin) in [
            (
                "https://Teams.Example.com/",
                Some("https://teams.example.com"),
            ),
            (
                "https://teams.example.com:443/app",
                Some("https://teams.example.com"),
            ),
            (
                "http://teams.example.com:80",
                Some("http://teams.example.com"),
            ),
            (
                "https://teams.example.com:8443",
                Some("https://teams.example.com:8443"),
            ),
            ("teams.example.com", None),
        ] {
            let mut config = Config::for_database("sqlite::memory:");
            config.public_url = Some(url.into());
            assert_eq!(config.public_origin().as_deref(), origin, "{url}");
        }
    }
}
