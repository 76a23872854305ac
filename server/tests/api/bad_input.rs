//! Bad input: every malformed request gets a problem+json 4xx with a stable code, the
//! database is left exactly as it was, and nothing a client sends produces a 500.

use crate::helpers::{TENANT_ACME, TENANT_GLOBEX, TestApp, TestResponse, sub_path};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::{Value, json};

const GOOD_MS_TENANT: &str = "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c";
const GOOD_APPLICATION: &str = "d46e9288-2029-4fd1-ac7b-f20749e61251";
const GOOD_SECRET: &str = "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC";
const ACME_APPLICATION: &str = "c035894c-81c3-49aa-8e3e-f245d9b30000";

fn applications_path() -> String {
    sub_path(TENANT_GLOBEX, 3, "msteams/applications")
}

/// Sends each request, asserts the problem, and that the database did not change.
struct Checker<'a> {
    app: &'a TestApp,
    token: String,
    before: String,
}

impl<'a> Checker<'a> {
    async fn new(app: &'a TestApp) -> Self {
        let token = app.login("group.admin").await;
        let before = app.snapshot().await;
        Checker { app, token, before }
    }

    async fn json(&self, method: Method, path: &str, body: Value) -> TestResponse {
        self.app
            .call(method, path, Some(&self.token), Some(body))
            .await
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> TestResponse {
        self.app
            .call_raw(method, path, &self.token, content_type, body)
            .await
    }

    async fn get(&self, path: &str) -> TestResponse {
        self.app.get(path, &self.token).await
    }

    async fn assert_unchanged(&self) {
        assert_eq!(
            self.app.snapshot().await,
            self.before,
            "a refused request changed the database"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    for body in [
        "{",
        "{\"applicationId\": ",
        "not json",
        "{\"secret\": \"a\",}",
        "{'secret': 'a'}",
        "\u{feff}{}",
    ] {
        let response = check
            .raw(
                Method::POST,
                &applications_path(),
                Some("application/json"),
                body,
            )
            .await;
        response.assert_problem(400, "malformed_json");
    }
    let response = check
        .raw(
            Method::POST,
            &sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            Some("application/json"),
            "",
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "an empty body is not JSON"
    );
    assert_eq!(response.content_type(), "application/problem+json");
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let body = json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let response = check
            .raw(
                Method::POST,
                &applications_path(),
                Some(content_type),
                body.clone(),
            )
            .await;
        response.assert_problem(415, "unsupported_media_type");
    }
    let response = check
        .raw(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "msteams/admins"),
            Some("text/plain"),
            "admin@x.com:pw",
        )
        .await;
    response.assert_problem(415, "unsupported_media_type");
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_body_without_content_type_is_415() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let body = json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}).to_string();
    let response = check
        .raw(Method::POST, &applications_path(), None, body)
        .await;
    let problem = response.assert_problem(415, "unsupported_media_type");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("application/json"),
        "{problem}"
    );
    let response = check
        .raw(
            Method::POST,
            &sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            None,
            "{\"subscriptionId\": 1}",
        )
        .await;
    response.assert_problem(415, "unsupported_media_type");
    check.assert_unchanged().await;
}

#[tokio::test]
async fn json_with_a_charset_or_a_json_suffix_is_accepted() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let body = json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}).to_string();
    let response = check
        .raw(
            Method::POST,
            &applications_path(),
            Some("application/json; charset=utf-8"),
            body,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&response.bytes)
    );
}

