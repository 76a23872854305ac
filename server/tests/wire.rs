//! The wire, against the real server binary: one client address cannot hold more than
//! its share of the connections, a request body must arrive whole within the body
//! deadline (a trickled one is answered 408 like a stalled one, on REST routes and
//! server functions alike) and within 64 KiB whatever it declares, and the server goes
//! on answering everyone else meanwhile.
//!
//! Clients bind to other loopback addresses (127.0.0.2…) to act as different client
//! addresses.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener},
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

const LOGIN: &str = "/api/v01/auth/login";
const UI_LOGIN: &str = "/ui/login";
const OPENAPI: &str = "/api/v01/openapi.json";
const LOCALHOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// The API's body limit (`api::BODY_LIMIT`).
const BODY_LIMIT: usize = 64 * 1024;

struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(flags: &[&str]) -> Self {
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

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log shows no panic and no 5xx.
    fn assert_log_clean(&self) {
        let log = self.log_text();
        assert!(!log.contains("panicked"), "the server panicked:\n{log}");
        assert!(
            !log.contains("server error response"),
            "the server answered a 5xx:\n{log}"
        );
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

    /// A problem+json answer with this status and code.
    fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.json()["code"], code, "{self:?}");
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

/// What a client saw: how long until the server closed the connection, and what it
/// sent before.
#[derive(Debug)]
struct Cutoff {
    after: Duration,
    received: String,
}

impl Cutoff {
    fn answer(&self) -> Answer {
        parse_answer(self.received.as_bytes()).unwrap_or_else(|error| panic!("{error}: {self:?}"))
    }
}

/// Sends `head`, then `drip` every `every` (or nothing more when it is empty), until
/// the server closes the connection; panics when it is still open after `limit`.
async fn send_slowly(
    to: SocketAddr,
    head: String,
    drip: &'static [u8],
    every: Duration,
    limit: Duration,
) -> Cutoff {
    let started = Instant::now();
    let mut stream = connect(to, LOCALHOST).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (reader, mut writer) = stream.into_split();
    let writing = async move {
        if drip.is_empty() {
            return std::future::pending().await;
        }
        loop {
            tokio::time::sleep(every).await;
            // A write to a closed connection may still succeed once; reading sees it.
            if writer.write_all(drip).await.is_err() {
                return std::future::pending().await;
            }
        }
    };
    tokio::select! {
        received = read_until_closed(reader) => Cutoff { after: started.elapsed(), received },
        () = writing => unreachable!(),
        () = tokio::time::sleep(limit) => panic!("still connected after {limit:?}"),
    }
}

/// Sends all of `request` while reading what comes back, until the server closes.
async fn send_all(to: SocketAddr, request: Vec<u8>) -> Cutoff {
    let started = Instant::now();
    let stream = connect(to, LOCALHOST).await.unwrap();
    let (reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        // The server may close before it has read everything.
        let _ = writer.write_all(&request).await;
        writer
    });
    let received = tokio::time::timeout(Duration::from_secs(10), read_until_closed(reader))
        .await
        .expect("the server closed the connection");
    let _ = writing.await;
    Cutoff {
        after: started.elapsed(),
        received,
    }
}

async fn read_until_closed(mut reader: tokio::net::tcp::OwnedReadHalf) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// Whether the server closed `stream` within `wait` (an end of stream or a reset).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 64];
    match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(n)) => panic!(
            "the server sent {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
        Err(_) => false,
    }
}

/// What a sign-in's body is: JSON for the REST API, a form for the server function.
fn content_type(path: &str) -> &'static str {
    if path == UI_LOGIN {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    }
}

