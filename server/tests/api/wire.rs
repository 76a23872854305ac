//! The wire, against the real server binary: one client address cannot hold more than
//! its share of the connections, a request body must arrive whole within the body
//! deadline (a trickled one is answered 408 like a stalled one, on REST routes and
//! server functions alike) and within 64 KiB whatever it declares, and the server goes
//! on answering everyone else meanwhile.
//!
//! Clients bind to other loopback addresses (127.0.0.2…) to act as different client
//! addresses.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use crate::helpers::binary::{
    LOGIN, OPENAPI, Server,
    http::{
        self, Answer, Cutoff, LOCALHOST, closed_within, connect, read_until_closed, send_slowly,
    },
    login_body,
};
use tokio::io::AsyncWriteExt;

use crate::helpers::{CONTOSO, TENANT_ACME};

const UI_LOGIN: &str = "/ui/login";
/// The API's body limit (`api::BODY_LIMIT`).
const BODY_LIMIT: usize = 64 * 1024;

/// Sends all of `request` while reading what comes back, until the server closes.
async fn send_all(to: SocketAddr, request: Vec<u8>) -> Cutoff {
    let started = Instant::now();
    let asked = http::request_line(&request);
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
        asked,
        after: started.elapsed(),
        received,
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
    let body = login_body(username, password).to_string();
    let padding = " ".repeat(length.saturating_sub(body.len()));
    format!("{}{padding}}}", &body[..body.len() - 1])
}

/// A whole sign-in as beta.admin, at once.
async fn sign_in(server: &Server, path: &str, body: &str) -> std::io::Result<Answer> {
    let headers = [
        ("Accept", "application/json"),
        ("Content-Type", content_type(path)),
    ];
    http::send(
        server.address(),
        LOCALHOST,
        "POST",
        path,
        &headers,
        Some(body),
    )
    .await
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
    let answer = server.openapi(LOCALHOST).await;
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
    let answer = server.openapi(crowd).await;
    assert_eq!(answer.unwrap().status, 200);
    assert!(asked.elapsed() < Duration::from_secs(1));
    eprintln!(
        "past its share, connections were closed within {slowest_close:?}; another address \
         was served within {took:?}"
    );
    server.assert_log_clean(&[]);
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
                0 => server.openapi(LOCALHOST).await,
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
    server.assert_log_clean(&[]);
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
    server.assert_log_clean(&[]);
}

/// Page renders cut short by the browser (a navigation, a sign-out mid-load) dispose
/// the page's reactive owner while its data is still being fetched: nothing panics, and
/// the next render of the same page is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_renders_cut_short_by_the_client_leave_no_panic() {
    let server = Server::start(&[]).await;
    let token = server.login("alpha.admin").await;
    let pages = [
        "/",
        "/?q=glob",
        &format!("/tenants/{TENANT_ACME}/subscriptions/1"),
        &format!("/simulator?tenant={CONTOSO}"),
    ];
    for round in 0..10u64 {
        for page in pages {
            let mut stream = connect(server.address(), LOCALHOST).await.unwrap();
            let request = format!(
                "GET {page} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: fusion_session={token}\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            // Hang up at once, or a little later while the page waits for its data.
            tokio::time::sleep(Duration::from_millis(round % 3)).await;
            drop(stream);
        }
    }
    server.get("/", &token).await.assert_status(200);
    server.assert_log_clean(&[]);
}
