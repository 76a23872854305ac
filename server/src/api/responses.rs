//! The refusals operations share, declared once for the OpenAPI document: a handler
//! names the set (`responses(…, SubscriptionRefusals)`) instead of repeating each
//! problem response. Every error body is a `Problem` sent as problem+json; the
//! document's `ProblemMediaType` modifier gives operation-specific ones that type too.

use std::collections::BTreeMap;

use utoipa::{
    IntoResponses,
    openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder},
};

use super::problem::CONTENT_TYPE;

/// The vendor page's words for a role the caller lacks.
pub const FORBIDDEN: &str =
    "The API consumer doesn't have sufficient rights to perform this action";

/// The vendor page's words for a tenant or subscription that is not there (or lies
/// outside the caller's tree of authority, which looks the same).
pub const NO_SUBSCRIPTION: &str = "The path tenant / subscription doesn't exist";

/// What a list refuses besides its own 404.
pub const BAD_LIST_QUERY: &str = "Error while processing the request: a malformed parameter, or a `next` that is not a continuation token of this list and query";

/// A problem response with this description.
pub fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn set(responses: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    responses
        .iter()
        .map(|(status, description)| (status.to_string(), problem(description)))
        .collect()
}

/// 403: the caller lacks the operation's role.
pub struct Forbidden;

impl IntoResponses for Forbidden {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(403, FORBIDDEN)])
    }
}

/// 403 and 404 of an operation on a subscription, as the vendor page words them.
pub struct SubscriptionRefusals;

impl IntoResponses for SubscriptionRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(403, FORBIDDEN), (404, NO_SUBSCRIPTION)])
    }
}

/// 400 and 403 of a list (its 404 "No … found" is its own).
pub struct ListRefusals;

impl IntoResponses for ListRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(400, BAD_LIST_QUERY), (403, FORBIDDEN)])
    }
}

/// The simulator's words for a caller without `simulator.manage`.
const SIM_FORBIDDEN: &str = "The simulator.manage role is required";

/// 403: the caller lacks `simulator.manage`.
pub struct SimForbidden;

impl IntoResponses for SimForbidden {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(403, SIM_FORBIDDEN)])
    }
}

/// 403 and 404 of the simulator's operations on one simulated tenant.
pub struct SimTenantRefusals;

impl IntoResponses for SimTenantRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(403, SIM_FORBIDDEN), (404, "No such simulated tenant")])
    }
}
