use serde::{Deserialize, Serialize};

/// An RFC 9457 problem details body (`application/problem+json`), used by every 4xx/5xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// Exactly these fields: a body with more (the wizard's failure) is another schema.
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "type": "/problems/not_found",
        "title": "Not Found",
        "status": 404,
        "detail": "No tenant 40000000-0000-4000-8000-000000000009 in your tree of authority",
        "code": "not_found",
        "error": "No tenant 40000000-0000-4000-8000-000000000009 in your tree of authority"
    }))
)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/{code}`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words a user can act on.
    pub detail: String,
    /// A stable machine-readable code, e.g. `validation_failed` or `not_found`.
    pub code: String,
    /// The message again, where the vendor's clients read it (`{"error": "…"}`).
    pub error: String,
    /// Extension: the request's id (its `X-Request-Id`), which the server's log lines
    /// about it carry too.
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 64))]
    pub request_id: Option<String>,
}

impl Problem {
    /// A problem of `status` (with its reason phrase as the title) and `code`.
    pub fn new(status: u16, title: &str, code: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Problem {
            problem_type: format!("/problems/{code}"),
            title: title.to_owned(),
            status,
            error: detail.clone(),
            detail,
            code: code.to_owned(),
            request_id: None,
        }
    }
}