#[tokio::test]
async fn wrong_field_types_are_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let cases = [
        (
            Method::POST,
            applications_path(),
            json!({"msTeamsTenantId": 42, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}),
        ),
        (
            Method::POST,
            applications_path(),
            json!({"applicationId": ["x"], "secret": GOOD_SECRET}),
        ),
        (
            Method::POST,
            applications_path(),
            json!({"applicationId": GOOD_APPLICATION, "secret": 12345}),
        ),
        (
            Method::POST,
            applications_path(),
            json!({"applicationId": GOOD_APPLICATION, "secret": null}),
        ),
        (
            Method::POST,
            applications_path(),
            json!([GOOD_MS_TENANT, GOOD_APPLICATION, GOOD_SECRET]),
        ),
        (Method::POST, applications_path(), json!("a string")),
        (Method::POST, applications_path(), json!(null)),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"msUsername": true, "msPassword": "S0me-Password"}),
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"msUsername": "a@b.com", "msPassword": {"p": 1}}),
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"id": "1", "msUsername": "admin@acme.onmicrosoft.com"}),
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"id": 1.5, "msUsername": "admin@acme.onmicrosoft.com"}),
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"id": 1, "msUsername": null}),
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            json!({"applicationId": 1, "secret": GOOD_SECRET}),
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({"subscriptionId": "1"}),
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({"subscriptionId": 1.5}),
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({"subscriptionId": 1e30}),
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({"subscriptionId": u64::MAX}),
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({"subscriptionId": null}),
        ),
    ];
    for (method, path, body) in cases {
        let response = check.json(method.clone(), &path, body.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{method} {path} {body}"
        );
        response.assert_problem(400, "invalid_body");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_body_that_is_an_array_is_not_read_by_position() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let cases = [
        (
            Method::POST,
            applications_path(),
            json!([GOOD_MS_TENANT, GOOD_APPLICATION, GOOD_SECRET]),
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!(["admin@acme.onmicrosoft.com", "S0me-Password"]),
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!([1, "admin@acme.onmicrosoft.com"]),
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            json!([ACME_APPLICATION, GOOD_SECRET]),
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!([1]),
        ),
    ];
    for (method, path, body) in cases {
        let problem = check
            .json(method, &path, body)
            .await
            .assert_problem(400, "invalid_body");
        assert!(
            problem["detail"].as_str().unwrap().contains("JSON object"),
            "{problem}"
        );
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_field_given_twice_is_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let body = format!(
        "{{\"msTeamsTenantId\": \"{GOOD_MS_TENANT}\", \"applicationId\": \"{GOOD_APPLICATION}\", \"secret\": \"first\", \"secret\": \"second\"}}"
    );
    let problem = check
        .raw(
            Method::POST,
            &applications_path(),
            Some("application/json"),
            body,
        )
        .await
        .assert_problem(400, "invalid_body");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("duplicate field"),
        "{problem}"
    );
    check.assert_unchanged().await;
}

#[tokio::test]
async fn missing_required_fields_are_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let cases = [
        (
            Method::POST,
            applications_path(),
            json!({"msTeamsTenantId": GOOD_MS_TENANT, "secret": GOOD_SECRET}),
            "applicationId",
        ),
        (
            Method::POST,
            applications_path(),
            json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION}),
            "secret",
        ),
        (
            Method::POST,
            applications_path(),
            json!({}),
            "applicationId",
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"msUsername": "a@b.com"}),
            "msPassword",
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"msUsername": "admin@acme.onmicrosoft.com"}),
            "id",
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"id": 1}),
            "msUsername",
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            json!({"secret": GOOD_SECRET}),
            "applicationId",
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            json!({"applicationId": ACME_APPLICATION}),
            "secret",
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({}),
            "subscriptionId",
        ),
    ];
    assert_invalid_bodies_name_their_field(&check, cases).await;
}

#[tokio::test]
async fn unknown_fields_are_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let cases = [
        (
            Method::POST,
            applications_path(),
            json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET, "tenantId": "x"}),
            "tenantId",
        ),
        // The vendor's field is msTeamsTenantId; a snake_case spelling is not silently ignored.
        (
            Method::POST,
            applications_path(),
            json!({"ms_teams_tenant_id": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}),
            "ms_teams_tenant_id",
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/admins"),
            json!({"msUsername": "a@b.com", "msPassword": "S0me-Password", "mfa": false}),
            "mfa",
        ),
        (
            Method::POST,
            sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            json!({"applicationId": ACME_APPLICATION, "secret": GOOD_SECRET, "expires": "never"}),
            "expires",
        ),
        (
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            json!({"subscriptionId": 1, "force": true}),
            "force",
        ),
    ];
    assert_invalid_bodies_name_their_field(&check, cases).await;
}

