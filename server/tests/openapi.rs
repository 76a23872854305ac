//! The OpenAPI document describes every route the server answers.

mod support;

use axum::http::{Method, StatusCode};
use support::TestApp;

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = TestApp::start().await;
    let response = app
        .call(Method::GET, "/api/v01/openapi.json", None, None)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let document = response.json();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let sub = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}";
    let expected = [
        ("/api/v01/auth/login", "post"),
        ("/api/v01/auth/logout", "post"),
        ("/api/v01/auth/me", "get"),
        ("/api/v01/draas/{draas_instance}/tenants", "get"),
        (
            "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions",
            "get",
        ),
        (&format!("{sub}/msteams/applications"), "post"),
        (&format!("{sub}/msteams/administrator"), "put"),
        (&format!("{sub}/downloads/create_app"), "post"),
        (&format!("{sub}/msteams/reset_secret"), "post"),
        (&format!("{sub}/msteams/unlink"), "post"),
        (&format!("{sub}/msteams/sources"), "get"),
        (&format!("{sub}/msteams/link"), "post"),
        (&format!("{sub}/msteams/status"), "get"),
        (&format!("{sub}/msteams/update_vrp"), "put"),
        ("/sim/v1/tenants", "post"),
        ("/sim/v1/tenants/{ms_tenant_id}/create_app", "post"),
        (
            "/sim/v1/tenants/{ms_tenant_id}/voice_objects/{kind}/{identity}",
            "delete",
        ),
    ];
    for (path, method) in expected {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path}"
        );
    }
}
