//! Counters kept in memory and served in the Prometheus text format at `/metrics`
//! (group admins only): what is worth watching but not worth a database row.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

#[derive(Clone, Debug, Default)]
pub struct Metrics(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    /// Refused mutating calls nobody was signed in for, by status (not audited).
    anonymous_refusals: Mutex<BTreeMap<u16, u64>>,
    cross_site_refusals: AtomicU64,
    audit_rows_trimmed: AtomicU64,
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

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
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
        text
    }
}
