//! The audit log of mutating calls.

use super::{Db, now};
use crate::metrics::Metrics;

pub struct AuditEntry<'a> {
    pub username: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
}

pub async fn record(db: &Db, entry: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    let outcome = match entry.status {
        200..=299 => "success",
        400..=499 => "refused",
        _ => "error",
    };
    sqlx::query("INSERT INTO audit_log (at, username, method, path, status, outcome) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(now())
        .bind(entry.username)
        .bind(entry.method)
        .bind(entry.path)
        .bind(i64::from(entry.status))
        .bind(outcome)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Rows deleted per write transaction: the single writer is never held for long, even
/// the first time a large log is trimmed.
const TRIM_BATCH: i64 = 1000;

/// Deletes rows older than `days` days, a batch at a time; returns how many.
pub async fn trim(db: &Db, days: u32) -> Result<u64, sqlx::Error> {
    let cutoff = now() - chrono::Duration::days(i64::from(days));
    let mut deleted = 0;
    loop {
        let batch = sqlx::query(
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? LIMIT ?)",
        )
        .bind(cutoff)
        .bind(TRIM_BATCH)
        .execute(&db.write)
        .await?
        .rows_affected();
        deleted += batch;
        if batch < TRIM_BATCH as u64 {
            return Ok(deleted);
        }
        tokio::task::yield_now().await;
    }
}

/// Trims the audit log to `days` days now and every hour (never with 0 days).
pub fn keep_trimmed(db: Db, days: u32, metrics: Metrics) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            match trim(&db, days).await {
                Ok(rows) => metrics.audit_rows_trimmed(rows),
                Err(error) => tracing::warn!(%error, "trimming the audit log failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}
