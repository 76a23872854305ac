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

/// The document's constraints on strings and the server's parsers accept exactly the
/// same values: a client generated from the document is never refused for a value the
/// document allows, nor allowed what the server refuses. Every string of up to four
/// characters over an alphabet of awkward characters is tried, plus the length bounds.
#[tokio::test]
async fn string_constraints_in_the_document_match_the_parsers() {
    use server::domain::types::{AdminUpn, DraasInstance, SearchText, Secret};

    let app = TestApp::start().await;
    let document = app
        .call(Method::GET, "/api/v01/openapi.json", None, None)
        .await
        .json();
    let field = |schema: &str, name: &str| {
        document["components"]["schemas"][schema]["properties"][name].clone()
    };
    let parameter = |path: &str, name: &str| {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} of {path}"))["schema"]
            .clone()
    };
    let tenants = "/api/v01/draas/{draas_instance}/tenants";
    type Parser = fn(&str) -> bool;
    let cases: Vec<(&str, serde_json::Value, Parser)> = vec![
        (
            "administrator username",
            field("AdministratorRequest", "username"),
            |v| AdminUpn::parse(v).is_ok(),
        ),
        (
            "administrator password",
            field("AdministratorRequest", "password"),
            |v| Secret::parse("password", v.into()).is_ok(),
        ),
        (
            "application secret",
            field("ApplicationRequest", "secret"),
            |v| Secret::parse("secret", v.into()).is_ok(),
        ),
        ("reset secret", field("ResetSecretRequest", "secret"), |v| {
            Secret::parse("secret", v.into()).is_ok()
        }),
        ("login username", field("LoginRequest", "username"), |v| {
            !v.trim().is_empty()
        }),
        (
            "draas_instance",
            parameter(tenants, "draas_instance"),
            |v| DraasInstance::parse(v).is_ok(),
        ),
        ("search", parameter(tenants, "search"), |v| {
            SearchText::parse(v).is_ok()
        }),
    ];
    let alphabet = [
        "a", "Z", "0", "@", ".", "-", "_", " ", "\t", "\n", "\u{85}", "\u{a0}", "\u{2028}",
        "\u{3000}", "\u{feff}", "\u{0}", "\u{7f}", "\u{9f}", "é", "😀",
    ];
    let mut corpus = vec![String::new()];
    for _ in 0..4 {
        let longer: Vec<String> = corpus
            .iter()
            .filter(|s| s.chars().count() == corpus.last().unwrap().chars().count())
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        corpus.extend(longer);
    }
    for length in [39, 40, 41, 63, 64, 65, 99, 100, 101, 255, 256, 257] {
        corpus.push("a".repeat(length));
        corpus.push(format!("{}@b.c", "a".repeat(length.saturating_sub(4))));
        corpus.push(format!(" {} ", "é".repeat(length.saturating_sub(2))));
    }
    for (name, schema, parser) in cases {
        let pattern = schema["pattern"]
            .as_str()
            .map(|p| regex::Regex::new(p).unwrap());
        let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
        let max = schema["maxLength"]
            .as_u64()
            .map_or(usize::MAX, |m| m as usize);
        let mut disagreements = Vec::new();
        for value in &corpus {
            let length = value.chars().count();
            let allowed =
                (min..=max).contains(&length) && pattern.as_ref().is_none_or(|p| p.is_match(value));
            if allowed != parser(value) {
                disagreements.push(format!("{value:?} (document {allowed})"));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{name}: {} disagreements, e.g. {:?}",
            disagreements.len(),
            &disagreements[..disagreements.len().min(5)]
        );
    }
}
