//! Extractors whose rejections are problem+json: JSON bodies, query parameters and the
//! authenticated caller (paths: `paths`).

use std::{collections::HashMap, fmt, marker::PhantomData};

use app::backend::SessionCookie;
use axum::{
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::Response,
};
use serde::{
    Deserialize, Deserializer,
    de::{DeserializeOwned, MapAccess, Visitor, value::MapAccessDeserializer},
};

use super::{audit::AuditActor, problem};
use crate::{
    domain::{
        AppError, Caller,
        listing::{ListQuery, SortKey},
        types::clip_to,
    },
    state::AppState,
    store::accounts::TokenKind,
};

/// `axum::Json` with its rejections turned into problems (400, 413, 415).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match axum::Json::<Object<T>>::from_request(req, state).await {
            Ok(axum::Json(Object(value))) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `T` read only from a JSON object: serde would also build a struct from a JSON array,
/// binding its fields by position.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// A body that cannot be read as `T`: 413 and 415 are HTTP's own refusals (the domain
/// never meets them), 400 a malformed body.
fn json_rejection(rejection: JsonRejection) -> Response {
    // The edges read every body (at most `BODY_LIMIT`, within a deadline) before a
    // handler runs; this is axum's own limit, should a route run without them.
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return problem::response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            &format!("The body is larger than {} bytes", super::BODY_LIMIT),
        );
    }
    let (code, detail) = match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            return problem::response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "The body must be JSON, sent with Content-Type: application/json",
            );
        }
        JsonRejection::JsonSyntaxError(error) => (
            "malformed_json",
            format!(
                "The body is not valid JSON: {}",
                clip_to(&error.body_text(), 200)
            ),
        ),
        JsonRejection::JsonDataError(error) => {
            ("invalid_body", body_error_text(&error.body_text()))
        }
        other => ("invalid_body", clip_to(&other.body_text(), 200)),
    };
    problem::response(StatusCode::BAD_REQUEST, code, &detail)
}

/// serde's message without axum's prefix, e.g. "missing field `secret` at line 1 column 20".
/// The offending value is left out: it may be a secret sent with the wrong type.
fn body_error_text(text: &str) -> String {
    let reason = text.split_once(": ").map_or(text, |(_, rest)| rest);
    let reason = without_string_value(&without_quoted_value(reason));
    format!(
        "The body does not match the expected shape: {}",
        clip_to(&reason, 200)
    )
}

/// serde's "invalid type: integer `12345`, expected …" without the value.
fn without_quoted_value(reason: &str) -> String {
    let value_start = reason
        .find("invalid type: ")
        .or_else(|| reason.find("invalid value: "))
        .and_then(|at| reason[at..].find(" `").map(|start| at + start));
    match value_start {
        Some(start) => match reason[start + 2..].find('`') {
            Some(end) => format!("{}{}", &reason[..start], &reason[start + 3 + end..]),
            None => reason.to_owned(),
        },
        None => reason.to_owned(),
    }
}

/// serde's "invalid type: string \"…\", expected …" without the string.
fn without_string_value(reason: &str) -> String {
    match (reason.find(" string \""), reason.rfind("\", expected")) {
        (Some(start), Some(end)) if end > start => {
            format!("{} string{}", &reason[..start], &reason[end + 1..])
        }
        _ => reason.to_owned(),
    }
}

/// Query parameters, with a problem for a malformed query string.
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(query)| QueryParams(query))
            .map_err(|rejection| {
                AppError::invalid(
                    "invalid_query_parameter",
                    clip_to(&rejection.body_text(), 200),
                )
            })
    }
}

/// The query of a list endpoint: `search`, `sort`, `dir`, `parent`, `page_size`, and
/// `next` or `page`, parsed (400 for a malformed one).
pub struct ListParams<S>(pub ListQuery<S>);

impl<S: SortKey + Send, St: Send + Sync> FromRequestParts<St> for ListParams<S> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AppError> {
        let QueryParams(query) = QueryParams::from_request_parts(parts, state).await?;
        ListQuery::parse(|name| query.get(name).map(String::as_str)).map(ListParams)
    }
}

/// The signed-in administrator, from `Authorization: Bearer <access token>` (a REST
/// session's) or the session cookie (a browser session's refresh token).
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (token, kind) = session_token(&parts.headers, &state.site.cookie).ok_or_else(|| {
            AppError::Unauthenticated(
                "Sign in first: send Authorization: Bearer <access_token> with a token from POST /api/v01/auth/login".into(),
            )
        })?;
        let caller = state.accounts.authenticate(&token, kind).await?;
        if let Some(actor) = parts.extensions.get::<AuditActor>() {
            actor.set(&caller.username);
        }
        Ok(Authenticated(caller))
    }
}

/// The bearer token (an access token), or else the session cookie (a browser session's
/// refresh token).
/// An `Authorization` header of another scheme names no session: it never falls back
/// to the cookie.
pub fn session_token(headers: &HeaderMap, cookie: &SessionCookie) -> Option<(String, TokenKind)> {
    if let Some(token) = bearer(headers) {
        return token.map(|token| (token, TokenKind::Access));
    }
    cookie.read(headers).map(|token| (token, TokenKind::Cookie))
}

/// `Authorization: Bearer <token>`: `None` without the header, `Some(None)` when it is
/// not a bearer token.
pub fn bearer(headers: &HeaderMap) -> Option<Option<String>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim().to_owned());
    Some(token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_errors_name_the_field_but_not_the_value() {
        let text = super::body_error_text(
            "Failed to deserialize the JSON body into the target type: secret: invalid type: integer `12345`, expected a string at line 1 column 20",
        );
        assert!(!text.contains("12345"), "{text}");
        assert!(
            text.contains("invalid type: integer, expected a string"),
            "{text}"
        );
        let missing = super::body_error_text(
            "Failed to deserialize the JSON body into the target type: missing field `secret` at line 1 column 2",
        );
        assert!(missing.contains("missing field `secret`"), "{missing}");
        let string = super::body_error_text(
            "Failed to deserialize the JSON body into the target type: subscriptionId: invalid type: string \"hunter2\", expected an integer at line 1 column 30",
        );
        assert!(!string.contains("hunter2"), "{string}");
        assert!(
            string.contains("invalid type: string, expected an integer"),
            "{string}"
        );
        let long = super::body_error_text(&format!(
            "Failed to deserialize the JSON body into the target type: unknown field `{}`, expected `username` or `password`",
            "k".repeat(60_000)
        ));
        assert!(long.chars().count() < 300, "{} characters", long.len());
    }
}
