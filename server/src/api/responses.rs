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

/// Declares each refusal set: a type whose `IntoResponses` are these problem responses.
macro_rules! refusals {
    ($($(#[$doc:meta])* $name:ident = [$(($status:literal, $description:expr)),+];)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    [$(($status, $description)),+]
                        .into_iter()
                        .map(|(status, description): (u16, &str)| {
                            (status.to_string(), problem(description))
                        })
                        .collect()
                }
            }
        )+
    };
}

/// The simulator's words for a caller without `simulator.manage`.
const SIM_FORBIDDEN: &str = "The simulator.manage role is required";

refusals! {
    /// 403: the caller lacks the operation's role.
    Forbidden = [(403, FORBIDDEN)];
    /// 403 and 404 of an operation on a subscription, as the vendor page words them.
    SubscriptionRefusals = [(403, FORBIDDEN), (404, NO_SUBSCRIPTION)];
    /// 400 and 403 of a list (its 404 "No … found" is its own).
    ListRefusals = [(400, BAD_LIST_QUERY), (403, FORBIDDEN)];
    /// 403: the caller lacks `simulator.manage`.
    SimForbidden = [(403, SIM_FORBIDDEN)];
    /// 403 and 404 of the simulator's operations on one simulated tenant.
    SimTenantRefusals = [(403, SIM_FORBIDDEN), (404, "No such simulated tenant")];
    /// 403 and 404 of the mock controls.
    MockRefusals = [
        (403, "Only group admins with the mock.manage role may use the mock controls"),
        (404, "The mock controls are off on this server (--mock-controls)")
    ];
}