/// The head of a sign-in POST whose body is to come.
fn post_head(path: &str, length: usize) -> String {
    let content_type = content_type(path);
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
         Accept: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// `body` sent in chunks of 1 KiB, without a Content-Length.
fn chunked_post(path: &str, body: &str) -> Vec<u8> {
    let content_type = content_type(path);
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
         Accept: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.as_bytes().chunks(1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request
}

/// A sign-in body for `path`, padded to `length` bytes: with JSON whitespace, or a form
/// field the server function ignores.
fn padded_login(path: &str, username: &str, password: &str, length: usize) -> String {
    if path == UI_LOGIN {
        let body = format!("username={username}&password={password}&padding=");
        let padding = "x".repeat(length.saturating_sub(body.len()));
        return body + &padding;
    }
    let body = json!({"username": username, "password": password}).to_string();
    let padding = " ".repeat(length.saturating_sub(body.len()));
    format!("{}{padding}}}", &body[..body.len() - 1])
}

/// A whole sign-in as beta.admin, at once.
async fn sign_in(server: &Server, path: &str, body: &str) -> std::io::Result<Answer> {
    let headers = [
        ("Accept", "application/json"),
        ("Content-Type", content_type(path)),
    ];
    exchange_typed(server.address(), path, &headers, body).await
}

/// `exchange` for a POST whose Content-Type is among `headers`.
async fn exchange_typed(
    to: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut stream = connect(to, LOCALHOST).await?;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_answer(&raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_share_an_address_is_closed_at_once_and_others_are_served() {
    let server = Server::start(&[
        "--max-connections-per-address",
        "3",
        "--max-connections",
        "4",
    ])
    .await;
    let to = server.address();
    // Let the readiness probe's connection end.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let crowd = Ipv4Addr::new(127, 0, 0, 2);
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(connect(to, crowd).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // More from the same address are closed at once, a request on them or not.
    let mut slowest_close = Duration::ZERO;
    for attempt in 0..5 {
        let asked = Instant::now();
        let mut extra = connect(to, crowd).await.unwrap();
        if attempt % 2 == 0 {
            // The server may already have closed it: the write may fail.
            let _ = extra
                .write_all(format!("GET {OPENAPI} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
                .await;
        }
        assert!(
            closed_within(&mut extra, Duration::from_secs(2)).await,
            "connection {} from {crowd} was left open",
            attempt + 4
        );
        let took = asked.elapsed();
        assert!(took < Duration::from_secs(1), "closed after {took:?}");
        slowest_close = slowest_close.max(took);
    }

    // Another address gets the last of the four slots at once: the refused
    // connections took none.
    let asked = Instant::now();
    let answer = server.call(LOCALHOST, "GET", OPENAPI, &[], None).await;
    let took = asked.elapsed();
    assert_eq!(answer.unwrap().status, 200);
    assert!(took < Duration::from_secs(1), "served after {took:?}");

    // The three within the share are still open…
    for connection in &mut idle {
        assert!(!closed_within(connection, Duration::from_millis(200)).await);
    }
    // …and when one goes, its place is free again.
    drop(idle.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    let answer = server.call(crowd, "GET", OPENAPI, &[], None).await;
    assert_eq!(answer.unwrap().status, 200);
    assert!(asked.elapsed() < Duration::from_secs(1));
    eprintln!(
        "past its share, connections were closed within {slowest_close:?}; another address \
         was served within {took:?}"
    );
    server.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_or_stalled_body_is_answered_408_at_the_body_deadline() {
    let server = Server::start(&["--header-timeout-secs", "3"]).await;
    let to = server.address();
    let second = Duration::from_secs(1);
    let limit = Duration::from_secs(15);
    // A byte a second: each one would restart a per-read deadline.
    let rest_drip = send_slowly(to, post_head(LOGIN, 200), b" ", second, limit);
    let ui_drip = send_slowly(to, post_head(UI_LOGIN, 200), b" ", second, limit);
    // A few bytes, then nothing.
    let rest_stall = send_slowly(to, post_head(LOGIN, 200) + "{\"user", b"", second, limit);
    let ui_stall = send_slowly(to, post_head(UI_LOGIN, 200) + "{\"user", b"", second, limit);
    let others = async {
        let mut slowest = Duration::ZERO;
        for n in 0..8 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let asked = Instant::now();
            let answer = match n % 3 {
                0 => server.call(LOCALHOST, "GET", OPENAPI, &[], None).await,
                1 => {
                    let body = padded_login(LOGIN, "beta.admin", "demo-beta", 0);
                    sign_in(&server, LOGIN, &body).await
                }
                _ => {
                    let body = padded_login(UI_LOGIN, "beta.admin", "demo-beta", 0);
                    sign_in(&server, UI_LOGIN, &body).await
                }
            };
            slowest = slowest.max(asked.elapsed());
            let answer = answer.unwrap();
            assert_eq!(answer.status, 200, "request {n}: {answer:?}");
        }
        slowest
    };
    let (rest_drip, ui_drip, rest_stall, ui_stall, slowest) =
        tokio::join!(rest_drip, ui_drip, rest_stall, ui_stall, others);
    let deadline = Duration::from_millis(2900)..Duration::from_millis(4500);
    for (what, cutoff) in [
        ("REST, a byte a second", &rest_drip),
        ("server function, a byte a second", &ui_drip),
        ("REST, stalled", &rest_stall),
        ("server function, stalled", &ui_stall),
    ] {
        eprintln!(
            "{what}: {:?} after {:?}",
            cutoff.answer().status,
            cutoff.after
        );
        assert!(deadline.contains(&cutoff.after), "{what}: {cutoff:?}");
        let answer = cutoff.answer();
        answer.assert_problem(408, "timeout");
        assert!(
            answer.json()["detail"]
                .as_str()
                .is_some_and(|detail| detail.starts_with("The request body was not received")),
            "{what}: {answer:?}"
        );
        assert_eq!(answer.header("connection"), Some("close"), "{what}");
    }
    eprintln!("others were answered within {slowest:?}");
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    server.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_64_kib_is_413_whatever_it_declares_and_one_at_the_limit_is_read() {
    let server = Server::start(&[]).await;
    let to = server.address();
    for path in [LOGIN, UI_LOGIN] {
        let over = padded_login(path, "beta.admin", "demo-beta", 70 * 1024);
        // Chunked, without a length: the limit holds while reading.
        let chunked = send_all(to, chunked_post(path, &over)).await;
        eprintln!("{path}, 70 KiB chunked: answered after {:?}", chunked.after);
        chunked.answer().assert_problem(413, "payload_too_large");

        // A length over the limit is answered at once, without waiting for the body.
        let head = post_head(path, 70 * 1024);
        let declared = send_slowly(to, head, b"", Duration::ZERO, Duration::from_secs(5)).await;
        eprintln!(
            "{path}, 70 KiB declared: answered after {:?}",
            declared.after
        );
        declared.answer().assert_problem(413, "payload_too_large");
        assert!(declared.after < Duration::from_secs(1), "{declared:?}");

        // Exactly the limit, chunked or not, is read and handled.
        let at_limit = padded_login(path, "beta.admin", "demo-beta", BODY_LIMIT);
        assert_eq!(at_limit.len(), BODY_LIMIT);
        let answer = send_all(to, chunked_post(path, &at_limit)).await.answer();
        assert_eq!(answer.status, 200, "{path}, chunked: {answer:?}");
        let answer = sign_in(&server, path, &at_limit).await.unwrap();
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
    }
    server.assert_log_clean();
}
