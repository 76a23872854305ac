//! The layers around every route, outermost first: tracing, logging of every 5xx,
//! security headers, problem+json for errors the layers themselves answer, a panic in
//! a request turned into that request's 500, the request deadline, the body size and
//! body read deadlines, the cross-site check, and the client's address.

use std::any::Any;

use axum::{
    Router,
    extract::Request,
    http::{StatusCode, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    timeout::{RequestBodyTimeoutLayer, TimeoutLayer},
    trace::TraceLayer,
};

use super::{client, csrf, security};
use crate::{
    api::{BODY_LIMIT, problem},
    state::AppState,
};

pub fn layers(router: Router, state: &AppState) -> Router {
    let site = state.site.clone();
    router
        .layer(middleware::from_fn_with_state(
            site.clone(),
            client::record_address,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::refuse_cross_site,
        ))
        .layer(middleware::from_fn(server_function_statuses))
        .layer(RequestBodyTimeoutLayer::new(site.body_read_timeout))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
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

/// Every 5xx is logged once, with what was asked: the test suites fail on such a line.
async fn log_server_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if response.status().is_server_error() {
        tracing::error!(status = response.status().as_u16(), %method, %path, "server error response");
    }
    response
}

/// Errors answered by a layer (an oversized body, the request deadline) or by the
/// framework come without a body or as plain text: they become problems like every
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
    let response = next.run(request).await;
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
