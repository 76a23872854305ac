//! The OpenAPI 3.1 document of the REST API, generated from the handlers and DTOs.

use app::api_types::*;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
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
    modifiers(&BearerAuth),
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
