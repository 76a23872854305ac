//! Bad input: every malformed request gets a problem+json 4xx with a stable code, the
//! database is left exactly as it was, and nothing a client sends produces a 500.
//!
//! The cases are tables; each test sends every case of its table as a group admin and
//! fails naming each case whose answer was not the refusal it expects.

use axum::{
    body::Body,
    http::{Method, StatusCode},
};
use serde_json::{Value, json};

use crate::helpers::{
    ACME_ADMIN, ACME_APPLICATION, ACME_TEAMS, ADMIN_PASSWORD, Failures, GLOBEX_TEAMS, JsonBody,
    NEW_APPLICATION, NEW_MS_TENANT, NEW_SECRET, Says, TENANT_ACME, TENANTS, TestApp, TestResponse,
    Url, application, application_body, link_body, list_path, sub_path,
};

/// The endpoints with a body, where the tables send theirs.
const APPLICATIONS: Url = Url::Sub(GLOBEX_TEAMS, "msteams/applications");
const ADMINS: Url = Url::Sub(ACME_TEAMS, "msteams/admins");
const RESET_SECRET: Url = Url::Sub(ACME_TEAMS, "msteams/reset_secret");
const LINK: Url = Url::Sub(GLOBEX_TEAMS, "msteams/link");

/// What a case sends as its body.
enum Sent {
    Nothing,
    Json(Value),
    /// A body as it is, with this Content-Type (or none).
    Raw(Option<&'static str>, Body),
}

/// One request and the refusal it must get: its status, its code, what its detail must
/// say (the field at fault), and a header it must carry.
struct Case {
    method: Method,
    path: String,
    sent: Sent,
    status: u16,
    code: &'static str,
    says: Says,
    header: Option<&'static str>,
}

impl Case {
    fn new(method: &Method, path: impl Into<String>, sent: Sent) -> Self {
        Case {
            method: method.clone(),
            path: path.into(),
            sent,
            status: 400,
            code: "invalid_body",
            says: Says::Anything,
            header: None,
        }
    }

    fn json(method: &Method, url: Url, body: Value) -> Self {
        Case::new(method, url.path(), Sent::Json(body))
    }

    fn post(url: Url, body: Value) -> Self {
        Case::json(&Method::POST, url, body)
    }

    fn get(path: impl Into<String>) -> Self {
        Case::new(&Method::GET, path, Sent::Nothing)
    }

    fn refused(self, status: u16, code: &'static str) -> Self {
        Case {
            status,
            code,
            ..self
        }
    }

    fn naming(self, word: &'static str) -> Self {
        Case {
            says: Says::Contains(word),
            ..self
        }
    }

    fn starting(self, word: &'static str) -> Self {
        Case {
            says: Says::StartsWith(word),
            ..self
        }
    }

    fn carrying(self, header: &'static str) -> Self {
        Case {
            header: Some(header),
            ..self
        }
    }

    /// The case's name beside its request: the body, when it is JSON.
    fn name(&self) -> String {
        match &self.sent {
            Sent::Json(body) => format!("the body {body}"),
            _ => String::new(),
        }
    }

