//! The one error type of the domain; `api::problem` turns it into problem+json.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No, expired or bad credentials (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller lacks the role or the admin level (403).
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or outside the caller's tree of authority (404): the two look the same.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be carried out as asked (400).
    #[error("{detail}")]
    Invalid { code: &'static str, detail: String },
    /// The request conflicts with work in progress (409).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// Too many attempts (429): the caller may try again after `retry_after`.
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after: std::time::Duration,
    },
    /// Busy right now (503): the caller may try again after `retry_after`.
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after: std::time::Duration,
    },
    /// A fault of ours; the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed (a fault of ours, as `Internal`), with its source kept.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl AppError {
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Invalid {
            code,
            detail: detail.into(),
        }
    }

    /// A fault of ours (500): logged with its source, never shown.
    pub fn is_internal(&self) -> bool {
        matches!(self, AppError::Internal(_) | AppError::Database(_))
    }

    pub fn subscription_not_found() -> Self {
        AppError::NotFound(
            "No MS Teams tenant found or the path tenant / subscription doesn't exist".into(),
        )
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        AppError::Internal(format!("migration: {error}"))
    }
}
