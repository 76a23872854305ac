//! `AppError` as an RFC 9457 problem+json response: the only error shape the API sends.

use app::api_types::Problem;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::domain::AppError;

pub const CONTENT_TYPE: &str = "application/problem+json";

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) | AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Invalid { code, .. } | AppError::Conflict { code, .. } => code,
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable { .. } => "busy",
            AppError::Internal(_) | AppError::Database(_) => "internal_error",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            AppError::Internal(_) | AppError::Database(_) => {
                "Uncatched error on server side".to_owned()
            }
            other => other.to_string(),
        };
        Problem::new(
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error"),
            self.code(),
            detail,
        )
    }
}

impl AppError {
    /// When the caller may try again, for a `Retry-After` header.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            AppError::TooManyRequests { retry_after, .. }
            | AppError::Unavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

/// A problem+json response; what every error of the API and of the edges looks like.
pub fn response(status: StatusCode, code: &str, detail: &str) -> Response {
    let problem = Problem::new(
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        code,
        detail,
    );
    problem_response(status, &problem)
}

fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let mut response = (status, axum::Json(problem)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// What went wrong behind a 500, with its sources, carried to the edge's log
/// (`web::edges`), which writes it once with the request; it is never sent.
#[derive(Clone, Debug)]
pub struct Fault(pub std::sync::Arc<str>);

/// The header that carries a server function's `Fault` from the UI adapter, which
/// cannot reach the response's extensions, to the edge, which turns it back into the
/// extension and never sends it.
pub const FAULT_HEADER: &str = "x-fusion-fault";

impl Fault {
    /// As a header value: ASCII, one line, clipped.
    pub fn header_value(&self) -> HeaderValue {
        let text: String = self
            .0
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .take(1000)
            .collect();
        HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("a fault"))
    }

    pub fn of(error: &AppError) -> Self {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            // Many errors already print their source; each cause is said once.
            let said = cause.to_string();
            if !text.contains(&said) {
                text.push_str(": ");
                text.push_str(&said);
            }
            source = cause.source();
        }
        Fault(text.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = problem_response(self.status(), &self.to_problem());
        if self.is_internal() {
            response.extensions_mut().insert(Fault::of(&self));
        }
        let headers = response.headers_mut();
        if matches!(self, AppError::Unauthenticated(_)) {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"fusion\""),
            );
        }
        if let Some(wait) = self.retry_after() {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}
