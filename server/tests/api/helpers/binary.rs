//! The real server binary as a child process, as an operator runs it: on a database
//! file and a free port with the demo data, awaited until it answers, called over HTTP
//! from any loopback address, its log read and its memory sampled, killed or stopped
//! with SIGTERM. It brings its HTTP client, `http`. The benches (`server/examples`)
//! include it by path and take what they need; the test binary uses all of it.
#![cfg_attr(not(test), allow(dead_code))]

#[path = "http.rs"]
pub mod http;

use std::{
    collections::BTreeSet,
    ffi::OsString,
    fs,
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use http::{Answer, LOCALHOST};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const LOGIN: &str = "/api/v01/auth/login";
pub const OPENAPI: &str = "/api/v01/openapi.json";

/// `POST /api/v01/auth/login`.
pub fn login_body(username: &str, password: &str) -> Value {
    json!({"username": username, "password": password})
}

/// A demo administrator's password.
pub fn demo_password(username: &str) -> &'static str {
    server::scenario::demo()
        .admins
        .iter()
        .find(|admin| admin.username == username)
        .and_then(|admin| admin.password.as_deref())
        .unwrap_or_else(|| panic!("{username} is no demo login"))
}

/// The key the server seals secrets with unless a test says otherwise: a throw-away
/// one, so that nothing ever lands in a key file of the real home folder.
const THROW_AWAY_KEY: &str = "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7";

/// How to start the server: by default the binary built for this test, from the
/// repository root, on its database with the demo data, a free port, a throw-away key,
/// the log level `warn`, and its output dropped (its errors shown).
pub struct Launch {
    /// None: the one built for this test.
    binary: Option<PathBuf>,
    database: PathBuf,
    port: u16,
    args: Vec<OsString>,
    /// In order, later ones winning; `None` takes a variable out of the environment.
    env: Vec<(String, Option<OsString>)>,
    log: Option<PathBuf>,
    dir: Option<TempDir>,
}

impl Launch {
    /// On `database`, a file the caller keeps (to start again on it, or to read it).
    pub fn on(database: &Path) -> Self {
        let launch = Launch {
            binary: None,
            database: database.to_owned(),
            port: free_port(),
            args: Vec::new(),
            env: Vec::new(),
            log: None,
            dir: None,
        };
        launch
            .env("LEPTOS_OUTPUT_NAME", "fusion-teams-onboarding")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("FUSION_DEMO", "true")
            .secret_key(Some(THROW_AWAY_KEY))
            .env("RUST_LOG", "warn")
    }

    /// On a database of its own in a temporary folder, which goes with the server, with
    /// its log (and errors) in a file beside it.
    pub fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut launch =
            Launch::on(&dir.path().join("fusion.db")).log_to(&dir.path().join("server.log"));
        launch.dir = Some(dir);
        launch
    }

    /// Another build of the server (a bench measures the release one); the tests run the
    /// one built for them.
    #[cfg(not(test))]
    pub fn binary(mut self, binary: &Path) -> Self {
        self.binary = Some(binary.to_owned());
        self
    }

    /// This port rather than a free one (a restart where the first server was).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args(self, args: &[&str]) -> Self {
        args.iter().fold(self, |launch, arg| launch.arg(*arg))
    }

    pub fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env.push((name.to_owned(), Some(value.into())));
        self
    }

    /// `FUSION_SECRET_KEY` (none: no key in the environment), and no other key setting
    /// from the test's own environment.
    pub fn secret_key(mut self, key: Option<&str>) -> Self {
        for name in [
            "FUSION_SECRET_KEY",
            "FUSION_OLD_SECRET_KEY",
            "FUSION_SECRET_KEY_FILE",
            "FUSION_OLD_SECRET_KEY_FILE",
        ] {
            self.env.push((name.to_owned(), None));
        }
        match key {
            Some(key) => self.env("FUSION_SECRET_KEY", key),
            None => self,
        }
    }

    /// The log (tracing writes to stdout) and the errors and any panic (stderr) in this
    /// file, without colours.
    pub fn log_to(mut self, log: &Path) -> Self {
        self.log = Some(log.to_owned());
        self.env("NO_COLOR", "1")
    }

    fn command(&self) -> Command {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        // Only tests are told where it is: a bench names it with `binary`.
        let binary = self
            .binary
            .clone()
            .or_else(|| option_env!("CARGO_BIN_EXE_server").map(PathBuf::from))
            .expect("the server binary");
        let mut command = Command::new(binary);
        command
            .args(&self.args)
            .current_dir(root)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.database.display()),
            )
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .stdin(Stdio::null());
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        match &self.log {
            Some(log) => {
                let file = fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .expect("log file");
                command
                    .stdout(file.try_clone().expect("log file"))
                    .stderr(file);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::inherit());
            }
        }
        command
    }

    /// Starts the server without waiting for it.
    pub fn spawn(self) -> Server {
        let child = self.command().spawn().expect("the server binary starts");
        Server {
            child,
            port: self.port,
            log: self.log,
            _dir: self.dir,
        }
    }

    /// Starts the server and waits until it answers.
    pub async fn start(self) -> Server {
        let server = self.spawn();
        server.ready().await;
        server
    }

    /// Starts the server, which must refuse to start: its exit status and its log.
    pub fn refused(self) -> (ExitStatus, String) {
        let mut server = self.spawn();
        let Some(status) = wait(&mut server.child, Duration::from_secs(30)) else {
            panic!("it should have refused to start: {}", server.log());
        };
        (status, server.log())
    }
}

