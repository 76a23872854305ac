//! The OpenAPI 3.1 document of the REST API, generated from the handlers and DTOs.

use app::api_types::*;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        AllOf, RefOr, Schema,
        path::{Operation, PathItem},
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};

use super::{problem::CONTENT_TYPE, responses::problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fusion MS Teams Onboarding API",
        description = "Connects existing MS Teams tenants to the Fusion platform for Direct Routing.\n\n\
            Paths, roles, bodies and status codes follow the vendor's MS Teams onboarding page. \
            `msteams/status` follows the public docs, with its sub-objects and status values as the \
            vendor's portal client reads them; `msteams/admins` follows the vendor's portal client, \
            with role strings of ours (`…msteams.administrator.read` and `….update`), as no source names one. \
            The group, distributor, reseller, tenant and subscription lists follow the public docs \
            (query `search`, `sort`, `dir`, `parent`, `page_size`, `next`, also `page`; body \
            `{results, pages, page, next?, <items>}`; 404 when nothing is found). \
            Sign-in follows the public docs and the APIO docs (`{access_token, refresh_token}`, a \
            `2fa_payload` from devices not trusted yet, refresh with `GET /api/v01/auth/access_token`), \
            with the second-factor endpoints and the current user as the vendor's client calls them. \
            Extensions (ours): each subscription's `msTeams` state and `directRoutingUsers`, \
            `/api/v01/transactions/{id}`, the simulator under `/sim/v1`, the mock controls under `/mock/v1`, `/metrics`, `/livez` and \
            `/readyz`, and RFC 9457 \
            problem+json bodies with a stable `code` on every error (plus `error`, the message, where \
            the vendor's clients read it).\n\n\
            Every operation says where it comes from in `x-fusion-source`: `vendor-msteams-page` \
            (the vendor's MS Teams onboarding page), `public-docs` (the platform's public API docs), \
            `apio-docs` (the docs of APIO Core, the engine under Fusion), `vendor-client` (the \
            vendor's open-source portal client) or `extension` (ours). A field whose source differs \
            from its operation's carries its own `x-fusion-source` on its schema (so `Problem`'s \
            RFC 9457 members say `extension`, its `error` says `vendor-client`). A field without \
            its own mark comes from where the field holding it comes from, and a field of the \
            body itself from where its operation comes from.\n\n\
            Sign in with `POST /api/v01/auth/login`, then send `Authorization: Bearer <access_token>`. \
            Browsers are signed in by the sign-in page's session cookie instead (the `session` \
            scheme), which changes only from this site's own pages. \
            A tenant or subscription outside your tree of authority answers 404, like an unknown one.",
        version = "v01"
    ),
    components(schemas(Problem, AdminLevel, NodeRef, MsTeamsState, OnboardingState, LinkSource,
        MsTeamsTenantStatus, MsTeamsMode, DomainStatus, PowershellIntegration, GraphIntegration)),
    tags(
        (name = "auth", description = "Sign in and out as the platform does it: login and the token pair (public docs, APIO docs), refresh (APIO docs), the second factor, logout by GET and the current user (the vendor's portal client); logout by POST is ours"),
        (name = "directory", description = "Groups, distributors, resellers, tenants and subscriptions in the caller's tree of authority, as the public docs list them"),
        (name = "msteams", description = "MS Teams onboarding of a subscription"),
        (name = "simulator", description = "The embedded Microsoft simulator (extension; role simulator.manage)"),
        (name = "system", description = "Operating the server (extension)"),
        (name = "mock", description = "The mock controls (extension; group admins with mock.manage, on a server that runs a scenario): reset to the loaded scenario, export the state as a scenario, replace it with another"),
    )
)]
struct ApiDoc;

/// The document: the info, tags and shared components above, the operations the
/// routers registered (`paths`), then what every operation of a kind shares.
pub fn document(paths: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(paths);
    let modifiers: [&dyn Modify; 5] = [
        &BearerAuth,
        &SessionCookieAuth,
        &ProblemMediaType,
        &CommonResponses,
        &Provenance,
    ];
    for modifier in modifiers {
        modifier.modify(&mut document);
    }
    document
}

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

/// The browser's session cookie, set by the sign-in page, as an alternative to the bearer
/// token on every operation that takes the bearer token, but the refresh (whose bearer is
/// the refresh token, never read from the cookie).
struct SessionCookieAuth;

