//! The audit log of mutating calls.

use super::{Db, now};
use crate::{domain::AppError, metrics::Metrics};

pub struct AuditEntry<'a> {
    pub username: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
}

pub async fn record(db: &Db, entry: AuditEntry<'_>) -> Result<(), AppError> {
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

/// Deletes rows older than `days` days; returns how many.
pub async fn trim(db: &Db, days: u32) -> Result<u64, AppError> {
    let cutoff = now() - chrono::Duration::days(i64::from(days));
    Ok(sqlx::query("DELETE FROM audit_log WHERE at < ?")
        .bind(cutoff)
        .execute(&db.write)
        .await?
        .rows_affected())
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
