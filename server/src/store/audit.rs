//! The audit log of mutating calls.

use super::{Db, now};
use crate::domain::AppError;

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
