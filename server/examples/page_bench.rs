//! Server-rendered page latency: signs in, then requests each page N times (one at a
//! time, over HTTP to an in-process server on a temporary SQLite file with the demo
//! data) and reports p50 and p99 per page. Budget: p50 under 20 ms.
//!
//! `make page-bench`, or `cargo run --release -p server --example page_bench -- [requests]`.

#[path = "../tests/api/helpers/http.rs"]
mod http;
#[path = "../tests/api/helpers/in_process.rs"]
mod in_process;

use std::time::{Duration, Instant};

use http::exchange;

const PAGES: [(&str, &str); 4] = [
    ("home (tenants overview)", "/"),
    (
        "subscription (Acme Teams)",
        "/tenants/40000000-0000-4000-8000-000000000001/subscriptions/1",
    ),
    ("simulator console", "/simulator"),
    ("sign-in page", "/login"),
];

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let server = in_process::serve(|_| {}).await;
    let port = server.port;

    let (status, body) = exchange(
        port,
        "POST",
        "/api/v01/auth/login",
        &[],
        Some(r#"{"username":"group.admin","password":"demo-group"}"#),
    )
    .await
    .expect("login");
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).expect("json");
    // The browser's session cookie holds the session's refresh token.
    let cookie = format!(
        "fusion_session={}",
        token["refresh_token"].as_str().expect("a refresh token")
    );

    println!("{requests} sequential requests per page, signed in as group.admin");
    for (name, path) in PAGES {
        let mut latencies = Vec::with_capacity(requests);
        for _ in 0..requests {
            let asked = Instant::now();
            let (status, html) = exchange(port, "GET", path, &[("Cookie", &cookie)], None)
                .await
                .expect("page");
            latencies.push(asked.elapsed());
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("</html>"), "{path} is a whole page");
        }
        latencies.sort();
        let at = |p: f64| {
            let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
            latencies.get(index).copied().unwrap_or(Duration::ZERO)
        };
        println!(
            "{name:<28} p50 {:>6.2} ms   p99 {:>6.2} ms",
            at(0.5).as_secs_f64() * 1000.0,
            at(0.99).as_secs_f64() * 1000.0
        );
    }
}
