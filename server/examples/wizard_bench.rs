//! Starts N onboarding wizards (1,000 by default) against one in-process server on a
//! temporary SQLite file, polls them with 64 concurrent pollers over HTTP, and reports
//! wall time, steps per second, poll latency p50/p99 and peak RSS.
//!
//! `make bench`, or
//! `cargo run --release -p server --example wizard_bench -- [wizards] [time_scale] [workers]`.
//! Each wizard gets its own subscription, an MS tenant id the simulator has never seen
//! (created on the fly), and an application the simulated tenant adopts.

#[path = "../tests/api/helpers/http.rs"]
mod http;
#[path = "../tests/api/helpers/in_process.rs"]
mod in_process;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use http::request;
use serde_json::{Value, json};
use server::store::Db;
use tokio::sync::Mutex;

const POLLERS: usize = 64;
const FIRST_SUBSCRIPTION: i64 = 10_000;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .init();
    let mut args = std::env::args().skip(1);
    let wizards: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let time_scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);

    let server = in_process::serve(|config| {
        config.time_scale = time_scale;
        config.workers = workers;
    })
    .await;
    let (port, db) = (server.port, server.db.clone());
    add_subscriptions(&db, wizards).await;

    let token = login(port).await;
    let setup = Instant::now();
    for index in 0..wizards {
        store_credentials(port, &token, index).await;
    }
    println!(
        "set-up:             {wizards} subscriptions with credentials in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    for index in 0..wizards {
        let (status, body) = request(port, "POST", &wizard_path(index), Some(&token), None)
            .await
            .expect("start");
        assert_eq!(status, 200, "start {index}: {body}");
    }
    let start_time = started.elapsed();

    let pending = Arc::new(Mutex::new((0..wizards).collect::<Vec<_>>()));
    let failed = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut pollers = Vec::new();
    for _ in 0..POLLERS {
        let (pending, failed, latencies, token) = (
            Arc::clone(&pending),
            Arc::clone(&failed),
            Arc::clone(&latencies),
            token.clone(),
        );
        pollers.push(tokio::spawn(async move {
            loop {
                let Some(index) = pending.lock().await.pop() else {
                    return;
                };
                let asked = Instant::now();
                let (status, body) = request(port, "GET", &wizard_path(index), Some(&token), None)
                    .await
                    .expect("poll");
                latencies.lock().await.push(asked.elapsed());
                match status {
                    200 if body["running"] == false => {}
                    400 => {
                        eprintln!("wizard {index} failed: {}", body["detail"]);
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    200 | 404 => {
                        pending.lock().await.insert(0, index);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    other => panic!("GET wizard {index}: {other} {body}"),
                }
            }
        }));
    }
    for poller in pollers {
        poller.await.expect("poller");
    }
    let wall = started.elapsed();

    let (done, runs, domains, distinct_domains): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM jobs WHERE state = 'done'),
                (SELECT COUNT(*) FROM transactions WHERE kind = 'msteams.wizard'),
                (SELECT COUNT(*) FROM sim_domains),
                (SELECT COUNT(DISTINCT tenant_id || name) FROM sim_domains)",
    )
    .fetch_one(&db.read)
    .await
    .expect("counts");
    let mut latencies = latencies.lock().await.clone();
    latencies.sort();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!("wizards:            {wizards} (time scale {time_scale}, {workers} workers)");
    println!(
        "completed:          {done} done, {} failed, {runs} runs, {domains} domains ({distinct_domains} distinct)",
        failed.load(Ordering::Relaxed)
    );
    println!(
        "starts:             {:.2} s for {wizards} POSTs",
        start_time.as_secs_f64()
    );
    println!("wall time:          {:.2} s", wall.as_secs_f64());
    println!(
        "steps per second:   {:.0}",
        (wizards * 6) as f64 / wall.as_secs_f64()
    );
    println!(
        "poll latency:       p50 {:.1} ms, p99 {:.1} ms over {} polls ({POLLERS} pollers)",
        percentile(0.5),
        percentile(0.99),
        latencies.len()
    );
    println!("peak RSS:           {}", peak_rss());
}

/// The demo's Globex tenant, as the demo scenario names it.
fn globex() -> uuid::Uuid {
    let demo = server::scenario::demo();
    let globex = demo.tenants.iter().find(|tenant| tenant.name == "Globex");
    globex.expect("the demo has Globex").uuid
}

async fn add_subscriptions(db: &Db, count: usize) {
    let mut tx = db.write.begin().await.expect("tx");
    for index in 0..count {
        let id = FIRST_SUBSCRIPTION + index as i64;
        server::store::directory::insert_subscription(
            &mut tx,
            id,
            globex(),
            &format!("Bench Teams {index}"),
            app::api_types::LicenseType::Msteams,
        )
        .await
        .expect("subscription");
    }
    tx.commit().await.expect("commit");
}

fn wizard_path(index: usize) -> String {
    subscription_path(index, "msteams/wizard")
}

fn subscription_path(index: usize, tail: &str) -> String {
    format!(
        "/api/v01/draas/demo/tenants/{}/subscriptions/{}/{tail}",
        globex(),
        FIRST_SUBSCRIPTION + index as i64
    )
}

async fn login(port: u16) -> String {
    let (status, body) = request(
        port,
        "POST",
        "/api/v01/auth/login",
        None,
        Some(json!({"username": "group.admin", "password": "demo-group"})),
    )
    .await
    .expect("login");
    assert_eq!(status, 200, "{body}");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

async fn store_credentials(port: u16, token: &str, index: usize) {
    let ms_tenant = uuid::Uuid::new_v4();
    let application = uuid::Uuid::new_v4();
    let calls: [(&str, &str, Value); 2] = [
        (
            "POST",
            "msteams/applications",
            json!({"msTeamsTenantId": ms_tenant, "applicationId": application, "secret": format!("bench~{index}~SecretValue")}),
        ),
        (
            "POST",
            "msteams/admins",
            json!({"msUsername": format!("admin@bench{index}.onmicrosoft.com"), "msPassword": "Bench-Passw0rd"}),
        ),
    ];
    for (method, tail, body) in calls {
        let (status, answer) = request(
            port,
            method,
            &subscription_path(index, tail),
            Some(token),
            Some(body),
        )
        .await
        .expect("credentials");
        assert_eq!(status, 204, "{tail}: {answer}");
    }
}

/// The process's peak resident set (VmHWM), from /proc.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}