    async fn send(self, app: &TestApp, token: &str) -> TestResponse {
        let call = app.request(self.method, &self.path).bearer(token);
        match self.sent {
            Sent::Nothing => call,
            Sent::Json(body) => call.json(&body),
            Sent::Raw(content_type, body) => call.raw(content_type, body),
        }
        .send()
        .await
    }
}

/// Sends every case as a group admin: each must get its refusal, and none may write to
/// the database. Fails naming every case that did not hold.
async fn assert_refused(cases: impl IntoIterator<Item = Case>) {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let before = app.snapshot().await;
    let mut failures = Failures::default();
    for case in cases {
        let (name, status, code, says) = (case.name(), case.status, case.code, case.says);
        let header = case.header;
        let response = case.send(&app, &token).await;
        failures.check(&name, response.check_refusal(status, code, says));
        if let Some(header) = header {
            let carried = response.header(header).is_some();
            failures.expect(&name, carried, format!("no {header} header"));
        }
    }
    failures.assert_none();
    let after = app.snapshot().await;
    assert_eq!(after, before, "a refused request changed the database");
}

/// A group admin's answer to `request`, which must be `status`.
async fn assert_accepted(method: Method, url: Url, sent: Sent, status: StatusCode) {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let response = Case::new(&method, url.path(), sent)
        .send(&app, &token)
        .await;
    response.assert_status(status);
}

#[tokio::test]
async fn malformed_json_is_refused() {
    let bodies = [
        (APPLICATIONS, "{"),
        (APPLICATIONS, "{\"applicationId\": "),
        (APPLICATIONS, "not json"),
        (APPLICATIONS, "{\"secret\": \"a\",}"),
        (APPLICATIONS, "{'secret': 'a'}"),
        (APPLICATIONS, "\u{feff}{}"),
        // An empty body is not JSON.
        (LINK, ""),
    ];
    assert_refused(bodies.map(|(url, body)| {
        let sent = Sent::Raw(Some("application/json"), body.into());
        Case::new(&Method::POST, url.path(), sent).refused(400, "malformed_json")
    }))
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    #[rustfmt::skip]
    let content_types = [
        "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/xml",
    ];
    let applications = content_types.map(|content_type| {
        let sent = Sent::Raw(Some(content_type), application_body().to_string().into());
        Case::new(&Method::POST, APPLICATIONS.path(), sent)
    });
    let admins = Sent::Raw(Some("text/plain"), "admin@x.com:pw".into());
    let admins = Case::new(&Method::POST, ADMINS.path(), admins);
    let cases = applications.into_iter().chain([admins]);
    assert_refused(cases.map(|case| case.refused(415, "unsupported_media_type"))).await;
}

#[tokio::test]
async fn a_body_without_content_type_is_415() {
    let applications = Sent::Raw(None, application_body().to_string().into());
    let link = Sent::Raw(None, "{\"subscriptionId\": 1}".into());
    assert_refused(
        [
            Case::new(&Method::POST, APPLICATIONS.path(), applications).naming("application/json"),
            Case::new(&Method::POST, LINK.path(), link),
        ]
        .map(|case| case.refused(415, "unsupported_media_type")),
    )
    .await;
}

#[tokio::test]
async fn json_with_a_charset_or_a_json_suffix_is_accepted() {
    let body = application_body().to_string().into();
    let sent = Sent::Raw(Some("application/json; charset=utf-8"), body);
    assert_accepted(Method::POST, APPLICATIONS, sent, StatusCode::NO_CONTENT).await;
}

/// Bodies whose fields are of the wrong type.
#[rustfmt::skip]
static WRONG_TYPES: &[(Method, Url, JsonBody)] = &[
    (Method::POST, APPLICATIONS, || json!({"msTeamsTenantId": 42, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET})),
    (Method::POST, APPLICATIONS, || json!({"applicationId": ["x"], "secret": NEW_SECRET})),
    (Method::POST, APPLICATIONS, || json!({"applicationId": NEW_APPLICATION, "secret": 12345})),
    (Method::POST, APPLICATIONS, || json!({"applicationId": NEW_APPLICATION, "secret": null})),
    (Method::POST, APPLICATIONS, || json!([NEW_MS_TENANT, NEW_APPLICATION, NEW_SECRET])),
    (Method::POST, APPLICATIONS, || json!("a string")),
    (Method::POST, APPLICATIONS, || json!(null)),
    (Method::POST, ADMINS, || json!({"msUsername": true, "msPassword": ADMIN_PASSWORD})),
    (Method::POST, ADMINS, || json!({"msUsername": "a@b.com", "msPassword": {"p": 1}})),
    (Method::DELETE, ADMINS, || json!({"id": "1", "msUsername": "admin@acme.onmicrosoft.com"})),
    (Method::DELETE, ADMINS, || json!({"id": 1.5, "msUsername": "admin@acme.onmicrosoft.com"})),
    (Method::DELETE, ADMINS, || json!({"id": 1, "msUsername": null})),
    (Method::POST, RESET_SECRET, || json!({"applicationId": 1, "secret": NEW_SECRET})),
    (Method::POST, LINK, || json!({"subscriptionId": "1"})),
    (Method::POST, LINK, || json!({"subscriptionId": 1.5})),
    (Method::POST, LINK, || json!({"subscriptionId": 1e30})),
    (Method::POST, LINK, || json!({"subscriptionId": u64::MAX})),
    (Method::POST, LINK, || json!({"subscriptionId": null})),
];

#[tokio::test]
async fn wrong_field_types_are_refused() {
    assert_refused(
        WRONG_TYPES
            .iter()
            .map(|(method, url, body)| Case::json(method, *url, body())),
    )
    .await;
}

/// Bodies that are arrays of the right values: not read by position.
#[rustfmt::skip]
static ARRAYS: &[(Method, Url, JsonBody)] = &[
    (Method::POST, APPLICATIONS, || json!([NEW_MS_TENANT, NEW_APPLICATION, NEW_SECRET])),
    (Method::POST, ADMINS, || json!(["admin@acme.onmicrosoft.com", ADMIN_PASSWORD])),
    (Method::DELETE, ADMINS, || json!([1, "admin@acme.onmicrosoft.com"])),
    (Method::POST, RESET_SECRET, || json!([ACME_APPLICATION, NEW_SECRET])),
    (Method::POST, LINK, || json!([1])),
];

#[tokio::test]
async fn a_body_that_is_an_array_is_not_read_by_position() {
    assert_refused(
        ARRAYS
            .iter()
            .map(|(method, url, body)| Case::json(method, *url, body()).naming("JSON object")),
    )
    .await;
}

#[tokio::test]
async fn a_field_given_twice_is_refused() {
    let body = format!(
        "{{\"msTeamsTenantId\": \"{NEW_MS_TENANT}\", \"applicationId\": \"{NEW_APPLICATION}\", \"secret\": \"first\", \"secret\": \"second\"}}"
    );
    let sent = Sent::Raw(Some("application/json"), body.into());
    assert_refused([Case::new(&Method::POST, APPLICATIONS.path(), sent).naming("duplicate field")])
        .await;
}

/// Bodies lacking a required field, and the field their refusal names.
#[rustfmt::skip]
static MISSING_FIELDS: &[(Method, Url, JsonBody, &str)] = &[
    (Method::POST, APPLICATIONS, || json!({"msTeamsTenantId": NEW_MS_TENANT, "secret": NEW_SECRET}), "applicationId"),
    (Method::POST, APPLICATIONS, || json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION}), "secret"),
    (Method::POST, APPLICATIONS, || json!({}), "applicationId"),
    (Method::POST, ADMINS, || json!({"msUsername": "a@b.com"}), "msPassword"),
    (Method::DELETE, ADMINS, || json!({"msUsername": "admin@acme.onmicrosoft.com"}), "id"),
    (Method::DELETE, ADMINS, || json!({"id": 1}), "msUsername"),
    (Method::POST, RESET_SECRET, || json!({"secret": NEW_SECRET}), "applicationId"),
    (Method::POST, RESET_SECRET, || json!({"applicationId": ACME_APPLICATION}), "secret"),
    (Method::POST, LINK, || json!({}), "subscriptionId"),
];

