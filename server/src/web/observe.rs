//! The outermost layer: every request gets an id (a sane `X-Request-Id` it came with, or
//! a new one) that its log lines carry, that its answer carries back in `X-Request-Id`
//! and, for an error, in the problem+json body's `requestId`; and every answer is
//! counted and timed by route template for `/metrics`.

use std::time::Instant;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use http_body_util::BodyExt;
use tracing::Instrument;

use crate::{api::problem, metrics::Metrics};

pub const REQUEST_ID: &str = "x-request-id";

/// A problem body larger than this is passed on as it is (they are a few hundred bytes).
const PROBLEM_REWRITE_LIMIT: usize = 16 * 1024;

pub async fn observe(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| sane_id(value))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %id, %method, path = %crate::api::audit::clip_path(&path));
    let response = next.run(request).instrument(span).await;
    let status = response.status().as_u16();
    metrics.request_answered(
        method.as_str(),
        &route_template(&path, status),
        status,
        started.elapsed(),
    );
    let mut response = with_request_id(response, &id).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// An id a client may choose: 1 to 64 letters, digits, `-`, `_` or `.`.
fn sane_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The problem+json body with `requestId` added; any other answer as it is.
async fn with_request_id(response: Response, id: &str) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(problem::CONTENT_TYPE));
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = http_body_util::Limited::new(body, PROBLEM_REWRITE_LIMIT)
        .collect()
        .await
    else {
        return Response::from_parts(parts, Body::empty());
    };
    let bytes = collected.to_bytes();
    let rewritten = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.insert("requestId".into(), id.into());
            serde_json::to_vec(&fields).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(rewritten))
}

/// The route a path belongs to, for a label of bounded variety: ids (UUIDs, numbers)
/// become `{id}`, static files and pages are grouped, and what no route answered
/// (404, 405) is `unmatched`, so that made-up paths cannot grow the metrics.
fn route_template(path: &str, status: u16) -> String {
    if status == 404 || status == 405 {
        return "unmatched".into();
    }
    let api = ["/api/", "/sim/", "/mock/", "/ui/"];
    if !api.iter().any(|prefix| path.starts_with(prefix))
        && !matches!(path, "/metrics" | "/livez" | "/readyz")
    {
        return if path.starts_with("/pkg/") || path.contains('.') {
            "static".into()
        } else {
            "page".into()
        };
    }
    path.split('/')
        .map(|segment| {
            let is_id = segment.parse::<i64>().is_ok()
                || uuid::Uuid::parse_str(segment).is_ok()
                || segment.len() > 40;
            if is_id { "{id}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_junk_do_not_make_new_routes() {
        let cases = [
            (
                "/api/v01/draas/demo/tenants/40000000-0000-4000-8000-000000000001/subscriptions/3/msteams/wizard",
                200,
                "/api/v01/draas/demo/tenants/{id}/subscriptions/{id}/msteams/wizard",
            ),
            (
                "/api/v01/transactions/214001",
                200,
                "/api/v01/transactions/{id}",
            ),
            ("/api/v01/no/such/thing", 404, "unmatched"),
            (
                "/tenants/40000000-0000-4000-8000-000000000001/subscriptions/3",
                200,
                "page",
            ),
            ("/pkg/fusion-teams-onboarding.wasm", 200, "static"),
            ("/readyz", 503, "/readyz"),
        ];
        for (path, status, route) in cases {
            assert_eq!(route_template(path, status), route, "{path}");
        }
    }

    #[test]
    fn only_sane_request_ids_are_taken_up() {
        assert!(sane_id("abc-123_x.y"));
        assert!(!sane_id(""));
        assert!(!sane_id(&"a".repeat(65)));
        assert!(!sane_id("a b"));
        assert!(!sane_id("a\nb"));
    }
}