/// The operation that takes only the bearer scheme: the refresh token as the bearer.
const BEARER_ONLY: &str = "/api/v01/auth/access_token";

/// The name of the session cookie's security scheme.
const SESSION_SCHEME: &str = "session";

impl Modify for SessionCookieAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "fusion_session",
                "The session cookie the sign-in page sets in a browser (named \
                 `__Host-fusion_session` on an https site). A change (POST, PUT, DELETE) \
                 authenticated by it must come from this site's own pages (the browser's \
                 `Sec-Fetch-Site` or `Origin` names this site): any other is refused (403 \
                 `cross_site_request`). Scripts send the bearer token instead.",
            ))),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == BEARER_ONLY {
                continue;
            }
            for (_, operation) in operations(item) {
                let Some(requirements) = operation.security.as_mut() else {
                    continue;
                };
                let names = |requirement: &SecurityRequirement| {
                    serde_json::to_value(requirement)
                        .ok()
                        .and_then(|value| {
                            value
                                .as_object()
                                .map(|o| o.keys().cloned().collect::<Vec<String>>())
                        })
                        .unwrap_or_default()
                };
                let takes = |scheme: &str| {
                    requirements
                        .iter()
                        .any(|requirement| names(requirement) == [scheme])
                };
                if takes("bearer") && !takes(SESSION_SCHEME) {
                    requirements.push(SecurityRequirement::new(
                        SESSION_SCHEME,
                        Vec::<String>::new(),
                    ));
                }
            }
        }
    }
}

/// Every error body is a problem sent as `application/problem+json`: an operation
/// declares its own 4xx and 5xx answers with `body = Problem` (or `WizardRefusal`), and
/// this gives them that media type.
struct ProblemMediaType;

impl Modify for ProblemMediaType {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (_, operation) in operations(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if let Some(content) = response.content.shift_remove("application/json") {
                        response.content.insert(CONTENT_TYPE.to_owned(), content);
                    }
                }
            }
        }
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
                        .or_insert_with(|| problem(description));
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

/// Where an operation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The vendor's MS Teams onboarding page: the contract.
    VendorPage,
    /// The platform's public API docs.
    PublicDocs,
    /// The docs of APIO Core, the engine under Fusion.
    ApioDocs,
    /// The vendor's open-source portal client.
    VendorClient,
    /// Ours.
    Extension,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::VendorPage => "vendor-msteams-page",
            Source::PublicDocs => "public-docs",
            Source::ApioDocs => "apio-docs",
            Source::VendorClient => "vendor-client",
            Source::Extension => "extension",
        }
    }

    fn sentence(self) -> &'static str {
        match self {
            Source::VendorPage => "Source: the vendor's MS Teams onboarding page.",
            Source::PublicDocs => "Source: the platform's public API docs.",
            Source::ApioDocs => "Source: the APIO Core docs (the engine under Fusion).",
            Source::VendorClient => "Source: the vendor's portal client (no doc page shows it).",
            Source::Extension => "Source: an extension of ours.",
        }
    }
}

/// A path below a subscription.
macro_rules! subscription {
    ($tail:literal) => {
        concat!(
            "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}",
            $tail
        )
    };
}

