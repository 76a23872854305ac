//! The layers around every route, outermost first: the request id and the request
//! metrics (`observe`), tracing, logging of every 5xx,
//! security headers, problem+json for errors the layers themselves answer, a panic in
//! a request turned into that request's 500, the request deadline, the cross-site
//! check, the client's address, and the reading of the whole body (size limit and
//! deadline) before any handler runs.

use std::{any::Any, time::Duration};

use axum::{
    Router,
    body::{Body, HttpBody},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::Response,
};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower_http::{catch_panic::CatchPanicLayer, timeout::TimeoutLayer, trace::TraceLayer};

use super::{client, csrf, security};
use crate::{
    api::{BODY_LIMIT, problem},
    state::AppState,
};

pub fn layers(router: Router, state: &AppState) -> Router {
    let site = state.site.clone();
    router
        // Innermost, so that a request refused by the layers above is not read first.
        .layer(middleware::from_fn_with_state(
            site.body_read_timeout,
            read_body,
        ))
        .layer(middleware::from_fn_with_state(
            site.clone(),
            client::record_address,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::refuse_cross_site,
        ))
        .layer(middleware::from_fn(server_function_statuses))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            site.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(problems_for_bare_errors))
        .layer(middleware::from_fn_with_state(site, security::add_headers))
        .layer(middleware::from_fn(log_server_errors))
        // Failures are logged once, by `log_server_errors`.
        .layer(TraceLayer::new_for_http().on_failure(()))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            super::observe::observe,
        ))
}

/// A panic inside a request ends that request with a 500, never the connection or the
/// process; the panic itself is printed by the panic hook.
fn panic_response(_payload: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request panicked");
    problem::response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Uncatched error on server side",
    )
}

/// Reads a request's whole body before the handler runs, REST route or server function
/// (Leptos reads their bodies itself): at most `BODY_LIMIT` bytes (413 otherwise,
/// before reading anything when the declared length is over), all of it within
/// `deadline` (`Site::body_read_timeout`) of the headers (408 otherwise). A body
/// trickled a byte at a time thus holds a request no longer than a stalled one, and a
/// handler never waits on its client. The handler gets the bytes; a request without a
/// body passes as it is.
///
/// This replaces tower-http's `RequestBodyTimeoutLayer`, whose deadline is per frame
/// (each byte restarts it), and `RequestBodyLimitLayer`, whose two checks (the declared
/// length, then the bytes read) are both here.
async fn read_body(State(deadline): State<Duration>, request: Request, next: Next) -> Response {
    let body = request.body();
    if body.is_end_stream() {
        return next.run(request).await;
    }
    // The Content-Length (hyper checked it), or what an in-process body knows.
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return body_too_large();
    }
    let (parts, body) = request.into_parts();
    let read = Limited::new(body, BODY_LIMIT).collect();
    let bytes = match tokio::time::timeout(deadline, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => return body_too_large(),
        Ok(Err(error)) => {
            // The client went away, or sent a malformed chunk.
            tracing::debug!(%error, "reading a request body failed");
            return closing(problem::response(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "The request body could not be read",
            ));
        }
        Err(_) => {
            return closing(problem::response(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                &format!(
                    "The request body was not received in time: send all of it within {} s \
                     of the headers",
                    deadline.as_secs()
                ),
            ));
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn body_too_large() -> Response {
    closing(problem::response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("The body is larger than {BODY_LIMIT} bytes"),
    ))
}

/// The rest of the body stays unread: the connection cannot carry another request.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Every 5xx is logged once, with what was asked: the test suites fail on such a line.
async fn log_server_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = crate::api::audit::clip_path(request.uri().path());
    let response = next.run(request).await;
    if response.status().is_server_error() {
        let fault = response
            .extensions()
            .get::<problem::Fault>()
            .map(|f| f.0.clone());
        tracing::error!(status = response.status().as_u16(), %method, %path, fault = fault.as_deref(), "server error response");
    }
    response
}

/// Errors answered by a layer (the request deadline) or by the framework (an unknown
/// path, a wrong method) come without a body or as plain text: they become problems like every
/// other error.
async fn problems_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with(problem::CONTENT_TYPE)
        || content_type.starts_with("text/html")
        || content_type.starts_with("application/json")
    {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!("The body is larger than {BODY_LIMIT} bytes"),
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "timeout",
            "The request took too long and was stopped; try again".to_owned(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "The request body was not received in time".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This endpoint does not accept that HTTP method".to_owned(),
        ),
        StatusCode::NOT_FOUND => ("not_found", "Not found".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "The body must be JSON, sent with Content-Type: application/json".to_owned(),
        ),
        other if other.is_server_error() => (
            "internal_error",
            "Uncatched error on server side".to_owned(),
        ),
        _ => (
            "invalid_request",
            "The request cannot be processed".to_owned(),
        ),
    };
    let mut fresh = problem::response(status, code, &detail);
    // Keep what the layer said beyond its body (Allow, Retry-After, Set-Cookie…).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().append(name.clone(), value.clone());
        }
    }
    fresh
}

/// The most of a server function's error body read to find its status.
const SERVER_FN_ERROR_LIMIT: usize = 16 * 1024;

/// Leptos answers every server-function error with a 500; the error (`UiError`, JSON)
/// knows its real status (400 for arguments that do not parse, 401, 403, 404, 409,
/// 429…), which a script calling `/ui/…` should see. A plain form post's redirect back
/// to its page is left as it is.
async fn server_function_statuses(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(fault) = response.headers_mut().remove(problem::FAULT_HEADER) {
        let text = fault.to_str().unwrap_or("a fault").to_owned();
        response
            .extensions_mut()
            .insert(problem::Fault(text.into()));
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, SERVER_FN_ERROR_LIMIT).await else {
        return problem::response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Uncatched error on server side",
        );
    };
    if let Some(status) = serde_json::from_slice::<app::backend::UiError>(&bytes)
        .ok()
        .and_then(|error| StatusCode::from_u16(error.status).ok())
        .filter(|status| status.is_client_error() || status.is_server_error())
    {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