#[tokio::test]
async fn a_malformed_tenant_uuid_in_the_path_is_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    for uuid in [
        "acme",
        "40000000-0000-4000-8000-00000000000",
        "40000000000040008000000000000001",
        "40000000-0000-4000-8000-00000000000g",
        "%20",
        "%00",
    ] {
        for tail in [
            "msteams/status",
            "msteams/sources",
            "msteams/unlink",
            "downloads/create_app",
        ] {
            let path = format!("/api/v01/draas/demo/tenants/{uuid}/subscriptions/1/{tail}");
            let method = if tail.ends_with("status") || tail.ends_with("sources") {
                Method::GET
            } else {
                Method::POST
            };
            let response = check
                .app
                .call(method, &path, Some(&check.token), None)
                .await;
            response.assert_problem(400, "invalid_path_parameter");
        }
        let path = format!("/api/v01/draas/demo/tenants/{uuid}/subscriptions/1/msteams/link");
        check
            .json(Method::POST, &path, json!({"subscriptionId": 1}))
            .await
            .assert_problem(400, "invalid_path_parameter");
        let list = format!("/api/v01/draas/demo/tenants/{uuid}/subscriptions");
        check
            .get(&list)
            .await
            .assert_problem(400, "invalid_path_parameter");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_subscription_id_that_is_not_a_positive_integer_is_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    for id in [
        "abc",
        "0",
        "-1",
        "1.5",
        "%2B1",
        "1e3",
        "99999999999999999999",
        "0x1",
        "%20",
    ] {
        let base = format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions/{id}");
        check
            .get(&format!("{base}/msteams/status"))
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .get(&format!("{base}/msteams/sources"))
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .app
            .call(
                Method::POST,
                &format!("{base}/msteams/unlink"),
                Some(&check.token),
                None,
            )
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .app
            .call(
                Method::POST,
                &format!("{base}/downloads/create_app"),
                Some(&check.token),
                None,
            )
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .json(Method::POST, &format!("{base}/msteams/applications"), json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}))
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .json(
                Method::POST,
                &format!("{base}/msteams/admins"),
                json!({"msUsername": "a@b.com", "msPassword": "S0me-Password"}),
            )
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .json(
                Method::POST,
                &format!("{base}/msteams/reset_secret"),
                json!({"applicationId": ACME_APPLICATION, "secret": GOOD_SECRET}),
            )
            .await
            .assert_problem(400, "invalid_path_parameter");
        check
            .json(
                Method::POST,
                &format!("{base}/msteams/link"),
                json!({"subscriptionId": 1}),
            )
            .await
            .assert_problem(400, "invalid_path_parameter");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_malformed_draas_instance_is_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    for instance in ["DEMO", "de%20mo", "de.mo", &"x".repeat(41)] {
        check
            .get(&format!("/api/v01/draas/{instance}/tenants"))
            .await
            .assert_problem(400, "invalid_path_parameter");
        let path = format!(
            "/api/v01/draas/{instance}/tenants/{TENANT_ACME}/subscriptions/1/msteams/status"
        );
        check
            .get(&path)
            .await
            .assert_problem(400, "invalid_path_parameter");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn malformed_guids_in_the_body_are_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let not_guids = [
        "",
        "not-a-guid",
        "6f1d2c3b4a594e689d7c8b9a0f1e2d3c",
        "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3",
        "{6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c",
        " 6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c",
    ];
    for bad in not_guids {
        let response = check
            .json(Method::POST, &applications_path(), json!({"msTeamsTenantId": bad, "applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET}))
            .await;
        let problem = response.assert_problem(400, "validation_failed");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("msTeamsTenantId"),
            "{problem}"
        );
        let response = check
            .json(Method::POST, &applications_path(), json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": bad, "secret": GOOD_SECRET}))
            .await;
        let problem = response.assert_problem(400, "validation_failed");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("applicationId"),
            "{problem}"
        );
        let response = check
            .json(
                Method::POST,
                &sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
                json!({"applicationId": bad, "secret": GOOD_SECRET}),
            )
            .await;
        response.assert_problem(400, "validation_failed");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn empty_blank_oversized_or_control_character_secrets_are_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let too_long = "s".repeat(257);
    let too_long_multibyte = "é".repeat(257);
    for secret in [
        "",
        " ",
        "   \t  ",
        too_long.as_str(),
        too_long_multibyte.as_str(),
        "line\nbreak",
        "nul\u{0}byte",
    ] {
        check
            .json(Method::POST, &applications_path(), json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": secret}))
            .await
            .assert_problem(400, "validation_failed");
        check
            .json(
                Method::POST,
                &sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
                json!({"applicationId": ACME_APPLICATION, "secret": secret}),
            )
            .await
            .assert_problem(400, "validation_failed");
        check
            .json(
                Method::POST,
                &sub_path(TENANT_ACME, 1, "msteams/admins"),
                json!({"msUsername": "admin@acme.onmicrosoft.com", "msPassword": secret}),
            )
            .await
            .assert_problem(400, "validation_failed");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_secret_of_exactly_256_characters_is_accepted() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let response = check
        .json(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            json!({"applicationId": ACME_APPLICATION, "secret": "é".repeat(256)}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&response.bytes)
    );
}

#[tokio::test]
async fn a_link_to_a_non_positive_subscription_id_is_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    for id in [0, -1, i64::MIN] {
        check
            .json(
                Method::POST,
                &sub_path(TENANT_GLOBEX, 3, "msteams/link"),
                json!({"subscriptionId": id}),
            )
            .await
            .assert_problem(400, "validation_failed");
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let huge = "s".repeat(64 * 1024 + 1);
    let body = json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": huge});
    check
        .json(Method::POST, &applications_path(), body)
        .await
        .assert_problem(413, "payload_too_large");
    let body = json!({"msUsername": "admin@acme.onmicrosoft.com", "msPassword": huge});
    check
        .json(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "msteams/admins"),
            body,
        )
        .await
        .assert_problem(413, "payload_too_large");
    // Padding that is valid JSON whitespace still counts.
    let padded = format!("{{\"subscriptionId\": 1{}}}", " ".repeat(70 * 1024));
    check
        .raw(
            Method::POST,
            &sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            Some("application/json"),
            padded,
        )
        .await
        .assert_problem(413, "payload_too_large");
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_streamed_body_over_64_kib_without_length_is_413() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let json = format!(
        "{{\"applicationId\": \"{}\", \"secret\": \"s\"}}",
        "x".repeat(80 * 1024)
    );
    // A stream has no length to check up front: the limit must hold while reading.
    let body = Body::from_stream(Body::from(json).into_data_stream());
    check
        .raw(
            Method::POST,
            &applications_path(),
            Some("application/json"),
            body,
        )
        .await
        .assert_problem(413, "payload_too_large");
    check.assert_unchanged().await;
}

#[tokio::test]
async fn bad_list_parameters_are_refused() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let subscriptions = format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions");
    let nodes = [
        "/api/v01/draas/demo/groups",
        "/api/v01/draas/demo/distributors",
        "/api/v01/draas/demo/resellers",
        "/api/v01/draas/demo/tenants",
    ];
    let only_subscriptions = [subscriptions.as_str()];
    let every = [&nodes[..], &only_subscriptions[..]].concat();
    let long_search = format!("search={}", "a".repeat(101));
    let forged_next = format!("next={}", "A".repeat(32));
    let cases: Vec<(&str, &[&str])> = vec![
        ("page=0", &every),
        ("page=-1", &every),
        ("page=abc", &every),
        ("page=", &every),
        ("page=1.5", &every),
        ("page=99999999999", &every),
        ("page=2147483648", &every),
        ("page_size=0", &every),
        ("page_size=1001", &every),
        ("page_size=-5", &every),
        ("page_size=ten", &every),
        ("page_size=", &every),
        ("page_size=1%200", &every),
        ("sort=", &every),
        ("sort=Name", &every),
        ("sort=subscriptionCount", &every),
        ("dir=ASC", &every),
        ("dir=up", &every),
        ("dir=", &every),
        ("next=", &every),
        ("next=garbage", &every),
        (&forged_next, &every),
        (&long_search, &every),
        ("search=a%07b", &every),
        ("sort=licenseType", &nodes),
        ("sort=billingId", &only_subscriptions),
        ("parent=", &nodes),
        ("parent=not-a-uuid", &nodes),
    ];
    for (query, bases) in cases {
        for base in bases {
            let response = check.get(&format!("{base}?{query}")).await;
            let problem = response.assert_problem(400, "invalid_query_parameter");
            let name = query.split('=').next().unwrap();
            assert!(
                problem["detail"].as_str().unwrap().starts_with(name),
                "{base}?{query}: {problem}"
            );
        }
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn the_largest_page_size_and_page_are_accepted() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let response = check
        .get("/api/v01/draas/demo/tenants?page=1&page_size=1000")
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["tenants"].as_array().unwrap().len(), 4);
    // The last page there can be is beyond the list: nothing found.
    check
        .get("/api/v01/draas/demo/tenants?page=2147483647&page_size=1000")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_404_problem() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    for path in [
        "/api/v01",
        "/api/v01/",
        "/api/v01/nothing-here",
        "/api/v01/draas/demo",
        "/api/v01/draas/demo/tenants/",
        "/api/v01/draas/demo/owners",
        "/api/v01/draas/demo/tenants/40000000-0000-4000-8000-000000000001/owner",
        "/api/v01/draas/demo/tenants/40000000-0000-4000-8000-000000000001/subscriptions/1/msteams/nope",
        "/api/v01/draas/demo/tenants/40000000-0000-4000-8000-000000000001/subscriptions/1/msteams/status/extra",
    ] {
        for method in [Method::GET, Method::POST] {
            let response = check
                .app
                .call(method.clone(), path, Some(&check.token), None)
                .await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{method} {path}");
            response.assert_problem(404, "not_found");
        }
    }
    // Also without a session: an unknown path is not a reason to ask for one.
    app.call(Method::GET, "/api/v01/nothing-here", None, None)
        .await
        .assert_problem(404, "not_found");
    check.assert_unchanged().await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let cases = [
        (
            Method::GET,
            sub_path(TENANT_ACME, 1, "msteams/applications"),
        ),
        (
            Method::DELETE,
            sub_path(TENANT_ACME, 1, "msteams/applications"),
        ),
        (Method::PUT, sub_path(TENANT_ACME, 1, "msteams/admins")),
        (Method::GET, sub_path(TENANT_ACME, 1, "msteams/unlink")),
        (Method::DELETE, sub_path(TENANT_ACME, 1, "msteams/unlink")),
        (Method::POST, sub_path(TENANT_ACME, 1, "msteams/status")),
        (Method::PUT, sub_path(TENANT_ACME, 1, "msteams/link")),
        (Method::PATCH, sub_path(TENANT_ACME, 1, "msteams/sources")),
        (
            Method::GET,
            sub_path(TENANT_ACME, 1, "downloads/create_app"),
        ),
        (Method::DELETE, "/api/v01/draas/demo/tenants".to_owned()),
        (Method::POST, "/api/v01/draas/demo/resellers".to_owned()),
        (
            Method::PUT,
            format!("/api/v01/draas/demo/tenants/{TENANT_ACME}"),
        ),
        (
            Method::DELETE,
            format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions/1"),
        ),
        (Method::GET, "/api/v01/auth/login".to_owned()),
    ];
    for (method, path) in cases {
        let response = check
            .app
            .call(method.clone(), &path, Some(&check.token), None)
            .await;
        assert_eq!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        response.assert_problem(405, "method_not_allowed");
        assert!(
            response.headers.contains_key(header::ALLOW),
            "{method} {path}: no Allow header"
        );
    }
    check.assert_unchanged().await;
}

#[tokio::test]
async fn an_error_never_answers_html_or_plain_text() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let request = Request::builder()
        .method(Method::POST)
        .uri(applications_path())
        .header(header::AUTHORIZATION, format!("Bearer {}", check.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "text/html")
        .body(Body::from("{"))
        .unwrap();
    let response = app.send(request).await;
    response.assert_problem(400, "malformed_json");
    check.assert_unchanged().await;
}

/// Hostile input thrown at every endpoint: none of it may cause a 500. (Some of it is
/// valid and does change subscriptions 1 and 2; the other tests check "unchanged".)
#[tokio::test]
async fn no_input_produces_a_server_error() {
    let app = TestApp::start().await;
    let check = Checker::new(&app).await;
    let tenants = [
        "40000000-0000-4000-8000-000000000001".to_owned(),
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
        json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": "\u{1F600}".repeat(256)}),
        json!({"msTeamsTenantId": "00000000-0000-0000-0000-000000000000", "applicationId": GOOD_APPLICATION, "secret": "x'); DROP TABLE nodes; --"}),
        json!({"msTeamsTenantId": GOOD_MS_TENANT, "applicationId": GOOD_APPLICATION, "secret": "\u{202e}\u{200b}"}),
        json!({"msUsername": format!("{}@contoso.com", "a".repeat(300)), "msPassword": "p"}),
        json!({"msUsername": "admin@contoso.com", "msPassword": "\u{fffd}"}),
        json!({"subscriptionId": i64::MAX}),
        json!({"applicationId": GOOD_APPLICATION, "secret": GOOD_SECRET, "msTeamsTenantId": null}),
        json!({"a": {"b": {"c": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}}}),
    ];
    let tails = [
        (Method::POST, "msteams/applications"),
        (Method::POST, "msteams/admins"),
        (Method::DELETE, "msteams/admins"),
        (Method::POST, "msteams/reset_secret"),
        (Method::POST, "msteams/link"),
    ];
    let mut checked = 0;
    for tenant in &tenants {
        for subscription in subscriptions {
            let base = format!("/api/v01/draas/demo/tenants/{tenant}/subscriptions/{subscription}");
            for tail in ["msteams/status", "msteams/sources"] {
                assert_no_server_error(
                    &check.get(&format!("{base}/{tail}")).await,
                    &format!("GET {base}/{tail}"),
                );
                checked += 1;
            }
            if subscription != "1" && subscription != "2" {
                // 1 and 2 exist: leave their state alone so the database stays as it was.
                for tail in ["msteams/unlink", "downloads/create_app"] {
                    let response = check
                        .app
                        .call(
                            Method::POST,
                            &format!("{base}/{tail}"),
                            Some(&check.token),
                            None,
                        )
                        .await;
                    assert_no_server_error(&response, &format!("POST {base}/{tail}"));
                    checked += 1;
                }
            }
            for (method, tail) in &tails {
                for body in &bodies {
                    let response = check
                        .json(method.clone(), &format!("{base}/{tail}"), body.clone())
                        .await;
                    assert_no_server_error(&response, &format!("{method} {base}/{tail} {body}"));
                    checked += 1;
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
        assert_no_server_error(
            &check
                .get(&format!("/api/v01/draas/demo/tenants?{query}"))
                .await,
            query,
        );
        checked += 1;
    }
    assert!(checked > 500, "only {checked} requests");
}

#[track_caller]
fn assert_no_server_error(response: &TestResponse, what: &str) {
    assert!(
        response.status.as_u16() < 500,
        "{what}: {} {}",
        response.status,
        String::from_utf8_lossy(&response.bytes)
    );
    if response.status.is_client_error() {
        assert_eq!(
            response.content_type(),
            "application/problem+json",
            "{what}"
        );
        let problem = response.json();
        assert!(problem["code"].is_string(), "{what}: {problem}");
    }
}

/// Each body is refused as `invalid_body` with a detail naming the field at fault, and
/// nothing is written.
async fn assert_invalid_bodies_name_their_field<const N: usize>(
    check: &Checker<'_>,
    cases: [(Method, String, Value, &str); N],
) {
    for (method, path, body, field) in cases {
        let response = check.json(method, &path, body).await;
        let problem = response.assert_problem(400, "invalid_body");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{path}: {problem}"
        );
    }
    check.assert_unchanged().await;
}