/// Every operation's source: method, path, source.
pub const PROVENANCE: &[(&str, &str, Source)] = &[
    ("post", "/api/v01/auth/login", Source::PublicDocs),
    ("post", "/api/v01/auth/2fa", Source::VendorClient),
    ("post", "/api/v01/auth/2fa_totp", Source::VendorClient),
    ("get", "/api/v01/auth/access_token", Source::ApioDocs),
    ("get", "/api/v01/auth/logout", Source::VendorClient),
    ("post", "/api/v01/auth/logout", Source::Extension),
    ("get", "/api/v01/system/users/local", Source::VendorClient),
    (
        "get",
        "/api/v01/draas/{draas_instance}/groups",
        Source::PublicDocs,
    ),
    (
        "get",
        "/api/v01/draas/{draas_instance}/distributors",
        Source::PublicDocs,
    ),
    (
        "get",
        "/api/v01/draas/{draas_instance}/resellers",
        Source::PublicDocs,
    ),
    (
        "get",
        "/api/v01/draas/{draas_instance}/tenants",
        Source::PublicDocs,
    ),
    (
        "get",
        "/api/v01/draas/{draas_instance}/tenants/{uuid}",
        Source::VendorClient,
    ),
    (
        "get",
        "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions",
        Source::VendorClient,
    ),
    (
        "get",
        "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}",
        Source::VendorClient,
    ),
    (
        "post",
        subscription!("/msteams/applications"),
        Source::VendorPage,
    ),
    (
        "get",
        subscription!("/msteams/admins"),
        Source::VendorClient,
    ),
    (
        "post",
        subscription!("/msteams/admins"),
        Source::VendorClient,
    ),
    (
        "delete",
        subscription!("/msteams/admins"),
        Source::VendorClient,
    ),
    (
        "post",
        subscription!("/downloads/create_app"),
        Source::VendorPage,
    ),
    (
        "post",
        subscription!("/msteams/reset_secret"),
        Source::VendorPage,
    ),
    ("post", subscription!("/msteams/unlink"), Source::VendorPage),
    ("get", subscription!("/msteams/sources"), Source::VendorPage),
    ("post", subscription!("/msteams/link"), Source::VendorPage),
    ("get", subscription!("/msteams/status"), Source::PublicDocs),
    (
        "put",
        subscription!("/msteams/update_vrp"),
        Source::VendorPage,
    ),
    ("post", subscription!("/msteams/wizard"), Source::VendorPage),
    ("get", subscription!("/msteams/wizard"), Source::VendorPage),
    ("get", "/api/v01/transactions/{id}", Source::Extension),
    ("get", "/sim/v1/tenants", Source::Extension),
    ("post", "/sim/v1/tenants", Source::Extension),
    ("get", "/sim/v1/tenants/{ms_tenant_id}", Source::Extension),
    (
        "put",
        "/sim/v1/tenants/{ms_tenant_id}/faults",
        Source::Extension,
    ),
    (
        "post",
        "/sim/v1/tenants/{ms_tenant_id}/create_app",
        Source::Extension,
    ),
    (
        "get",
        "/sim/v1/tenants/{ms_tenant_id}/journal",
        Source::Extension,
    ),
    (
        "delete",
        "/sim/v1/tenants/{ms_tenant_id}/voice_objects/{kind}/{identity}",
        Source::Extension,
    ),
    ("get", "/sim/v1/outbox", Source::Extension),
    ("get", "/metrics", Source::Extension),
    ("post", "/mock/v1/reset", Source::Extension),
    ("get", "/mock/v1/export", Source::Extension),
    ("post", "/mock/v1/scenario", Source::Extension),
    ("get", "/livez", Source::Extension),
    ("get", "/readyz", Source::Extension),
];

