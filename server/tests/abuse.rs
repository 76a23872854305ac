//! Abuse against the real server binary: a storm of wrong logins, from one address or
//! from a hundred, stays bounded in memory and lets real users in; repeated wrong
//! passwords are throttled with Retry-After; a username blocked by guesses from a few
//! addresses still lets its owner in from a clean one; known and unknown usernames take
//! the same time; and slow or idle clients are cut off by the header, body and request
//! deadlines and the connection cap.
//!
//! Clients bind to other loopback addresses (127.0.0.2, 127.0.1.7…) to act as
//! different client addresses for the throttle.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener},
    path::PathBuf,
    process::{Child, Command},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

/// The tests that measure time or memory run one at a time, so that they do not load
/// the two cores for each other.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const LOGIN: &str = "/api/v01/auth/login";
const OPENAPI: &str = "/api/v01/openapi.json";

struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(flags: &[&str]) -> Self {
        Self::start_with(flags, &[]).await
    }

    /// `start` with environment variables besides (for settings that a server without
    /// them would ignore rather than refuse, as it would an unknown flag).
    async fn start_with(flags: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("fusion.db");
        let log = dir.path().join("server.log");
        let port = free_port();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(flags)
            .current_dir(&root)
            .env("DATABASE_URL", format!("sqlite://{}", database.display()))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("FUSION_DEMO", "true")
            .env("FUSION_SECRET_KEY", "a7".repeat(32))
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            // The log (tracing writes to stdout) and any panic (stderr), in one file.
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("server binary starts");
        let server = Server {
            child,
            port,
            log,
            _dir: dir,
        };
        server.ready().await;
        server
    }

    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(answer) = self.call(LOCALHOST, "GET", OPENAPI, &[], None).await
                && answer.status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not come up: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    async fn call(
        &self,
        from: Ipv4Addr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> std::io::Result<Answer> {
        exchange(self.address(), from, method, path, headers, body).await
    }

    async fn login(&self, from: Ipv4Addr, username: &str, password: &str) -> Answer {
        let body = json!({"username": username, "password": password}).to_string();
        self.call(from, "POST", LOGIN, &[], Some(&body))
            .await
            .unwrap_or_else(|error| panic!("login {username} from {from}: {error}"))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log shows no panic, and every 5xx it logged is a 503 on one of `allowed`
    /// (what the test asked for); returns how many of those there were.
    fn assert_log_clean(&self, allowed: &[&str]) -> usize {
        let log = self.log_text();
        assert!(!log.contains("panicked"), "the server panicked:\n{log}");
        let errors: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("server error response"))
            .collect();
        for line in &errors {
            assert!(
                line.contains("status=503")
                    && allowed
                        .iter()
                        .any(|path| line.contains(&format!("path={path}"))),
                "an unexpected server error: {line}\n{log}"
            );
        }
        errors.len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address")
        .port()
}

const LOCALHOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// A TCP connection to `to` from the loopback address `from`.
async fn connect(to: SocketAddr, from: Ipv4Addr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    socket.connect(to).await
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// One HTTP/1.1 exchange with `Connection: close`; a connection closed before a whole
/// answer is an error.
async fn exchange(
    to: SocketAddr,
    from: Ipv4Addr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Answer> {
    let mut stream = connect(to, from).await?;
    let body = body.unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> std::io::Result<Answer> {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Err(std::io::Error::other(format!("no whole answer: {text:?}")));
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {head:?}")))?;
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: Option<usize> = headers.get("content-length").and_then(|n| n.parse().ok());
    if length.is_some_and(|length| body.len() < length) {
        return Err(std::io::Error::other(format!("truncated answer: {text:?}")));
    }
    Ok(Answer {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// The resident set of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
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
struct RssSampler {
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

    fn peak(mut self) -> u64 {
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

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// A username no one has, different on every call and in every run.
fn random_username(n: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("storm-{n}-{nanos:x}@nowhere.example")
}

const STORM: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_wrong_logins_stays_small_in_memory_and_lets_real_users_in() {
    let _alone = MEASURING.lock().await;
    // The 100 connections from one address are all let in (by default past 64 the
    // rest would be closed at once): this is about the sign-in path, not that cap.
    let server = Server::start_with(&[], &[("FUSION_MAX_CONNECTIONS_PER_ADDRESS", "0")]).await;
    let pid = server.pid();
    let before = rss(pid);
    let sampler = RssSampler::start(pid);
    let started = Instant::now();
    let attacker = Ipv4Addr::new(127, 0, 0, 2);
    let address = server.address();
    let storm: Vec<_> = (0..STORM)
        .map(|n| {
            let body = json!({"username": random_username(n), "password": "wrong-password"});
            tokio::spawn(async move {
                exchange(
                    address,
                    attacker,
                    "POST",
                    LOGIN,
                    &[],
                    Some(&body.to_string()),
                )
                .await
            })
        })
        .collect();
    // Real users sign in while the storm is being answered, each from an address of
    // their own: at once, while the queue is full, and while it drains.
    let real_users = [
        (0, LOCALHOST, "group.admin", "demo-group"),
        (50, Ipv4Addr::new(127, 0, 0, 7), "alpha.admin", "demo-alpha"),
        (200, Ipv4Addr::new(127, 0, 0, 8), "beta.admin", "demo-beta"),
    ]
    .map(|(delay, from, username, password)| {
        let body = json!({"username": username, "password": password}).to_string();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let asked = Instant::now();
            let answer = exchange(address, from, "POST", LOGIN, &[], Some(&body)).await;
            (answer, asked.elapsed())
        })
    });
    let mut real = Vec::new();
    for login in real_users {
        real.push(login.await.unwrap());
    }
    let mut answers = Vec::new();
    for task in storm {
        answers.push(task.await.unwrap());
    }
    let wall = started.elapsed();
    let peak = sampler.peak();
    let after = rss(pid);

    let mut counts: HashMap<u16, usize> = HashMap::new();
    for answer in &answers {
        let answer = answer
            .as_ref()
            .unwrap_or_else(|error| panic!("a storm connection was dropped: {error}"));
        *counts.entry(answer.status).or_default() += 1;
        match answer.status {
            401 => {}
            429 => assert_eq!(answer.json()["code"], "too_many_requests", "{answer:?}"),
            503 => {
                assert_eq!(answer.json()["code"], "busy", "{answer:?}");
                assert_eq!(answer.header("retry-after"), Some("1"), "{answer:?}");
            }
            _ => panic!("a storm login answered {answer:?}"),
        }
    }
    let latencies: Vec<Duration> = real.iter().map(|(_, took)| *took).collect();
    eprintln!(
        "login storm ({STORM} wrong logins): {counts:?} in {wall:?}; real logins took \
         {latencies:?}; RSS before {:.1} MB, peak {:.1} MB, after {:.1} MB",
        mb(before),
        mb(peak),
        mb(after)
    );
    for (answer, took) in &real {
        let answer = answer.as_ref().expect("the real login was answered");
        assert_eq!(answer.status, 200, "a real user was refused: {answer:?}");
        assert!(*took < Duration::from_secs(2), "a real login took {took:?}");
    }
    assert!(
        counts.get(&429).copied().unwrap_or_default() > 0,
        "{counts:?}"
    );
    assert!(peak < 300_000_000, "peak RSS {:.1} MB", mb(peak));
    assert!(after < 300_000_000, "RSS after {:.1} MB", mb(after));
    let busy = server.assert_log_clean(&[LOGIN]);
    assert_eq!(
        busy,
        counts.get(&503).copied().unwrap_or_default(),
        "{}",
        server.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_in_a_row_are_answered_429_with_a_retry_after_that_is_enough() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    let from = Ipv4Addr::new(127, 0, 0, 3);
    let mut statuses = Vec::new();
    let mut last_retry_after = None;
    for _ in 0..400 {
        let answer = server.login(from, "alpha.admin", "not-the-password").await;
        if answer.status == 429 {
            assert_eq!(
                answer.header("content-type"),
                Some("application/problem+json")
            );
            assert_eq!(answer.json()["code"], "too_many_requests", "{answer:?}");
            let seconds: u64 = answer
                .header("retry-after")
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("429 without Retry-After: {answer:?}"));
            assert!((1..=900).contains(&seconds), "{answer:?}");
            last_retry_after = Some(seconds);
        }
        statuses.push(answer.status);
    }
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    eprintln!("400 wrong passwords in a row: {checked} × 401, {refused} × 429");
    assert_eq!(&statuses[..5], &[401; 5], "the first five are checked");
    assert_eq!(statuses[5], 429, "the sixth waits");
    assert_eq!(checked + refused, 400, "{statuses:?}");
    assert!(
        checked <= 10,
        "{checked} passwords were checked: {statuses:?}"
    );

    // Waiting as long as Retry-After says is enough for one more try, and only one.
    let wait = last_retry_after.unwrap();
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    let retry = server.login(from, "alpha.admin", "not-the-password").await;
    assert_eq!(retry.status, 401, "after Retry-After ({wait} s): {retry:?}");
    let again = server.login(from, "alpha.admin", "not-the-password").await;
    assert_eq!(again.status, 429, "{again:?}");
    // The block counts this pair, not the account everywhere: the owner signs in from
    // another address.
    let owner = server
        .login(Ipv4Addr::new(127, 0, 0, 4), "alpha.admin", "demo-alpha")
        .await;
    assert_eq!(owner.status, 200, "{owner:?}");
    server.assert_log_clean(&[]);
}

/// A real user's sign-in that, answered 503 `busy`, tries again after its Retry-After
/// (at most five tries): the last answer, the tries and the time in all.
async fn sign_in_retrying(
    to: SocketAddr,
    from: Ipv4Addr,
    username: &str,
    password: &str,
) -> (std::io::Result<Answer>, usize, Duration) {
    let body = json!({"username": username, "password": password}).to_string();
    let asked = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let answer = exchange(to, from, "POST", LOGIN, &[], Some(&body)).await;
        let retry_after = match &answer {
            Ok(answer) if answer.status == 503 && tries < 5 => answer
                .header("retry-after")
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("503 without Retry-After: {answer:?}")),
            _ => return (answer, tries, asked.elapsed()),
        };
        tokio::time::sleep(Duration::from_secs(retry_after)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_blocked_by_guessers_still_lets_its_owner_in_from_a_clean_address() {
    let server = Server::start(&[]).await;
    let attackers = (2..=5).map(|n| Ipv4Addr::new(127, 0, 0, n));
    let attackers: Vec<Ipv4Addr> = attackers.collect();
    let fifth = Ipv4Addr::new(127, 0, 0, 6);
    let started = Instant::now();
    // A fifth attacking address guesses once, then four guess in turn, each as soon as
    // the throttle lets it: the 20th failure blocks the username for 1 s, and each
    // failure when a block has ended doubles it (2, 4, then 8 s after the 23rd).
    assert_eq!(
        server.login(fifth, "group.admin", "guess").await.status,
        401
    );
    let mut failures = 1;
    while failures < 23 {
        let mut refused = 0;
        for from in &attackers {
            let answer = server.login(*from, "group.admin", "guess").await;
            match answer.status {
                401 => failures += 1,
                429 => refused += 1,
                _ => panic!("a guess answered {answer:?}"),
            }
            if failures == 23 {
                break;
            }
        }
        if refused == attackers.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{failures}");
    }
    let blocked_at = Instant::now();
    eprintln!(
        "{failures} wrong passwords for group.admin from 5 addresses in {:?}",
        started.elapsed()
    );
    // The username is blocked: an address that guessed waits, for as long as the
    // username's block (the fifth's own pair and address have one failure each, far
    // from blocked).
    let waits = server.login(fifth, "group.admin", "guess").await;
    assert_eq!(waits.status, 429, "{waits:?}");
    let retry_after: u64 = waits.header("retry-after").unwrap().parse().unwrap();
    assert!((5..=8).contains(&retry_after), "{waits:?}");
    for from in &attackers {
        let answer = server.login(*from, "group.admin", "guess").await;
        assert_eq!(answer.status, 429, "{answer:?}");
    }

    // The owner, from a clean address, with the right password: in at once.
    let asked = Instant::now();
    let owner = server
        .login(Ipv4Addr::new(127, 0, 0, 9), "group.admin", "demo-group")
        .await;
    let took = asked.elapsed();
    eprintln!("the owner signed in from a clean address in {took:?}");
    assert_eq!(owner.status, 200, "{owner:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // The fifth attacking address stays refused, whatever password it sends (that
    // is decided before any check, by the address's record alone).
    for password in ["guess", "demo-group"] {
        let answer = server.login(fifth, "group.admin", password).await;
        assert_eq!(answer.status, 429, "{answer:?}");
    }
    // Fresh addresses pass the block one per 5 s: a guesser with many addresses gets
    // one guess there, the next is told to come back when the next may pass.
    let first = server
        .login(Ipv4Addr::new(127, 0, 0, 11), "group.admin", "guess")
        .await;
    assert_eq!(first.status, 401, "{first:?}");
    let second = server
        .login(Ipv4Addr::new(127, 0, 0, 12), "group.admin", "guess")
        .await;
    assert_eq!(second.status, 429, "{second:?}");
    let retry_after: u64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry_after), "{second:?}");
    let again = server
        .login(Ipv4Addr::new(127, 0, 0, 11), "group.admin", "guess")
        .await;
    assert_eq!(again.status, 429, "no longer fresh: {again:?}");
    assert!(
        blocked_at.elapsed() < Duration::from_secs(5),
        "all within the username's 8 s block: {:?}",
        blocked_at.elapsed()
    );
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_first_tries_from_a_hundred_addresses_stays_bounded_and_lets_real_users_in() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    let pid = server.pid();
    let before = rss(pid);
    let sampler = RssSampler::start(pid);
    let started = Instant::now();
    let address = server.address();
    // Every storm login is a first try: an unknown username, from an address of its
    // own (127.0.0.10–109) with no failures on record.
    let storm: Vec<_> = (0..STORM)
        .map(|n| {
            let from = Ipv4Addr::new(127, 0, 0, 10 + n as u8);
            let body = json!({"username": random_username(n), "password": "wrong-password"});
            tokio::spawn(async move {
                exchange(address, from, "POST", LOGIN, &[], Some(&body.to_string())).await
            })
        })
        .collect();
    // Real users sign in during the storm, from addresses of their own, trying again
    // after Retry-After when told the checks are busy: at once, while the queue is
    // full, and while it drains.
    let real_users = [
        (0, Ipv4Addr::new(127, 0, 1, 1), "group.admin", "demo-group"),
        (50, Ipv4Addr::new(127, 0, 1, 2), "alpha.admin", "demo-alpha"),
        (200, Ipv4Addr::new(127, 0, 1, 3), "beta.admin", "demo-beta"),
    ]
    .map(|(delay, from, username, password)| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            sign_in_retrying(address, from, username, password).await
        })
    });
    let mut answers = Vec::new();
    for task in storm {
        answers.push(task.await.unwrap());
    }
    let wall = started.elapsed();
    let mut real = Vec::new();
    for login in real_users {
        real.push(login.await.unwrap());
    }
    let peak = sampler.peak();
    let after = rss(pid);

    let mut counts: HashMap<u16, usize> = HashMap::new();
    for answer in &answers {
        let answer = answer
            .as_ref()
            .unwrap_or_else(|error| panic!("a storm connection was dropped: {error}"));
        *counts.entry(answer.status).or_default() += 1;
        match answer.status {
            401 => {}
            503 => {
                assert_eq!(answer.json()["code"], "busy", "{answer:?}");
                assert_eq!(answer.header("retry-after"), Some("1"), "{answer:?}");
            }
            _ => panic!("a storm login answered {answer:?}"),
        }
    }
    let outcomes: Vec<String> = real
        .iter()
        .map(|(answer, tries, took)| {
            let status = answer.as_ref().map_or(0, |answer| answer.status);
            format!("{status} after {tries} tries in {took:?}")
        })
        .collect();
    eprintln!(
        "login storm ({STORM} first tries from {STORM} addresses): {counts:?} in {wall:?}; \
         real logins: {outcomes:?}; RSS before {:.1} MB, peak {:.1} MB, after {:.1} MB",
        mb(before),
        mb(peak),
        mb(after)
    );
    // What the bounded queues promise a real user: answered at once or checked within
    // a queue's worth of checks; turned away (503, Retry-After 1) only while the
    // queue is full, and a storm that has been answered leaves room for the retry.
    let mut busy_real = 0;
    for (answer, tries, took) in &real {
        let answer = answer.as_ref().expect("the real login was answered");
        assert_eq!(answer.status, 200, "a real user was refused: {answer:?}");
        assert!(*tries <= 2, "{tries} tries in {took:?}");
        assert!(*took < Duration::from_secs(2), "a real login took {took:?}");
        busy_real += tries - 1;
    }
    assert!(peak < 300_000_000, "peak RSS {:.1} MB", mb(peak));
    assert!(after < 300_000_000, "RSS after {:.1} MB", mb(after));
    let busy = server.assert_log_clean(&[LOGIN]);
    assert_eq!(
        busy,
        counts.get(&503).copied().unwrap_or_default() + busy_real,
        "{}",
        server.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_usernames_take_the_same_time_to_refuse() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    // Warm up both paths (the stand-in hash for unknown users is made on first use).
    server
        .login(Ipv4Addr::new(127, 0, 3, 1), "nobody.here", "wrong")
        .await;
    server
        .login(Ipv4Addr::new(127, 0, 3, 2), "beta.admin", "wrong")
        .await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Interleaved, each from an address of its own, so that the throttle stays out of
    // it and a change in the machine's load touches both alike.
    for n in 1..=10u8 {
        for is_known in [n % 2 == 0, n % 2 != 0] {
            let (from, username) = if is_known {
                (Ipv4Addr::new(127, 0, 1, n), "beta.admin".to_owned())
            } else {
                (Ipv4Addr::new(127, 0, 2, n), format!("beta.admin{n}"))
            };
            let asked = Instant::now();
            let answer = server.login(from, &username, "wrong").await;
            let took = asked.elapsed();
            assert_eq!(answer.status, 401, "{answer:?}");
            if is_known {
                known.push(took);
            } else {
                unknown.push(took);
            }
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("wrong password, median: known user {known:?}, unknown user {unknown:?}");
    // A password check takes tens of milliseconds and a database look-up well under
    // one: without the stand-in check the unknown user would answer many times faster.
    assert!(
        unknown * 2 >= known && known * 2 >= unknown,
        "known {known:?} vs unknown {unknown:?}"
    );
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_abandoned_in_the_queue_do_not_keep_a_place_in_it() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    let address = server.address();
    // Wrong logins that queue for a password check, whose clients hang up while they wait.
    let quitter = Ipv4Addr::new(127, 0, 0, 5);
    let quitters: Vec<_> = (0..30)
        .map(|n| {
            let body = json!({"username": random_username(n), "password": "wrong"}).to_string();
            tokio::spawn(async move {
                let mut stream = connect(address, quitter).await.unwrap();
                let head = format!(
                    "POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(30)).await;
                drop(stream);
            })
        })
        .collect();
    for quitter in quitters {
        quitter.await.unwrap();
    }
    // Let the checks already running end.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Four people behind one address that has seen a failure sign in at once: they
    // queue for a check, and the places the quitters took must be free again.
    let office = Ipv4Addr::new(127, 0, 0, 6);
    assert_eq!(server.login(office, "nobody", "wrong").await.status, 401);
    let logins = [
        ("group.admin", "demo-group"),
        ("alpha.admin", "demo-alpha"),
        ("beta.admin", "demo-beta"),
        ("group.admin", "demo-group"),
    ]
    .map(|(username, password)| {
        let body = json!({"username": username, "password": password}).to_string();
        tokio::spawn(
            async move { exchange(address, office, "POST", LOGIN, &[], Some(&body)).await },
        )
    });
    for login in logins {
        let answer = login.await.unwrap().unwrap();
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    // Quitters past the full queue were answered 503 busy before they hung up.
    server.assert_log_clean(&[LOGIN]);
}

/// What a slow client saw: how long until the server closed, and what it sent first.
#[derive(Debug)]
struct Cutoff {
    after: Duration,
    received: String,
}

/// Keeps writing `trickle` one piece a second after `head`, until the server closes the
/// connection (or `limit`).
async fn trickle(
    to: SocketAddr,
    head: &str,
    trickle: &'static [u8],
    every: Duration,
    limit: Duration,
) -> Cutoff {
    let started = Instant::now();
    let mut stream = connect(to, LOCALHOST).await.unwrap();
    if !head.is_empty() {
        stream.write_all(head.as_bytes()).await.unwrap();
    }
    let (mut reader, mut writer) = stream.into_split();
    let writing = async move {
        if trickle.is_empty() {
            return std::future::pending().await;
        }
        loop {
            tokio::time::sleep(every).await;
            // A write to a closed connection may still succeed once; reading sees it.
            if writer.write_all(trickle).await.is_err() {
                return std::future::pending().await;
            }
        }
    };
    let reading = async move {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
        String::from_utf8_lossy(&received).into_owned()
    };
    tokio::select! {
        received = reading => Cutoff { after: started.elapsed(), received },
        () = writing => unreachable!(),
        () = tokio::time::sleep(limit) => panic!("still connected after {limit:?}"),
    }
}

const HEADER_START: &str = "GET /api/v01/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n";

fn body_start(length: usize) -> String {
    format!(
        "POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_while_others_are_served() {
    let server =
        Server::start(&["--header-timeout-secs", "3", "--request-timeout-secs", "5"]).await;
    let to = server.address();
    let second = Duration::from_secs(1);
    let limit = Duration::from_secs(15);
    let header_lines = trickle(to, HEADER_START, b"X-Slow: 1\r\n", second, limit);
    let idle = trickle(to, "", b"", second, limit);
    // A kept-alive connection after its request is idle like a new one.
    let whole_request = format!("{HEADER_START}\r\n");
    let kept_alive = trickle(to, &whole_request, b"", second, limit);
    // The body arrives a byte a second: all of it must arrive within the body deadline
    // (= the header deadline, 3 s), which ends it before the request deadline (5 s).
    let drip_head = body_start(1000);
    let body_drip = trickle(to, &drip_head, b" ", second, limit);
    // A body that stops after a few bytes: the body deadline ends it.
    let stall_head = body_start(1000) + "{\"user";
    let body_stall = trickle(to, &stall_head, b"", second, limit);
    let others = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let asked = Instant::now();
            let answer = server.call(LOCALHOST, "GET", OPENAPI, &[], None).await;
            slowest = slowest.max(asked.elapsed());
            assert_eq!(answer.unwrap().status, 200);
        }
        let answer = server.login(LOCALHOST, "beta.admin", "demo-beta").await;
        assert_eq!(answer.status, 200, "{answer:?}");
        slowest
    };
    let (header_lines, idle, kept_alive, body_drip, body_stall, slowest) = tokio::join!(
        header_lines,
        idle,
        kept_alive,
        body_drip,
        body_stall,
        others
    );
    eprintln!("header lines a second: {header_lines:?}");
    eprintln!("idle: {idle:?}");
    eprintln!("kept alive: {:?}", kept_alive.after);
    eprintln!("body a byte a second: {body_drip:?}");
    eprintln!("body stalled: {body_stall:?}");
    eprintln!("others were answered within {slowest:?}");

    let header_deadline = Duration::from_millis(2900)..Duration::from_secs(5);
    assert!(
        header_deadline.contains(&header_lines.after),
        "{header_lines:?}"
    );
    assert!(header_deadline.contains(&idle.after), "{idle:?}");
    // Cut off without an answer: the request never began.
    assert_eq!(header_lines.received, "", "{header_lines:?}");
    assert_eq!(idle.received, "", "{idle:?}");
    assert!(
        header_deadline.contains(&kept_alive.after),
        "{kept_alive:?}"
    );
    assert_eq!(
        parse_answer(kept_alive.received.as_bytes()).unwrap().status,
        200
    );

    // The body deadline answers 408 problem+json "timeout" (the client's fault, not a
    // 503) and closes.
    let dripped = parse_answer(body_drip.received.as_bytes()).unwrap();
    assert_eq!(dripped.status, 408, "{body_drip:?}");
    assert_eq!(dripped.json()["code"], "timeout", "{body_drip:?}");
    assert!(
        (Duration::from_millis(2900)..Duration::from_secs(5)).contains(&body_drip.after),
        "{body_drip:?}"
    );

    // The body deadline (= the header deadline, 3 s) answers the stalled body.
    let stalled = parse_answer(body_stall.received.as_bytes()).unwrap();
    assert!(
        (Duration::from_millis(2900)..Duration::from_secs(5)).contains(&body_stall.after),
        "{body_stall:?}"
    );
    assert_eq!(stalled.status, 408, "{body_stall:?}");
    assert!(
        stalled.body.contains("\"code\":\"timeout\""),
        "{body_stall:?}"
    );

    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_client_trickling_header_lines_is_cut_off_after_ten_seconds() {
    let server = Server::start(&[]).await;
    let to = server.address();
    let second = Duration::from_secs(1);
    let limit = Duration::from_secs(20);
    // And a body a byte a second: by default it has ten seconds to arrive whole.
    let drip_head = body_start(1000);
    let (header_lines, idle, body_drip) = tokio::join!(
        trickle(to, HEADER_START, b"X-Slow: 1\r\n", second, limit),
        trickle(to, "", b"", second, limit),
        trickle(to, &drip_head, b" ", second, limit),
    );
    eprintln!("default deadline: header lines {header_lines:?}, idle {idle:?}, body {body_drip:?}");
    let deadline = Duration::from_millis(9900)..Duration::from_secs(12);
    assert!(deadline.contains(&header_lines.after), "{header_lines:?}");
    assert!(deadline.contains(&idle.after), "{idle:?}");
    assert!(deadline.contains(&body_drip.after), "{body_drip:?}");
    let dripped = parse_answer(body_drip.received.as_bytes()).unwrap();
    assert_eq!(dripped.status, 408, "{body_drip:?}");
    assert_eq!(dripped.json()["code"], "timeout", "{body_drip:?}");
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_a_request_waits_for_a_free_slot_and_is_served() {
    let server = Server::start(&["--max-connections", "4", "--header-timeout-secs", "3"]).await;
    let to = server.address();
    // Let the readiness probe's connection end and free its slot.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect(to, LOCALHOST).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fifth = server.call(LOCALHOST, "GET", OPENAPI, &[], None).await;
    let waited = started.elapsed();
    eprintln!("the fifth connection was served after {waited:?}");
    assert_eq!(fifth.unwrap().status, 200);
    // Served once the header deadline closed the idle ones (3 s), not before.
    assert!(
        (Duration::from_millis(2900)..Duration::from_secs(8)).contains(&waited),
        "{waited:?}"
    );
    for mut connection in idle {
        let mut buffer = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(1), connection.read(&mut buffer))
            .await
            .expect("the idle connection was closed");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    // And with the slots free again, requests are served at once.
    let asked = Instant::now();
    let answer = server.call(LOCALHOST, "GET", OPENAPI, &[], None).await;
    assert_eq!(answer.unwrap().status, 200);
    assert!(asked.elapsed() < Duration::from_secs(1));
    server.assert_log_clean(&[]);
}
