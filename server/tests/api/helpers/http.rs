//! A minimal HTTP/1.1 client for tests and benches that talk to a real server socket:
//! one request per connection (`Connection: close`), from any loopback address (the
//! server tells clients apart by address), and slow clients that send a request a
//! piece at a time.
//! The benches (`server/examples`) include it by path and take what they need; the test
//! binary uses all of it.
#![cfg_attr(not(test), allow(dead_code))]

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream, tcp::OwnedReadHalf},
};

pub const LOCALHOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// A whole answer: its status, its headers (names in lower case) and its body, and the
/// request it answers ("METHOD path", for failure messages).
#[derive(Debug)]
pub struct Answer {
    pub asked: String,
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Answer {
    /// The body as JSON (null when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The seconds its Retry-After header says; panics without one.
    #[track_caller]
    pub fn retry_after(&self) -> u64 {
        let seconds = self
            .header("retry-after")
            .and_then(|value| value.parse().ok());
        seconds.unwrap_or_else(|| panic!("no Retry-After: {self:?}"))
    }

    /// Asserts this status, naming the request and showing the body otherwise.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        if let Err(failure) = check_status(&self.asked, self.status, &self.body, status) {
            panic!("{failure}");
        }
        self
    }

    /// Asserts a problem+json answer with this status and code; the problem.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        let content_type = self.header("content-type");
        match check_problem(
            &self.asked,
            self.status,
            content_type,
            &self.body,
            status,
            code,
        ) {
            Ok(problem) => problem,
            Err(failure) => panic!("{failure}"),
        }
    }
}

/// Whether the answer to `asked` ("METHOD path") has the `expected` status; if not, what
/// was asked and answered.
pub fn check_status(asked: &str, status: u16, body: &str, expected: u16) -> Result<(), String> {
    if status == expected {
        Ok(())
    } else {
        Err(format!(
            "{asked}: expected {expected}, answered {status}: {body}"
        ))
    }
}

/// Whether the answer to `asked` is a problem+json (RFC 9457) with this status and code
/// and every member a problem carries: `status`, `title`, `type`, a `detail`, and the same
/// message in `error`, where vendor-style clients read it. The problem, or what is wrong.
pub fn check_problem(
    asked: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
    expected: u16,
    code: &str,
) -> Result<Value, String> {
    check_status(asked, status, body, expected)?;
    let wrong = |what: &str| Err(format!("{asked}: {what}: {body}"));
    if content_type != Some("application/problem+json") {
        return wrong(&format!("not problem+json but {content_type:?}"));
    }
    let Ok(problem) = serde_json::from_str::<Value>(body) else {
        return wrong("not JSON");
    };
    if problem["code"] != code {
        return wrong(&format!("not the code {code:?}"));
    }
    if problem["status"] != expected {
        return wrong("another status in the body");
    }
    if !problem["detail"].as_str().is_some_and(|d| !d.is_empty()) {
        return wrong("no detail");
    }
    if !(problem["title"].is_string() && problem["type"].is_string()) {
        return wrong("no title or type");
    }
    if problem["error"] != problem["detail"] {
        return wrong("error is not the detail");
    }
    Ok(problem)
}

/// A TCP connection to `to` from the loopback address `from`.
pub async fn connect(to: SocketAddr, from: Ipv4Addr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    socket.connect(to).await
}

/// One HTTP/1.1 exchange with `Connection: close` from the loopback address `from`; a
/// body is JSON unless `headers` name its Content-Type. A connection closed before a
/// whole answer is an error.
pub async fn send(
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
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !typed {
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
    let mut answer = parse_answer(&raw)?;
    answer.asked = format!("{method} {path}");
    Ok(answer)
}

/// `send` from 127.0.0.1 to 127.0.0.1:`port` with a bearer token and a JSON body.
pub async fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<Answer> {
    let to = SocketAddr::from(([127, 0, 0, 1], port));
    let authorization = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .as_deref()
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    let body = body.map(Value::to_string);
    send(to, LOCALHOST, method, path, &headers, body.as_deref()).await
}

/// `send` from 127.0.0.1 to 127.0.0.1:`port`: the status and the body as text (the page
/// bench's form; the tests assert on the whole `Answer`).
#[cfg(not(test))]
pub async fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let to = SocketAddr::from(([127, 0, 0, 1], port));
    let answer = send(to, LOCALHOST, method, path, headers, body).await?;
    Ok((answer.status, answer.body))
}

/// `call`: the status and the body parsed as JSON, or null (the wizard bench's form).
#[cfg(not(test))]
pub async fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> std::io::Result<(u16, Value)> {
    let answer = call(port, method, path, token, body.as_ref()).await?;
    Ok((answer.status, answer.json()))
}

/// An answer as it came off the wire; an error unless it is whole.
pub fn parse_answer(raw: &[u8]) -> std::io::Result<Answer> {
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
        asked: String::new(),
        status,
        headers,
        body: body.to_owned(),
    })
}

/// What a client saw: how long until the server closed the connection, and what it
/// sent before; and the request line it sent, for failure messages.
#[derive(Debug)]
pub struct Cutoff {
    pub asked: String,
    pub after: Duration,
    pub received: String,
}

impl Cutoff {
    /// What was received, as a whole answer.
    #[track_caller]
    pub fn answer(&self) -> Answer {
        match parse_answer(self.received.as_bytes()) {
            Ok(answer) => Answer {
                asked: self.asked.clone(),
                ..answer
            },
            Err(error) => panic!("{error}: {self:?}"),
        }
    }
}

/// The request line at the start of `request` ("METHOD path").
pub fn request_line(request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request);
    let line = text.lines().next().unwrap_or_default();
    line.rsplit_once(' ')
        .map_or(line, |(asked, _)| asked)
        .to_owned()
}

/// Sends `head` from 127.0.0.1, then `drip` every `every` (or nothing more when it is
/// empty), until the server closes the connection; panics when it is still open after
/// `limit`.
pub async fn send_slowly(
    to: SocketAddr,
    head: impl AsRef<[u8]>,
    drip: &'static [u8],
    every: Duration,
    limit: Duration,
) -> Cutoff {
    let started = Instant::now();
    let asked = request_line(head.as_ref());
    let mut stream = connect(to, LOCALHOST).await.unwrap();
    stream.write_all(head.as_ref()).await.unwrap();
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
        received = read_until_closed(reader) => Cutoff { asked, after: started.elapsed(), received },
        () = writing => unreachable!(),
        () = tokio::time::sleep(limit) => panic!("still connected after {limit:?}"),
    }
}

/// Everything the server sends until it closes the connection (or resets it).
pub async fn read_until_closed(mut reader: OwnedReadHalf) -> String {
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

/// Whether the server closed `stream` within `wait` (an end of stream or a reset);
/// panics when it sends anything instead.
pub async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
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
