//! Records every mutating API call of a signed-in caller in the audit log: who, what,
//! when, outcome. Anonymous refusals are only counted (a metric), so that nobody can
//! fill the log, or keep the single writer busy, without credentials.

use std::sync::{Arc, Mutex};

use axum::{
    extract::{OriginalUri, Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};

use crate::{
    state::AppState,
    store::audit::{self, AuditEntry},
};

/// Filled in by whoever learns the caller's name while the request is handled.
#[derive(Clone, Default)]
pub struct AuditActor(Arc<Mutex<Option<String>>>);

impl AuditActor {
    pub fn set(&self, username: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(username.to_owned());
        }
    }

    fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

pub async fn record_mutations(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let actor = AuditActor::default();
    request.extensions_mut().insert(actor.clone());
    let method = request.method().to_string();
    // Nested routers see a stripped path; the audit log wants the one the client sent.
    let path = match request.extensions().get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri.path().to_owned(),
        None => request.uri().path().to_owned(),
    };
    let response = next.run(request).await;
    let username = actor.get();
    let entry = AuditEntry {
        username: username.as_deref(),
        method: &method,
        path: &path,
        status: response.status().as_u16(),
    };
    record_call(&state, entry).await;
    response
}

/// The one rule for a mutating call, REST or server function: a signed-in caller's is
/// written to the audit log (its path clipped), an anonymous refusal is only counted.
pub async fn record_call(state: &AppState, entry: AuditEntry<'_>) {
    let Some(username) = entry.username else {
        if entry.status >= 400 {
            state.metrics.anonymous_refusal(entry.status);
        }
        return;
    };
    let path = clip_path(entry.path);
    let clipped = AuditEntry {
        username: Some(username),
        path: &path,
        ..entry
    };
    if let Err(error) = audit::record(&state.db, clipped).await {
        tracing::error!(%error, "audit log write failed");
    }
}

/// At most 200 characters of a path: what was asked, not whatever a client sent.
pub fn clip_path(path: &str) -> String {
    const MAX: usize = 200;
    if path.chars().count() <= MAX {
        return path.to_owned();
    }
    let mut clipped: String = path.chars().take(MAX).collect();
    clipped.push('…');
    clipped
}
