//! The OpenAPI 3.1 document of the REST API, generated from the handlers and DTOs.

use app::api_types::*;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder,
        path::{Operation, PathItem},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use super::{auth, directory, metrics, msteams, wizard};
use crate::simulator::api as simulator;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fusion MS Teams Onboarding API",
        description = "Connects existing MS Teams tenants to the Fusion platform for Direct Routing.\n\n\
            Paths, roles, bodies and status codes follow the vendor's MS Teams onboarding page. \
            Extensions (ours): authentication under `/api/v01/auth`, `msteams/status`, \
            `msteams/administrator`, the tenant and subscription lists, `/api/v01/transactions/{id}`, \
            and RFC 9457 problem+json bodies with a stable `code` on every error.\n\n\
            Sign in with `POST /api/v01/auth/login`, then send `Authorization: Bearer <token>`. \
            A tenant or subscription outside your tree of authority answers 404, like an unknown one.",
        version = "v01"
    ),
    paths(
        auth::login, auth::logout, auth::me,
        directory::tenants, directory::subscriptions,
        msteams::applications, msteams::administrator, msteams::create_app, msteams::reset_secret,
        msteams::unlink, msteams::sources, msteams::link, msteams::status,
        simulator::tenants, simulator::create_tenant, simulator::tenant, simulator::set_faults,
        simulator::run_create_app, simulator::journal, simulator::delete_voice_object,
        msteams::update_vrp, wizard::start, wizard::state, wizard::transaction,
        metrics::metrics,
    ),
    components(schemas(Problem, AdminLevel, NodeRef, MsTeamsState, NodeName, IntegrationStatus, LinkSource)),
    modifiers(&BearerAuth, &CommonResponses),
    tags(
        (name = "auth", description = "Sign in and out (extension)"),
        (name = "directory", description = "Tenants and subscriptions in the caller's tree of authority (extension)"),
        (name = "msteams", description = "MS Teams onboarding of a subscription"),
        (name = "simulator", description = "The embedded Microsoft simulator (extension; role simulator.manage)"),
        (name = "system", description = "Operating the server (extension)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token from POST /api/v01/auth/login"))
                    .build(),
            ),
        );
    }
}

/// The answers every operation of a kind can give, declared once: 401 where a session is
/// needed, 400 for a malformed path, query or body, 413 and 415 for a body, 403 and 408
/// for an unsafe method (a cross-site request authenticated by the session cookie is
/// refused; a body that does not arrive in time), and 503 for any request that outlives
/// the request deadline. An operation's own description of one of these is kept.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (safe, operation) in operations(item) {
                let secured = operation
                    .security
                    .as_ref()
                    .is_some_and(|requirements| !requirements.is_empty());
                let has_body = operation.request_body.is_some();
                let has_parameters = operation
                    .parameters
                    .as_ref()
                    .is_some_and(|parameters| !parameters.is_empty());
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                };
                if secured {
                    add("401", "Not signed in, or the session has expired");
                }
                if has_body || has_parameters {
                    add("400", "A malformed path parameter, query parameter or body");
                }
                if has_body {
                    add("413", "The body is larger than 64 KiB");
                    add(
                        "415",
                        "The body is not JSON: send it with Content-Type: application/json",
                    );
                }
                if !safe {
                    add(
                        "403",
                        "A cross-site request: a change authenticated by the session cookie must come from this site's pages",
                    );
                    add("408", "The request body did not arrive in time");
                }
                add(
                    "503",
                    "The request took longer than the server allows (the request deadline)",
                );
            }
        }
    }
}

/// Each operation of a path, and whether its method is safe (changes nothing).
fn operations(item: &mut PathItem) -> Vec<(bool, &mut Operation)> {
    [
        (true, item.get.as_mut()),
        (true, item.head.as_mut()),
        (true, item.options.as_mut()),
        (false, item.post.as_mut()),
        (false, item.put.as_mut()),
        (false, item.patch.as_mut()),
        (false, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(safe, operation)| operation.map(|operation| (safe, operation)))
    .collect()
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            super::problem::CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}