/// A running server process; killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    log: Option<PathBuf>,
    _dir: Option<TempDir>,
}

impl Server {
    /// A server on a database of its own with these flags, its log kept.
    pub async fn start(flags: &[&str]) -> Self {
        Launch::fresh().args(flags).start().await
    }

    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(answer) = self.openapi(LOCALHOST).await
                && answer.status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not come up: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// GET the OpenAPI document from the loopback address `from`: a request anyone
    /// may make, answered at once.
    pub async fn openapi(&self, from: Ipv4Addr) -> std::io::Result<Answer> {
        http::send(self.address(), from, "GET", OPENAPI, &[], None).await
    }

    /// A call with a bearer token and a JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        http::call(self.port, method, path, token, body.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A GET with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call("GET", path, Some(token), None).await
    }

    /// Signs a demo administrator in; panics unless it works. The bearer token.
    pub async fn login(&self, username: &str) -> String {
        let body = login_body(username, demo_password(username));
        self.call("POST", LOGIN, None, Some(body))
            .await
            .assert_status(200)
            .json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A sign-in from the loopback address `from`: the answer, whatever it is.
    pub async fn login_from(&self, from: Ipv4Addr, username: &str, password: &str) -> Answer {
        let body = login_body(username, password).to_string();
        http::send(self.address(), from, "POST", LOGIN, &[], Some(&body))
            .await
            .unwrap_or_else(|error| panic!("login {username} from {from}: {error}"))
    }

    /// What the server wrote to its log file so far (nothing without one).
    pub fn log(&self) -> String {
        self.log.as_deref().map(read).unwrap_or_default()
    }

    /// The log shows no panic, and every 5xx it logged is a 503 on one of `busy` (what
    /// the test asked for); returns how many of those there were.
    #[track_caller]
    pub fn assert_log_clean(&self, busy: &[&str]) -> usize {
        let log = self.log();
        assert!(!log.contains("panicked"), "the server panicked:\n{log}");
        let errors: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("server error response"))
            .collect();
        for line in &errors {
            assert!(
                line.contains("status=503")
                    && busy
                        .iter()
                        .any(|path| line.contains(&format!("path={path}"))),
                "an unexpected server error: {line}\n{log}"
            );
        }
        errors.len()
    }

    /// SIGKILL: no shutdown, no cleanup, leases left behind.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }

    /// Sends SIGTERM; when it was sent.
    pub fn sigterm(&self) -> Instant {
        let signalled = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        signalled
    }

    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Waits for the exit: its status, the time since `since`, and the log.
    pub fn exit_since(&mut self, since: Instant) -> (ExitStatus, Duration, String) {
        let status = wait(&mut self.child, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("no exit 30 s after SIGTERM: {}", self.log()));
        (status, since.elapsed(), self.log())
    }

    /// SIGTERM, then waits for the exit: its status, how long it took, and the log.
    pub fn terminate(mut self) -> (ExitStatus, Duration, String) {
        let signalled = self.sigterm();
        self.exit_since(signalled)
    }

    /// The process's resident set, in bytes.
    pub fn rss(&self) -> u64 {
        rss(self.pid())
    }

    /// Samples the resident set every few milliseconds until the peak is asked for.
    pub fn sample_rss(&self) -> RssSampler {
        RssSampler::start(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free now and not handed out before in this process: the tests share one
/// process, so two servers starting at once are never given the same port.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("address")
            .port();
        if HANDED_OUT.lock().expect("ports").insert(port) {
            return port;
        }
    }
}

fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The server's database file, opened as another process would.
pub async fn open_database(database: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap()
}

/// A real user's sign-in from `from` that, answered 503 `busy`, tries again after its
/// Retry-After (at most five tries): the last answer, the tries and the time in all. (The
/// login storm bench's; the tests say how many tries.)
#[cfg(not(test))]
pub async fn sign_in_retrying(
    to: SocketAddr,
    from: Ipv4Addr,
    username: &str,
    password: &str,
) -> (std::io::Result<Answer>, usize, Duration) {
    sign_in_trying(to, from, username, password, 5).await
}

/// As `sign_in_retrying`, with at most `most` tries.
pub async fn sign_in_trying(
    to: SocketAddr,
    from: Ipv4Addr,
    username: &str,
    password: &str,
    most: usize,
) -> (std::io::Result<Answer>, usize, Duration) {
    let body = login_body(username, password).to_string();
    let asked = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let answer = http::send(to, from, "POST", LOGIN, &[], Some(&body)).await;
        let retry_after = match &answer {
            Ok(answer) if answer.status == 503 && tries < most => answer.retry_after(),
            _ => return (answer, tries, asked.elapsed()),
        };
        tokio::time::sleep(Duration::from_secs(retry_after)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Memory.

/// The resident set of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples a process's resident set every few milliseconds until dropped; the peak.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss(pid)));
        let thread = std::thread::spawn({
            let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
            move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        });
        RssSampler {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    pub fn peak(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Bytes in (decimal) megabytes, for reports.
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

// ---------------------------------------------------------------------------------------
// The wizard of Globex Teams (subscription 3, reseller Alpha's, not onboarded in the demo
// data), over the socket.

pub fn globex_teams(tail: &str) -> String {
    let demo = server::scenario::demo();
    let globex = demo.tenants.iter().find(|tenant| tenant.name == "Globex");
    let globex = globex.expect("the demo has Globex").uuid;
    format!("/api/v01/draas/demo/tenants/{globex}/subscriptions/3/{tail}")
}

/// How many of the wizard's steps `state` shows executed.
pub fn executed(state: &Value) -> usize {
    state["wizardSteps"].as_array().map_or(0, |steps| {
        steps.iter().filter(|s| s["executed"] == true).count()
    })
}

impl Server {
    /// A simulated MS tenant called `name` with credentials minted by create_app.ps1,
    /// stored on Globex Teams with an administrator: ready for the wizard. Its id.
    pub async fn store_integration(&self, token: &str, name: &str) -> String {
        let created = self
            .call(
                "POST",
                "/sim/v1/tenants",
                Some(token),
                Some(json!({"name": name})),
            )
            .await;
        let ms_tenant = created.assert_status(201).json()["msTenantId"]
            .as_str()
            .unwrap()
            .to_owned();
        let create_app = format!("/sim/v1/tenants/{ms_tenant}/create_app");
        let minted = self
            .call("POST", &create_app, Some(token), Some(json!({})))
            .await;
        let minted = minted.assert_status(200).json();
        let application = json!({"msTeamsTenantId": ms_tenant, "applicationId": minted["applicationId"], "secret": minted["secret"]});
        let admin = json!({"msUsername": "teams.admin@binarytest.onmicrosoft.com", "msPassword": "Adm1n-Passw0rd"});
        for (tail, body) in [
            ("msteams/applications", application),
            ("msteams/admins", admin),
        ] {
            self.call("POST", &globex_teams(tail), Some(token), Some(body))
                .await
                .assert_status(204);
        }
        ms_tenant
    }

    /// Starts Globex Teams' wizard (must be 200); the run's transaction id.
    pub async fn start_wizard(&self, token: &str) -> i64 {
        self.call("POST", &globex_teams("msteams/wizard"), Some(token), None)
            .await
            .assert_status(200)
            .json()["id"]
            .as_i64()
            .unwrap()
    }

    /// Polls GET wizard every `every` until `over(status, state)` (which asserts what it
    /// must of each answer, beyond the 200 or 404 every answer is); the last state.
    /// `what` says what did not happen in 60 s.
    pub async fn poll_wizard(
        &self,
        token: &str,
        every: Duration,
        what: &str,
        mut over: impl FnMut(u16, &Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self.get(&globex_teams("msteams/wizard"), token).await;
            let (status, state) = (answer.status, answer.json());
            assert!(status == 200 || status == 404, "{status}: {state}");
            if over(status, &state) {
                return state;
            }
            assert!(Instant::now() < deadline, "{what}: {state}");
            tokio::time::sleep(every).await;
        }
    }

    /// Watches the running wizard closely until `reached(state)`; the run must not end
    /// first.
    pub async fn wizard_reaches(&self, token: &str, reached: impl Fn(&Value) -> bool) {
        let every = Duration::from_millis(5);
        self.poll_wizard(token, every, "the run did not progress", |_, state| {
            assert!(state["running"] != false, "the run ended too soon: {state}");
            reached(state)
        })
        .await;
    }

    /// Polls GET wizard until the run is over, its preparation phase (404) waited out;
    /// the final state (200).
    pub async fn wizard_end(&self, token: &str) -> Value {
        let every = Duration::from_millis(50);
        self.poll_wizard(token, every, "the run did not complete", |status, state| {
            status == 200 && state["running"] == false
        })
        .await
    }

    /// The run `id` succeeded once: all six steps, its transaction, one of each object at
    /// Microsoft, and no license left consumed.
    pub async fn assert_completed_once(&self, token: &str, ms_tenant: &str, id: i64) {
        let state = self.wizard_end(token).await;
        assert_eq!(executed(&state), 6, "{state}");
        let transaction = self
            .get(&format!("/api/v01/transactions/{id}"), token)
            .await;
        assert_eq!(transaction.json()["status"], "succeeded", "{transaction:?}");
        let sim = self
            .get(&format!("/sim/v1/tenants/{ms_tenant}"), token)
            .await
            .json();
        assert_eq!(sim["domains"].as_array().unwrap().len(), 1, "{sim}");
        assert_eq!(sim["dnsRecords"].as_array().unwrap().len(), 4, "{sim}");
        assert_eq!(sim["users"].as_array().unwrap().len(), 1, "{sim}");
        assert_eq!(sim["users"][0]["licenses"], json!([]), "{sim}");
        let licenses = sim["licenses"].as_array().unwrap();
        assert!(licenses.iter().all(|l| l["consumedUnits"] == 0), "{sim}");
        assert_eq!(sim["voiceObjects"].as_array().unwrap().len(), 3, "{sim}");
        let journal = format!("/sim/v1/tenants/{ms_tenant}/journal?limit=1000");
        let journal = self.get(&journal, token).await.json();
        for operation in [
            "POST /domains",
            "POST /users",
            "New-CsOnlineVoiceRoute",
            "New-CsOnlineVoiceRoutingPolicy",
        ] {
            let created = journal
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["operation"] == operation && e["outcome"] == "created")
                .count();
            assert_eq!(created, 1, "{operation} created once: {journal}");
        }
    }
}
