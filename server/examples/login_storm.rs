//! A storm of wrong logins against the real server binary, in two scenarios (both by
//! default):
//! - `one-address`: N concurrent logins with unknown usernames and wrong passwords from
//!   one client address (127.0.0.2); after the first they have failures behind them, so
//!   the throttle (429) and the lane for checks after failures hold them;
//! - `many-addresses`: the same N logins, each from an address of its own (127.2.x.y):
//!   every one a first try, which only the first tries' bounded queue holds (503 `busy`
//!   beyond it).
//!
//! During each storm each demo administrator signs in with the right password from an
//! address of their own, one every 50 ms from the storm's start, trying again after
//! Retry-After when answered 503 `busy`. Reports the server's RSS (before, the peak
//! sampled every 5 ms, right after and 2 s after), the answers to the storm, its wall
//! time, and each real login's outcome, tries and latency (from its first try to its
//! answer). Goal: RSS under 300 MB and every real login answered 200 within 2 s. The
//! server runs without its per-address connection cap
//! (`FUSION_MAX_CONNECTIONS_PER_ADDRESS=0`), so that all of a one-address storm reaches
//! the sign-in path.
//!
//! `cargo build --release -p server --bin server --example login_storm &&
//! target/release/examples/login_storm [runs] [storm size] [server binary] [scenario]`
//! (defaults: 3 runs, 100 logins, the `server` binary beside the `examples` folder, both
//! scenarios; the scenario, `one-address`, `many-addresses` or `both`, may come in any
//! place).

use std::{
    collections::BTreeMap,
    net::Ipv4Addr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

#[path = "../tests/api/helpers/binary.rs"]
mod binary;

use binary::{LOGIN, Launch, http, mb, sign_in_retrying};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    OneAddress,
    ManyAddresses,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::OneAddress => "one-address",
            Scenario::ManyAddresses => "many-addresses",
        }
    }

    /// The client address of the storm's `n`th login.
    fn attacker(self, n: usize) -> Ipv4Addr {
        match self {
            Scenario::OneAddress => Ipv4Addr::new(127, 0, 0, 2),
            Scenario::ManyAddresses => Ipv4Addr::new(127, 2, (n / 250) as u8, (n % 250) as u8 + 1),
        }
    }
}

#[tokio::main]
async fn main() {
    let mut scenarios = vec![Scenario::OneAddress, Scenario::ManyAddresses];
    let mut positional = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "one-address" => scenarios = vec![Scenario::OneAddress],
            "many-addresses" => scenarios = vec![Scenario::ManyAddresses],
            "both" => scenarios = vec![Scenario::OneAddress, Scenario::ManyAddresses],
            _ => positional.push(arg),
        }
    }
    let mut args = positional.into_iter();
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let storm: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    assert!(storm <= 250 * 256, "at most {} logins", 250 * 256);
    let binary = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("own path");
        exe.parent()
            .and_then(|examples| examples.parent())
            .expect("target/<profile>/examples")
            .join("server")
    });
    assert!(
        binary.exists(),
        "no server binary at {} (cargo build --release -p server --bin server)",
        binary.display()
    );
    for scenario in scenarios {
        println!(
            "{}: {runs} × {storm} wrong logins against {}",
            scenario.name(),
            binary.display()
        );
        let mut real_latencies = Vec::new();
        for run in 1..=runs {
            let outcome = one_run(&binary, storm, scenario).await;
            let all_in = outcome.real.iter().all(|real| real.status == 200);
            println!(
                "run {run}: RSS before {:.1} MB, peak {:.1} MB, after {:.1} MB, 2 s later \
                 {:.1} MB; storm {:?} in {:.0} ms; real logins {} {}",
                mb(outcome.before),
                mb(outcome.peak),
                mb(outcome.after),
                mb(outcome.settled),
                outcome.answers,
                outcome.wall.as_secs_f64() * 1000.0,
                outcome
                    .real
                    .iter()
                    .map(|real| format!(
                        "{} {:.1} ms{}",
                        real.status,
                        real.took.as_secs_f64() * 1000.0,
                        if real.tries > 1 {
                            format!(" ({} tries)", real.tries)
                        } else {
                            String::new()
                        }
                    ))
                    .collect::<Vec<_>>()
                    .join(", "),
                if all_in { "(all 200)" } else { "(NOT ALL 200)" },
            );
            real_latencies.extend(outcome.real.iter().map(|real| real.took));
        }
        real_latencies.sort();
        let at = |q: f64| real_latencies[((real_latencies.len() - 1) as f64 * q).round() as usize];
        println!(
            "{}: real logins during the storm ({}): p50 {:.1} ms, max {:.1} ms",
            scenario.name(),
            real_latencies.len(),
            at(0.5).as_secs_f64() * 1000.0,
            at(1.0).as_secs_f64() * 1000.0
        );
    }
}

struct Outcome {
    before: u64,
    peak: u64,
    after: u64,
    settled: u64,
    answers: BTreeMap<String, usize>,
    wall: Duration,
    real: Vec<RealLogin>,
}

/// How a real login fared: its last status (0: no answer), its tries, and the time
/// from its first try to its last answer.
struct RealLogin {
    status: u16,
    tries: usize,
    took: Duration,
}

async fn one_run(binary: &Path, storm: usize, scenario: Scenario) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let server = Launch::on(&dir.path().join("fusion.db"))
        .binary(binary)
        .env("RUST_LOG", "off")
        // One address may hold every connection of the one-address storm.
        .env("FUSION_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .start()
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let address = server.address();
    let before = server.rss();
    let sampler = server.sample_rss();
    let started = Instant::now();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let wrong: Vec<_> = (0..storm)
        .map(|n| {
            let body = json!({"username": format!("storm-{n}-{nanos:x}"), "password": "wrong"});
            let from = scenario.attacker(n);
            tokio::spawn(async move {
                http::send(address, from, "POST", LOGIN, &[], Some(&body.to_string()))
                    .await
                    .map(|answer| answer.status)
            })
        })
        .collect();
    let real: Vec<_> = server::scenario::demo()
        .admins
        .iter()
        .filter_map(|admin| Some((admin.username.as_str(), admin.password.as_deref()?)))
        .enumerate()
        .map(|(n, (username, password))| {
            let from = Ipv4Addr::new(127, 0, 1, n as u8 + 1);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50 * n as u64)).await;
                let (answer, tries, took) =
                    sign_in_retrying(address, from, username, password).await;
                RealLogin {
                    status: answer.map_or(0, |answer| answer.status),
                    tries,
                    took,
                }
            })
        })
        .collect();
    let mut answers = BTreeMap::new();
    for task in wrong {
        let key = match task.await.unwrap() {
            Ok(status) => status.to_string(),
            Err(_) => "dropped".to_owned(),
        };
        *answers.entry(key).or_default() += 1;
    }
    let wall = started.elapsed();
    let mut real_results = Vec::new();
    for task in real {
        real_results.push(task.await.unwrap());
    }
    let peak = sampler.peak();
    let after = server.rss();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = server.rss();
    Outcome {
        before,
        peak: peak.max(after),
        after,
        settled,
        answers,
        wall,
        real: real_results,
    }
}