/// Bodies with a field the endpoint does not know, and that field. (The vendor's field is
/// msTeamsTenantId; a snake_case spelling is not silently ignored.)
#[rustfmt::skip]
static UNKNOWN_FIELDS: &[(Method, Url, JsonBody, &str)] = &[
    (Method::POST, APPLICATIONS, || json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET, "tenantId": "x"}), "tenantId"),
    (Method::POST, APPLICATIONS, || json!({"ms_teams_tenant_id": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}), "ms_teams_tenant_id"),
    (Method::POST, ADMINS, || json!({"msUsername": "a@b.com", "msPassword": ADMIN_PASSWORD, "mfa": false}), "mfa"),
    (Method::POST, RESET_SECRET, || json!({"applicationId": ACME_APPLICATION, "secret": NEW_SECRET, "expires": "never"}), "expires"),
    (Method::POST, LINK, || json!({"subscriptionId": 1, "force": true}), "force"),
];

/// Each body is refused as `invalid_body` with a detail naming the field at fault.
async fn assert_name_their_field(table: &[(Method, Url, JsonBody, &'static str)]) {
    assert_refused(
        table
            .iter()
            .map(|(method, url, body, field)| Case::json(method, *url, body()).naming(field)),
    )
    .await;
}

#[tokio::test]
async fn missing_required_fields_are_refused() {
    assert_name_their_field(MISSING_FIELDS).await;
}

#[tokio::test]
async fn unknown_fields_are_refused() {
    assert_name_their_field(UNKNOWN_FIELDS).await;
}

/// Each subscription endpoint with a body it would accept, for the path parameter cases.
#[rustfmt::skip]
static SUBSCRIPTION_ENDPOINTS: &[(Method, &str, Option<JsonBody>)] = &[
    (Method::GET, "msteams/status", None),
    (Method::GET, "msteams/sources", None),
    (Method::POST, "msteams/unlink", None),
    (Method::POST, "downloads/create_app", None),
    (Method::POST, "msteams/applications", Some(application_body)),
    (Method::POST, "msteams/admins", Some(|| json!({"msUsername": "a@b.com", "msPassword": ADMIN_PASSWORD}))),
    (Method::POST, "msteams/reset_secret", Some(|| json!({"applicationId": ACME_APPLICATION, "secret": NEW_SECRET}))),
    (Method::POST, "msteams/link", Some(|| link_body(1))),
];

/// Every subscription endpoint under `base`, refused as an `invalid_path_parameter`.
fn path_refused(base: &str, tails: &[&str]) -> Vec<Case> {
    SUBSCRIPTION_ENDPOINTS
        .iter()
        .filter(|(_, tail, _)| tails.contains(tail))
        .map(|(method, tail, body)| {
            let sent = body.map_or(Sent::Nothing, |body| Sent::Json(body()));
            Case::new(method, format!("{base}/{tail}"), sent).refused(400, "invalid_path_parameter")
        })
        .collect()
}

#[tokio::test]
async fn a_malformed_tenant_uuid_in_the_path_is_refused() {
    #[rustfmt::skip]
    let uuids = [
        "acme", "40000000-0000-4000-8000-00000000000", "40000000000040008000000000000001",
        "40000000-0000-4000-8000-00000000000g", "%20", "%00",
    ];
    let tails = [
        "msteams/status",
        "msteams/sources",
        "msteams/unlink",
        "downloads/create_app",
        "msteams/link",
    ];
    assert_refused(uuids.iter().flat_map(|uuid| {
        let base = format!("{TENANTS}/{uuid}/subscriptions");
        let list = Case::get(&base).refused(400, "invalid_path_parameter");
        path_refused(&format!("{base}/1"), &tails)
            .into_iter()
            .chain([list])
    }))
    .await;
}

#[tokio::test]
async fn a_subscription_id_that_is_not_a_positive_integer_is_refused() {
    #[rustfmt::skip]
    let ids = ["abc", "0", "-1", "1.5", "%2B1", "1e3", "99999999999999999999", "0x1", "%20"];
    let every: Vec<&str> = SUBSCRIPTION_ENDPOINTS
        .iter()
        .map(|(_, tail, _)| *tail)
        .collect();
    assert_refused(ids.iter().flat_map(|id| {
        path_refused(
            &format!("{TENANTS}/{TENANT_ACME}/subscriptions/{id}"),
            &every,
        )
    }))
    .await;
}

#[tokio::test]
async fn a_malformed_draas_instance_is_refused() {
    let instances = [
        "DEMO".to_owned(),
        "de%20mo".into(),
        "de.mo".into(),
        "x".repeat(41),
    ];
    assert_refused(instances.iter().flat_map(|instance| {
        let tenants = format!("/api/v01/draas/{instance}/tenants");
        let status = format!("{tenants}/{TENANT_ACME}/subscriptions/1/msteams/status");
        [Case::get(tenants), Case::get(status)]
            .map(|case| case.refused(400, "invalid_path_parameter"))
    }))
    .await;
}

/// `POST msteams/admins` for Acme Teams' account with this password.
fn admin_password(password: &str) -> Value {
    json!({"msUsername": ACME_ADMIN, "msPassword": password})
}

/// `POST msteams/reset_secret` for this application id and secret.
fn reset(application_id: &str, secret: &str) -> Value {
    json!({"applicationId": application_id, "secret": secret})
}

#[tokio::test]
async fn malformed_guids_in_the_body_are_refused() {
    #[rustfmt::skip]
    let not_guids = [
        "", "not-a-guid", "6f1d2c3b4a594e689d7c8b9a0f1e2d3c", "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3",
        "{6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c", " 6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c",
    ];
    assert_refused(not_guids.iter().flat_map(|bad| {
        let tenant = application(bad, NEW_APPLICATION, NEW_SECRET);
        let id = application(NEW_MS_TENANT, bad, NEW_SECRET);
        [
            Case::post(APPLICATIONS, tenant).naming("msTeamsTenantId"),
            Case::post(APPLICATIONS, id).naming("applicationId"),
            Case::post(RESET_SECRET, reset(bad, NEW_SECRET)),
        ]
        .map(|case| case.refused(400, "validation_failed"))
    }))
    .await;
}

#[tokio::test]
async fn empty_blank_oversized_or_control_character_secrets_are_refused() {
    let (too_long, too_long_multibyte) = ("s".repeat(257), "é".repeat(257));
    let blank = ["", " ", "   \t  "];
    let broken = ["line\nbreak", "nul\u{0}byte"];
    let secrets = [too_long.as_str(), &too_long_multibyte];
    let secrets = blank.into_iter().chain(secrets).chain(broken);
    assert_refused(secrets.flat_map(|secret| {
        [
            Case::post(
                APPLICATIONS,
                application(NEW_MS_TENANT, NEW_APPLICATION, secret),
            ),
            Case::post(RESET_SECRET, reset(ACME_APPLICATION, secret)),
            Case::post(ADMINS, admin_password(secret)),
        ]
        .map(|case| case.refused(400, "validation_failed"))
    }))
    .await;
}

#[tokio::test]
async fn a_secret_of_exactly_256_characters_is_accepted() {
    let sent = Sent::Json(reset(ACME_APPLICATION, &"é".repeat(256)));
    assert_accepted(Method::POST, RESET_SECRET, sent, StatusCode::NO_CONTENT).await;
}

#[tokio::test]
async fn a_link_to_a_non_positive_subscription_id_is_refused() {
    assert_refused(
        [0, -1, i64::MIN]
            .map(|id| Case::post(LINK, link_body(id)).refused(400, "validation_failed")),
    )
    .await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let huge = "s".repeat(64 * 1024 + 1);
    // Padding that is valid JSON whitespace still counts.
    let padded = format!("{{\"subscriptionId\": 1{}}}", " ".repeat(70 * 1024));
    let padded = Sent::Raw(Some("application/json"), padded.into());
    assert_refused(
        [
            Case::post(
                APPLICATIONS,
                application(NEW_MS_TENANT, NEW_APPLICATION, &huge),
            ),
            Case::post(ADMINS, admin_password(&huge)),
            Case::new(&Method::POST, LINK.path(), padded),
        ]
        .map(|case| case.refused(413, "payload_too_large")),
    )
    .await;
}

#[tokio::test]
async fn a_streamed_body_over_64_kib_without_length_is_413() {
    let json = format!(
        "{{\"applicationId\": \"{}\", \"secret\": \"s\"}}",
        "x".repeat(80 * 1024)
    );
    // A stream has no length to check up front: the limit must hold while reading.
    let body = Body::from_stream(Body::from(json).into_data_stream());
    let sent = Sent::Raw(Some("application/json"), body);
    let case = Case::new(&Method::POST, APPLICATIONS.path(), sent);
    assert_refused([case.refused(413, "payload_too_large")]).await;
}

/// List queries the server refuses, and which lists take each: every list, the node
/// lists (groups, distributors, resellers, tenants), or the subscriptions only.
#[rustfmt::skip]
static BAD_LIST_QUERIES: &[(&str, Lists)] = &[
    ("page=0", Lists::Every), ("page=-1", Lists::Every), ("page=abc", Lists::Every),
    ("page=", Lists::Every), ("page=1.5", Lists::Every), ("page=99999999999", Lists::Every),
    ("page=2147483648", Lists::Every),
    ("page_size=0", Lists::Every), ("page_size=1001", Lists::Every), ("page_size=-5", Lists::Every),
    ("page_size=ten", Lists::Every), ("page_size=", Lists::Every), ("page_size=1%200", Lists::Every),
    ("sort=", Lists::Every), ("sort=Name", Lists::Every), ("sort=subscriptionCount", Lists::Every),
    ("dir=ASC", Lists::Every), ("dir=up", Lists::Every), ("dir=", Lists::Every),
    ("next=", Lists::Every), ("next=garbage", Lists::Every),
    ("next=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Lists::Every), // a forged token of 32 letters
    ("search=a%07b", Lists::Every),
    ("sort=licenseType", Lists::Nodes), ("sort=billingId", Lists::Subscriptions),
    ("parent=", Lists::Nodes), ("parent=not-a-uuid", Lists::Nodes),
];

#[derive(Clone, Copy, PartialEq)]
enum Lists {
    Every,
    Nodes,
    Subscriptions,
}

#[tokio::test]
async fn bad_list_parameters_are_refused() {
    let subscriptions = format!("{TENANTS}/{TENANT_ACME}/subscriptions");
    let nodes = ["groups", "distributors", "resellers", "tenants"].map(list_path);
    let long_search = format!("search={}", "a".repeat(101));
    let queries = BAD_LIST_QUERIES
        .iter()
        .map(|(query, lists)| ((*query).to_owned(), *lists))
        .chain([(long_search, Lists::Every)]);
    let mut cases = Vec::new();
    for (query, lists) in queries {
        let name = [
            "page_size",
            "page",
            "sort",
            "dir",
            "next",
            "search",
            "parent",
        ]
        .into_iter()
        .find(|name| query.starts_with(&format!("{name}=")))
        .expect("a parameter");
        let bases = nodes
            .iter()
            .filter(|_| lists != Lists::Subscriptions)
            .chain(
                [&subscriptions]
                    .into_iter()
                    .filter(|_| lists != Lists::Nodes),
            );
        // The detail starts with the parameter's name.
        for base in bases {
            let case = Case::get(format!("{base}?{query}"));
            cases.push(case.refused(400, "invalid_query_parameter").starting(name));
        }
    }
    assert_refused(cases).await;
}

#[tokio::test]
async fn the_largest_page_size_and_page_are_accepted() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let largest = format!("{TENANTS}?page=1&page_size=1000");
    let tenants = app.get_ok(&largest, &token).await["tenants"].clone();
    assert_eq!(tenants.as_array().unwrap().len(), 4, "{tenants}");
    // The last page there can be is beyond the list: nothing found.
    let last = format!("{TENANTS}?page=2147483647&page_size=1000");
    let nothing = app.get(&last, &token).await;
    nothing.assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_404_problem() {
    let sub = sub_path(ACME_TEAMS, "");
    let paths = [
        "/api/v01".to_owned(),
        "/api/v01/".into(),
        "/api/v01/nothing-here".into(),
        "/api/v01/draas/demo".into(),
        "/api/v01/draas/demo/tenants/".into(),
        "/api/v01/draas/demo/owners".into(),
        format!("{TENANTS}/{TENANT_ACME}/owner"),
        format!("{sub}/msteams/nope"),
        format!("{sub}/msteams/status/extra"),
    ];
    assert_refused(paths.iter().flat_map(|path| {
        [Method::GET, Method::POST]
            .map(|method| Case::new(&method, path, Sent::Nothing).refused(404, "not_found"))
    }))
    .await;
    // Also without a session: an unknown path is not a reason to ask for one.
    let app = TestApp::start().await;
    app.call(Method::GET, "/api/v01/nothing-here", None, None)
        .await
        .assert_problem(404, "not_found");
}

/// Methods an endpoint does not take.
#[rustfmt::skip]
static WRONG_METHODS: &[(Method, Url)] = &[
    (Method::GET, Url::Sub(ACME_TEAMS, "msteams/applications")),
    (Method::DELETE, Url::Sub(ACME_TEAMS, "msteams/applications")),
    (Method::PUT, Url::Sub(ACME_TEAMS, "msteams/admins")),
    (Method::GET, Url::Sub(ACME_TEAMS, "msteams/unlink")),
    (Method::DELETE, Url::Sub(ACME_TEAMS, "msteams/unlink")),
    (Method::POST, Url::Sub(ACME_TEAMS, "msteams/status")),
    (Method::PUT, Url::Sub(ACME_TEAMS, "msteams/link")),
    (Method::PATCH, Url::Sub(ACME_TEAMS, "msteams/sources")),
    (Method::GET, Url::Sub(ACME_TEAMS, "downloads/create_app")),
    (Method::DELETE, Url::Path(TENANTS)),
    (Method::POST, Url::Path("/api/v01/draas/demo/resellers")),
    (Method::PUT, Url::Tenant(TENANT_ACME, "")),
    (Method::DELETE, Url::Sub(ACME_TEAMS, "")),
    (Method::GET, Url::Path("/api/v01/auth/login")),
];

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    // Each names the methods the endpoint takes.
    assert_refused(WRONG_METHODS.iter().map(|(method, url)| {
        let case = Case::new(method, url.path(), Sent::Nothing);
        case.refused(405, "method_not_allowed").carrying("allow")
    }))
    .await;
}

#[tokio::test]
async fn an_error_never_answers_html_or_plain_text() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let before = app.snapshot().await;
    app.request(Method::POST, &APPLICATIONS.path())
        .bearer(&token)
        .header("accept", "text/html")
        .raw(Some("application/json"), "{")
        .send()
        .await
        .assert_problem(400, "malformed_json");
    assert_eq!(app.snapshot().await, before);
}

/// Hostile input thrown at every endpoint: none of it may cause a 500. (Some of it is
/// valid and does change subscriptions 1 and 2; the other tests check "unchanged".)
#[tokio::test]
async fn no_input_produces_a_server_error() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let tenants = [
        TENANT_ACME.to_string(),
        "%7B40000000-0000-4000-8000-000000000001%7D".to_owned(),
        "40000000-0000-4000-8000-0000000000FF".to_owned(),
        "%FF%FE".to_owned(),
        "..".to_owned(),
        "'%20OR%201=1--".to_owned(),
        "x".repeat(5000),
    ];
    let subscriptions = [
        "1",
        "2",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "%FF",
        "1;DROP%20TABLE%20nodes",
    ];
    let bodies = [
        application(NEW_MS_TENANT, NEW_APPLICATION, &"\u{1F600}".repeat(256)),
        application(
            "00000000-0000-0000-0000-000000000000",
            NEW_APPLICATION,
            "x'); DROP TABLE nodes; --",
        ),
        application(NEW_MS_TENANT, NEW_APPLICATION, "\u{202e}\u{200b}"),
        json!({"msUsername": format!("{}@contoso.com", "a".repeat(300)), "msPassword": "p"}),
        json!({"msUsername": "admin@contoso.com", "msPassword": "\u{fffd}"}),
        link_body(i64::MAX),
        json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET, "msTeamsTenantId": null}),
        json!({"a": {"b": {"c": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}}}),
    ];
    let tails = [
        (Method::POST, "msteams/applications"),
        (Method::POST, "msteams/admins"),
        (Method::DELETE, "msteams/admins"),
        (Method::POST, "msteams/reset_secret"),
        (Method::POST, "msteams/link"),
    ];
    let mut requests = Vec::new();
    for tenant in &tenants {
        for subscription in subscriptions {
            let base = format!("{TENANTS}/{tenant}/subscriptions/{subscription}");
            for tail in ["msteams/status", "msteams/sources"] {
                requests.push((Method::GET, format!("{base}/{tail}"), None));
            }
            if subscription != "1" && subscription != "2" {
                // 1 and 2 exist: leave their state alone so the database stays as it was.
                for tail in ["msteams/unlink", "downloads/create_app"] {
                    requests.push((Method::POST, format!("{base}/{tail}"), None));
                }
            }
            for (method, tail) in &tails {
                for body in &bodies {
                    let path = format!("{base}/{tail}");
                    requests.push((method.clone(), path, Some(body.clone())));
                }
            }
        }
    }
    for query in [
        "search=%FF",
        "search=%",
        "search=\\",
        &format!("search={}", "a".repeat(10_000)),
        "page=2147483647&page_size=1000",
        "page_size=1&next=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sort=name&dir=desc&parent=10000000-0000-4000-8000-000000000001",
        "page=1&page=2",
    ] {
        requests.push((Method::GET, format!("{TENANTS}?{query}"), None));
    }
    assert!(requests.len() > 500, "only {} requests", requests.len());
    let mut failures = Failures::default();
    for (method, path, body) in requests {
        // `TestApp` fails the test on any 5xx; a refusal must be a problem with a code.
        let response = app.call(method, &path, Some(&token), body).await;
        if response.status.is_client_error() {
            let problem = response.content_type() == "application/problem+json"
                && response.json()["code"].is_string();
            failures.expect(
                &response.asked,
                problem,
                format!("not a problem: {}", response.text()),
            );
        }
    }
    failures.assert_none();
}
