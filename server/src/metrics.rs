//! Counters kept in memory and served in the Prometheus text format at `/metrics`
//! (group admins only): what is worth watching but not worth a database row.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

#[derive(Clone, Debug, Default)]
pub struct Metrics(Arc<Counters>);

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[derive(Debug, Default)]
struct Counters {
    /// Refused mutating calls nobody was signed in for, by status (not audited).
    anonymous_refusals: Mutex<BTreeMap<u16, u64>>,
    cross_site_refusals: AtomicU64,
    audit_rows_trimmed: AtomicU64,
    /// Answers by (method, route template, status).
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// How long answers took, by route template.
    durations: Mutex<BTreeMap<String, Histogram>>,
    /// Sign-ins refused for wrong credentials (401), and turned away by the throttle
    /// or the bounded password checks (429, 503).
    login_failures: AtomicU64,
    login_throttled: AtomicU64,
}

/// Upper bounds (seconds) of the latency buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Label sets past this many are counted under the route `other`: routes are templates
/// already, this only bounds what a bug could grow.
const MAX_ROUTES: usize = 500;

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Cumulative counts per bucket of `BUCKETS`.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What the job runner's table holds, read when `/metrics` is asked.
#[derive(Debug, Default)]
pub struct JobCounts {
    /// Jobs by state (`ready`, `done`, `failed`).
    pub by_state: Vec<(String, i64)>,
    /// Ready jobs due now: the queue's depth.
    pub due: i64,
}

impl Metrics {
    pub fn anonymous_refusal(&self, status: u16) {
        if let Ok(mut counts) = self.0.anonymous_refusals.lock() {
            *counts.entry(status).or_default() += 1;
        }
    }

    pub fn anonymous_refusals(&self, status: u16) -> u64 {
        self.0
            .anonymous_refusals
            .lock()
            .map(|counts| counts.get(&status).copied().unwrap_or_default())
            .unwrap_or_default()
    }

    pub fn cross_site_refusal(&self) {
        self.0.cross_site_refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub fn cross_site_refusals(&self) -> u64 {
        self.0.cross_site_refusals.load(Ordering::Relaxed)
    }

    pub fn audit_rows_trimmed(&self, rows: u64) {
        self.0.audit_rows_trimmed.fetch_add(rows, Ordering::Relaxed);
    }

    /// Counts and times an answer (`web::observe`).
    pub fn request_answered(&self, method: &str, route: &str, status: u16, took: Duration) {
        if route.ends_with("/auth/login") || route == "/ui/login" {
            match status {
                401 => self.0.login_failures.fetch_add(1, Ordering::Relaxed),
                429 | 503 => self.0.login_throttled.fetch_add(1, Ordering::Relaxed),
                _ => 0,
            };
        }
        if let Ok(mut requests) = self.0.requests.lock() {
            let route = if requests.len() >= MAX_ROUTES
                && !requests.contains_key(&(method.to_owned(), route.to_owned(), status))
            {
                "other"
            } else {
                route
            };
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut durations) = self.0.durations.lock() {
            let route = if durations.len() >= MAX_ROUTES && !durations.contains_key(route) {
                "other"
            } else {
                route
            };
            let histogram = durations.entry(route.to_owned()).or_default();
            let seconds = took.as_secs_f64();
            for (bucket, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *bucket += 1;
                }
            }
            histogram.count += 1;
            histogram.sum += seconds;
        }
    }

    /// How many answers of this route and status were counted (tests).
    pub fn requests(&self, method: &str, route: &str, status: u16) -> u64 {
        self.0
            .requests
            .lock()
            .map(|requests| {
                let key = (method.to_owned(), route.to_owned(), status);
                requests.get(&key).copied().unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// The exposition of the request counters, the latency histograms, the sign-in
    /// counters and the jobs.
    fn render_requests(&self, text: &mut String, jobs: &JobCounts) {
        text.push_str(
            "# HELP fusion_http_requests_total Answers by method, route template and status.\n\
             # TYPE fusion_http_requests_total counter\n",
        );
        if let Ok(requests) = self.0.requests.lock() {
            for ((method, route, status), count) in requests.iter() {
                let _ = writeln!(
                    text,
                    "fusion_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        text.push_str(
            "# HELP fusion_http_request_duration_seconds Time to answer, by route template.\n\
             # TYPE fusion_http_request_duration_seconds histogram\n",
        );
        if let Ok(durations) = self.0.durations.lock() {
            for (route, histogram) in durations.iter() {
                let route = escape(route);
                for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                    let _ = writeln!(
                        text,
                        "fusion_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    text,
                    "fusion_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                     fusion_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                     fusion_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    histogram.count, histogram.sum, histogram.count
                );
            }
        }
        let _ = write!(
            text,
            "# HELP fusion_login_failures_total Sign-ins refused for wrong credentials.\n\
             # TYPE fusion_login_failures_total counter\n\
             fusion_login_failures_total {}\n\
             # HELP fusion_login_throttled_total Sign-ins turned away by the throttle or the bounded password checks.\n\
             # TYPE fusion_login_throttled_total counter\n\
             fusion_login_throttled_total {}\n\
             # HELP fusion_jobs Wizard jobs by state.\n\
             # TYPE fusion_jobs gauge\n",
            self.0.login_failures.load(Ordering::Relaxed),
            self.0.login_throttled.load(Ordering::Relaxed),
        );
        for (state, count) in &jobs.by_state {
            let _ = writeln!(text, "fusion_jobs{{state=\"{}\"}} {count}", escape(state));
        }
        let _ = write!(
            text,
            "# HELP fusion_job_queue_depth Ready jobs due now.\n\
             # TYPE fusion_job_queue_depth gauge\n\
             fusion_job_queue_depth {}\n",
            jobs.due
        );
    }

    /// The Prometheus text exposition of every counter, with the jobs' counts.
    pub fn render(&self, jobs: &JobCounts) -> String {
        let mut text = String::from(
            "# HELP fusion_anonymous_refusals_total Refused mutating requests without a signed-in caller, by status.\n\
             # TYPE fusion_anonymous_refusals_total counter\n",
        );
        if let Ok(counts) = self.0.anonymous_refusals.lock() {
            for (status, count) in counts.iter() {
                let _ = writeln!(
                    text,
                    "fusion_anonymous_refusals_total{{status=\"{status}\"}} {count}"
                );
            }
        }
        let _ = write!(
            text,
            "# HELP fusion_cross_site_refusals_total Changes refused because they came from another site.\n\
             # TYPE fusion_cross_site_refusals_total counter\n\
             fusion_cross_site_refusals_total {}\n",
            self.cross_site_refusals()
        );
        let _ = write!(
            text,
            "# HELP fusion_audit_rows_trimmed_total Audit rows removed by the retention limit.\n\
             # TYPE fusion_audit_rows_trimmed_total counter\n\
             fusion_audit_rows_trimmed_total {}\n",
            self.0.audit_rows_trimmed.load(Ordering::Relaxed)
        );
        self.render_requests(&mut text, jobs);
        text
    }
}