/// The fields whose source differs from their operation's, or (in a schema operations
/// of several sources share, such as `Problem` or `Tenant`) from one of them: schema,
/// property, source. A field not listed comes from where the field holding it comes
/// from, and a field of the body itself from where its operation comes from.
pub const FIELD_PROVENANCE: &[(&str, &str, Source)] = &[
    // Sign-in: the token names as APIO documents them, and its `option` of the 2FA answer.
    ("TokenPair", "access_token", Source::ApioDocs),
    ("TokenPair", "refresh_token", Source::ApioDocs),
    ("TwoFactorChallenge", "option", Source::ApioDocs),
    // The current user: the vendor's client reads `ui_profile` and `profile.api_rules`.
    ("CurrentUser", "displayName", Source::Extension),
    ("CurrentUser", "draasInstance", Source::Extension),
    ("CurrentUser", "node", Source::Extension),
    // Lists: the objects' fields as the vendor's client types them (the docs show only
    // the list bodies); `owner` is the public docs' generic Owner object.
    ("Partner", "name", Source::VendorClient),
    ("Partner", "billingId", Source::VendorClient),
    ("Tenant", "uuid", Source::VendorClient),
    ("Tenant", "name", Source::VendorClient),
    ("Tenant", "billingId", Source::VendorClient),
    ("Tenant", "owner", Source::PublicDocs),
    // The subscriptions: the vendor's client types `{subscriptions, page, pages,
    // results}` of `{uuid, name}`; `next` is the docs' list shape, `id` the docs' integer
    // index of the subscription; `licenseType`'s values are the docs', its name ours.
    ("SubscriptionList", "next", Source::PublicDocs),
    ("Subscription", "id", Source::PublicDocs),
    ("Subscription", "licenseType", Source::Extension),
    ("Subscription", "directRoutingUsers", Source::Extension),
    ("Subscription", "msTeams", Source::Extension),
    // `msteams/status`: the docs list the fields, the vendor's client the sub-objects'.
    ("MsTeamsStatus", "linkedTo", Source::Extension),
    ("PowershellIntegration", "msUserName", Source::VendorClient),
    ("PowershellIntegration", "active", Source::VendorClient),
    ("PowershellIntegration", "updatedAt", Source::Extension),
    ("GraphIntegration", "msApplicationId", Source::VendorClient),
    ("GraphIntegration", "active", Source::VendorClient),
    ("GraphIntegration", "updatedAt", Source::Extension),
    ("GraphIntegration", "secretExpiresAt", Source::Extension),
    ("DomainStatus", "name", Source::VendorClient),
    ("DomainStatus", "verified", Source::VendorClient),
    // The wizard's steps: the vendor page's, with times of ours.
    ("WizardStep", "startedAt", Source::Extension),
    ("WizardStep", "executedAt", Source::Extension),
    // Errors: RFC 9457 problem details (ours), with `error` where the vendor's clients
    // read the message.
    ("Problem", "type", Source::Extension),
    ("Problem", "title", Source::Extension),
    ("Problem", "status", Source::Extension),
    ("Problem", "detail", Source::Extension),
    ("Problem", "code", Source::Extension),
    ("Problem", "error", Source::VendorClient),
    ("WizardFailure", "type", Source::Extension),
    ("WizardFailure", "title", Source::Extension),
    ("WizardFailure", "status", Source::Extension),
    ("WizardFailure", "detail", Source::Extension),
    ("WizardFailure", "code", Source::Extension),
    ("WizardFailure", "error", Source::VendorClient),
    ("WizardFailure", "failedStep", Source::Extension),
];

/// Marks every operation with its source (`x-fusion-source`) and says it in a sentence,
/// and the fields of `FIELD_PROVENANCE` with theirs.
struct Provenance;

impl Modify for Provenance {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (method, path, source) in PROVENANCE {
            let Some(item) = openapi.paths.paths.get_mut(*path) else {
                continue;
            };
            let operation = match *method {
                "get" => item.get.as_mut(),
                "post" => item.post.as_mut(),
                "put" => item.put.as_mut(),
                "delete" => item.delete.as_mut(),
                _ => None,
            };
            let Some(operation) = operation else {
                continue;
            };
            let extensions = operation.extensions.get_or_insert_with(Default::default);
            extensions.insert(
                "x-fusion-source".to_owned(),
                serde_json::Value::from(source.name()),
            );
            let description = operation.description.take().unwrap_or_default();
            operation.description = Some(
                format!("{description}\n\n{}", source.sentence())
                    .trim_start()
                    .to_owned(),
            );
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (schema, property, source) in FIELD_PROVENANCE {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*schema) else {
                continue;
            };
            if let Some(field) = object.properties.get_mut(*property) {
                mark_field(field, *source);
            }
        }
    }
}

/// Puts `x-fusion-source` on a field's schema. A `$ref` cannot carry it: it becomes a
/// one-item `allOf` of the reference, which means the same, with the description.
fn mark_field(field: &mut RefOr<Schema>, source: Source) {
    if let RefOr::Ref(reference) = field {
        let description = std::mem::take(&mut reference.description);
        let mut wrapper = AllOf::new();
        wrapper.items.push(RefOr::Ref(reference.clone()));
        wrapper.description = (!description.is_empty()).then_some(description);
        *field = RefOr::T(Schema::AllOf(wrapper));
    }
    let RefOr::T(schema) = field else {
        return;
    };
    let extensions = match schema {
        Schema::Object(object) => &mut object.extensions,
        Schema::Array(array) => &mut array.extensions,
        Schema::OneOf(one_of) => &mut one_of.extensions,
        Schema::AllOf(all_of) => &mut all_of.extensions,
        Schema::AnyOf(any_of) => &mut any_of.extensions,
        _ => return,
    };
    extensions.get_or_insert_with(Default::default).insert(
        "x-fusion-source".to_owned(),
        serde_json::Value::from(source.name()),
    );
}
