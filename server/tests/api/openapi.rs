//! The OpenAPI document describes every route the server answers.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, binary::OPENAPI};

/// The OpenAPI document, as the server serves it to anyone.
async fn document() -> Value {
    let app = TestApp::start().await;
    let response = app.call(Method::GET, OPENAPI, None, None).await;
    response.assert_status(StatusCode::OK).json()
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let document = document().await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let sub = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}";
    let expected = [
        ("/api/v01/auth/login", "post"),
        ("/api/v01/auth/logout", "post"),
        ("/api/v01/auth/2fa", "post"),
        ("/api/v01/auth/2fa_totp", "post"),
        ("/api/v01/auth/access_token", "get"),
        ("/api/v01/auth/logout", "get"),
        ("/api/v01/system/users/local", "get"),
        ("/sim/v1/outbox", "get"),
        ("/livez", "get"),
        ("/readyz", "get"),
        ("/api/v01/draas/{draas_instance}/groups", "get"),
        ("/api/v01/draas/{draas_instance}/distributors", "get"),
        ("/api/v01/draas/{draas_instance}/resellers", "get"),
        ("/api/v01/draas/{draas_instance}/tenants", "get"),
        ("/api/v01/draas/{draas_instance}/tenants/{uuid}", "get"),
        (
            "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions",
            "get",
        ),
        (sub, "get"),
        (&format!("{sub}/msteams/applications"), "post"),
        (&format!("{sub}/msteams/admins"), "get"),
        (&format!("{sub}/msteams/admins"), "post"),
        (&format!("{sub}/msteams/admins"), "delete"),
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

    let document = document().await;
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
    let (resellers, subscriptions) = (
        "/api/v01/draas/{draas_instance}/resellers",
        format!("{tenants}/{{uuid}}/subscriptions"),
    );
    #[rustfmt::skip]
    let cases: Vec<(&str, serde_json::Value, Parser)> = vec![
        ("administrator msUsername", field("MsTeamsAdminRequest", "msUsername"), |v| AdminUpn::parse(v).is_ok()),
        ("administrator msPassword", field("MsTeamsAdminRequest", "msPassword"), |v| Secret::parse("msPassword", v.into()).is_ok()),
        ("administrator to remove", field("MsTeamsAdminRemoval", "msUsername"), |v| AdminUpn::parse(v).is_ok()),
        ("application secret", field("ApplicationRequest", "secret"), |v| Secret::parse("secret", v.into()).is_ok()),
        ("reset secret", field("ResetSecretRequest", "secret"), |v| Secret::parse("secret", v.into()).is_ok()),
        ("login username", field("LoginRequest", "username"), |v| !v.trim().is_empty()),
        ("draas_instance", parameter(tenants, "draas_instance"), |v| DraasInstance::parse(v).is_ok()),
        ("search", parameter(tenants, "search"), |v| SearchText::parse(v).is_ok()),
        ("search of the subscriptions", parameter(&subscriptions, "search"), |v| SearchText::parse(v).is_ok()),
        ("search of the resellers", parameter(resellers, "search"), |v| SearchText::parse(v).is_ok()),
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

/// Every list documents its query as the server parses it: `page_size` 1 to 1000 (default
/// 10), `page` from 1, `dir` and `sort` as enums, `next` by its pattern, `parent` as a
/// UUID where the list takes it; and its answers, 404 ("No … found") included.
#[tokio::test]
async fn the_lists_document_their_query_and_answers() {
    use server::domain::listing::{Dir, ListQuery, NodeSort, SortKey, SubscriptionSort, TOKEN_LEN};

    let document = document().await;
    let base = "/api/v01/draas/{draas_instance}";
    let node_sorts: Vec<&str> = NodeSort::KEYS.iter().map(|(name, _)| *name).collect();
    let subscription_sorts: Vec<&str> = SubscriptionSort::KEYS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let cases = [
        (format!("{base}/groups"), "groups", &node_sorts, true),
        (
            format!("{base}/distributors"),
            "distributors",
            &node_sorts,
            true,
        ),
        (format!("{base}/resellers"), "resellers", &node_sorts, true),
        (format!("{base}/tenants"), "tenants", &node_sorts, true),
        (
            format!("{base}/tenants/{{uuid}}/subscriptions"),
            "subscriptions",
            &subscription_sorts,
            false,
        ),
    ];
    // The parser's own bounds, for comparison.
    let parsed = |params: &[(&str, &str)]| {
        ListQuery::<NodeSort>::parse(|name| {
            params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| *value)
        })
    };
    assert!(parsed(&[("page_size", "1000")]).is_ok() && parsed(&[("page_size", "1001")]).is_err());
    assert!(
        parsed(&[("page", "2147483647")]).is_ok() && parsed(&[("page", "2147483648")]).is_err()
    );
    assert_eq!(parsed(&[]).unwrap().page_size, 10);
    assert_eq!(parsed(&[("dir", "desc")]).unwrap().dir, Dir::Desc);

    for (path, items, sorts, takes_parent) in cases {
        let operation = &document["paths"][&path]["get"];
        let parameter = |name: &str| {
            operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name && p["in"] == "query")
                .map(|p| p["schema"].clone())
        };
        let schema = |name: &str| parameter(name).unwrap_or_else(|| panic!("{path}: no {name}"));
        let enum_of = |name: &str| {
            let schema = schema(name);
            let values = schema["enum"]
                .as_array()
                .or_else(|| {
                    schema["oneOf"]
                        .as_array()
                        .and_then(|options| options.iter().find_map(|o| o["enum"].as_array()))
                })
                .unwrap_or_else(|| panic!("{path}: {name} is not an enum: {schema}"))
                .clone();
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let page_size = schema("page_size");
        assert_eq!(
            (
                &page_size["minimum"],
                &page_size["maximum"],
                &page_size["default"]
            ),
            (
                &serde_json::json!(1),
                &serde_json::json!(1000),
                &serde_json::json!(10)
            ),
            "{path}: {page_size}"
        );
        let page = schema("page");
        assert_eq!(
            (&page["minimum"], &page["maximum"]),
            (&serde_json::json!(1), &serde_json::json!(2147483647)),
            "{path}: {page}"
        );
        assert_eq!(enum_of("dir"), ["asc", "desc"], "{path}");
        assert_eq!(&enum_of("sort"), sorts, "{path}");
        let next = regex::Regex::new(schema("next")["pattern"].as_str().unwrap()).unwrap();
        assert!(
            next.is_match(&"A".repeat(TOKEN_LEN)) && !next.is_match(&"A".repeat(TOKEN_LEN + 1))
        );
        assert_eq!(
            parameter("parent").is_some(),
            takes_parent,
            "{path}: parent"
        );
        for status in ["200", "400", "401", "403", "404"] {
            assert!(
                operation["responses"][status].is_object(),
                "{path}: no {status}"
            );
        }
        let body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: 200 body"))
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let properties = &document["components"]["schemas"][&body]["properties"];
        for member in ["results", "pages", "page", "next", items] {
            assert!(properties[member].is_object(), "{body} lacks {member}");
        }
    }
}

/// `msteams/status`'s values are a closed set the document states as its enum (and
/// the Operator Connect values it never produces are named as such); the admins bodies
/// are the vendor client's, with our role strings said to be ours.
#[tokio::test]
async fn the_status_values_and_the_admins_bodies_are_documented() {
    use app::api_types::MsTeamsTenantStatus;

    let document = document().await;
    let schemas = &document["components"]["schemas"];
    let status = &schemas["MsTeamsTenantStatus"];
    let mut documented: Vec<String> = match status["enum"].as_array() {
        Some(values) => values
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        None => status["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{status}"))
            .iter()
            .flat_map(|variant| variant["enum"].as_array().unwrap().clone())
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
    };
    documented.sort();
    let mut values: Vec<String> = MsTeamsTenantStatus::ALL
        .iter()
        .map(|s| s.to_string())
        .collect();
    values.sort();
    assert_eq!(documented, values);
    assert_eq!(values.len(), 15);
    let description = status["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("waiting_for_confirmation") && description.contains("no_consent"),
        "{status}"
    );
    assert_eq!(
        schemas["MsTeamsStatus"]["properties"]["status"]["$ref"],
        "#/components/schemas/MsTeamsTenantStatus"
    );
    for (schema, fields) in [
        ("PowershellIntegration", &["msUserName", "active"][..]),
        ("GraphIntegration", &["msApplicationId", "active"][..]),
        ("DomainStatus", &["name", "verified"][..]),
        ("MsTeamsAdmin", &["id", "msUsername"][..]),
        ("MsTeamsAdminRequest", &["msUsername", "msPassword"][..]),
        ("MsTeamsAdminRemoval", &["id", "msUsername"][..]),
    ] {
        for field in fields {
            assert!(
                schemas[schema]["properties"][field].is_object(),
                "{schema}.{field}: {}",
                schemas[schema]
            );
        }
    }
    // Always present, null when there is nothing: as the vendor client reads them.
    for (schema, field) in [
        ("MsTeamsStatus", "msTenantId"),
        ("PowershellIntegration", "msUserName"),
        ("GraphIntegration", "msApplicationId"),
        ("MsTeamsAdmin", "id"),
        ("MsTeamsAdmin", "msUsername"),
    ] {
        assert!(
            schemas[schema]["required"]
                .as_array()
                .is_some_and(|required| required.contains(&field.into())),
            "{schema}.{field}: {}",
            schemas[schema]
        );
    }
    let sub = "/api/v01/draas/{draas_instance}/tenants/{uuid}/subscriptions/{subscription_id}";
    let admins = &document["paths"][format!("{sub}/msteams/admins")];
    for method in ["get", "post", "delete"] {
        let description = admins[method]["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("msteams.administrator.") && description.contains("ours"),
            "{method}: {description}"
        );
    }
    assert!(admins["delete"]["requestBody"].is_object(), "{admins}");
}

/// Every operation says where it comes from, and README's Fidelity table says the same.
#[tokio::test]
async fn every_operation_names_its_source_and_the_readme_table_agrees() {
    let document = document().await;
    let sources = [
        "vendor-msteams-page",
        "public-docs",
        "apio-docs",
        "vendor-client",
        "extension",
    ];
    let mut in_document = std::collections::BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let source = operation["x-fusion-source"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} names no source"));
            assert!(sources.contains(&source), "{method} {path}: {source}");
            assert!(
                operation["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("Source: ")),
                "{method} {path} does not say its source"
            );
            in_document.insert(
                format!("{} {path}", method.to_uppercase()),
                source.to_owned(),
            );
        }
    }
    let readme = include_str!("../../../README.md");
    let table = readme
        .split("## Fidelity")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Fidelity section");
    let mut in_readme = std::collections::BTreeMap::new();
    for row in table.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let operation = cells[1]
            .trim_matches('`')
            .replace("…/", "/api/v01/draas/{draas_instance}/tenants/{uuid}/");
        in_readme.insert(operation, cells[2].to_owned());
    }
    assert_eq!(in_readme, in_document);
}

/// Every field marked with its own source exists in the document and carries the mark
/// on its schema; the marks name the known sources; the document states the rule for
/// the fields without one; and RFC 9457's members are ours while `error` is the vendor
/// clients'.
#[tokio::test]
async fn every_field_marked_with_its_own_source_exists_and_carries_it() {
    use server::api::openapi::FIELD_PROVENANCE;

    let document = document().await;
    let schemas = &document["components"]["schemas"];
    for (schema, property, source) in FIELD_PROVENANCE {
        let field = &schemas[schema]["properties"][property];
        assert!(
            field.is_object(),
            "{schema}.{property} is not in the document"
        );
        assert_eq!(
            field["x-fusion-source"],
            source.name(),
            "{schema}.{property}: {field}"
        );
    }
    // Every mark in the document is one of the table's, and names a known source.
    let mut marked = 0;
    for (name, schema) in schemas.as_object().unwrap() {
        for (property, field) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(source) = field.get("x-fusion-source") {
                assert!(
                    FIELD_PROVENANCE
                        .iter()
                        .any(|(s, p, known)| *s == name.as_str()
                            && *p == property.as_str()
                            && source == known.name()),
                    "{name}.{property}: {source}"
                );
                marked += 1;
            }
        }
    }
    assert_eq!(marked, FIELD_PROVENANCE.len());
    let description = document["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("A field without its own mark comes from where"),
        "{description}"
    );
    let problem = &schemas["Problem"]["properties"];
    for member in ["type", "title", "status", "detail", "code"] {
        assert_eq!(problem[member]["x-fusion-source"], "extension", "{member}");
    }
    assert_eq!(problem["error"]["x-fusion-source"], "vendor-client");
    // A marked reference keeps its target, wrapped in a one-item allOf.
    let ms_teams = &schemas["Subscription"]["properties"]["msTeams"];
    assert_eq!(
        ms_teams["allOf"][0]["$ref"], "#/components/schemas/MsTeamsState",
        "{ms_teams}"
    );
    assert_eq!(ms_teams["x-fusion-source"], "extension");
}

/// Scripts authenticate with the bearer token, browsers with the session cookie: every
/// operation that takes the bearer token takes the cookie as an alternative, but the
/// refresh (its bearer is the refresh token); the cookie scheme says that its changes
/// must come from the site's own pages.
#[tokio::test]
async fn the_session_cookie_is_an_alternative_to_the_bearer_token() {
    let document = document().await;
    let scheme = &document["components"]["securitySchemes"]["session"];
    assert_eq!(
        (&scheme["type"], &scheme["in"], &scheme["name"]),
        (
            &serde_json::json!("apiKey"),
            &serde_json::json!("cookie"),
            &serde_json::json!("fusion_session")
        ),
        "{scheme}"
    );
    let description = scheme["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("__Host-fusion_session")
            && description.contains("this site's own pages")
            && description.contains("bearer"),
        "{description}"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut with_bearer = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(security) = operation["security"].as_array() else {
                continue;
            };
            let takes = |name: &str| security.iter().any(|r| r.get(name).is_some());
            if !takes("bearer") {
                continue;
            }
            with_bearer += 1;
            let refresh = path == "/api/v01/auth/access_token";
            assert_eq!(takes("session"), !refresh, "{method} {path}: {security:?}");
            // Alternatives: each requirement names one scheme.
            assert!(
                security
                    .iter()
                    .all(|r| r.as_object().is_some_and(|o| o.len() == 1)),
                "{method} {path}: {security:?}"
            );
        }
    }
    assert!(
        with_bearer > 30,
        "{with_bearer} operations take the bearer token"
    );
    let auth = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tag| tag["name"] == "auth")
        .expect("the auth tag");
    let auth = auth["description"].as_str().unwrap();
    assert!(
        !auth.contains("(extension)") && auth.contains("public docs"),
        "{auth}"
    );
}

/// Every operation that requires a role, or an admin level, documents its 403 for that
/// (not only the cross-site 403 every change may answer): the operations that need no
/// more than a session are listed.
#[tokio::test]
async fn every_operation_with_a_role_documents_its_refusal() {
    const SESSION_ONLY: &[(&str, &str)] = &[
        ("get", "/api/v01/auth/access_token"),
        ("get", "/api/v01/auth/logout"),
        ("post", "/api/v01/auth/logout"),
        ("get", "/api/v01/system/users/local"),
    ];
    let document = document().await;
    let mut undocumented = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if !secured || SESSION_ONLY.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let refusal = operation["responses"]["403"]["description"]
                .as_str()
                .unwrap_or_default();
            if refusal.is_empty() || refusal.starts_with("A cross-site request") {
                undocumented.push(format!("{method} {path}"));
            }
        }
    }
    assert!(undocumented.is_empty(), "{undocumented:#?}");
}

/// Where a JSON body's example may be: on the media type (`example` or `examples`), or
/// on its schema, which is a component's (`$ref`) or written in place.
fn has_example(schemas: &Value, schema: &Value) -> bool {
    let carries = |node: &Value| node.get("example").is_some() || node.get("examples").is_some();
    carries(schema)
        || schema["$ref"]
            .as_str()
            .and_then(|reference| reference.rsplit('/').next())
            .is_some_and(|name| carries(&schemas[name]))
}

/// Whether a media type carries JSON.
fn is_json(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    media == "application/json" || media.ends_with("+json")
}

/// The JSON bodies a mock answers or a client sends: every request body and every 2xx
/// response body, as (where, media type object).
fn bodies(document: &Value) -> Vec<(String, &Value)> {
    let mut bodies = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let request = operation["requestBody"]["content"].as_object();
            for (media, content) in request.into_iter().flatten() {
                if is_json(media) {
                    bodies.push((format!("{method} {path} request ({media})"), content));
                }
            }
            let responses = operation["responses"].as_object();
            for (status, response) in responses.into_iter().flatten() {
                if !status.starts_with('2') {
                    continue;
                }
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    if is_json(media) {
                        bodies.push((format!("{method} {path} {status} ({media})"), content));
                    }
                }
            }
        }
    }
    bodies
}

/// A small JSON Schema checker, enough for the shapes this document uses: `$ref`,
/// `allOf` (each must fit), `oneOf` and `anyOf` (one must), `enum`, `type` (one or a
/// list), objects' `required`, `properties`, `additionalProperties` and `propertyNames`,
/// arrays' `items`, strings' lengths, `pattern` and the `uuid` and `date-time` formats,
/// numbers' bounds. Each mistake is pushed with where in the value it is.
struct SchemaCheck<'a> {
    schemas: &'a Value,
}

impl SchemaCheck<'_> {
    fn fits(&self, schema: &Value, value: &Value) -> bool {
        let mut mistakes = Vec::new();
        self.check(schema, value, "", &mut mistakes);
        mistakes.is_empty()
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, mistakes: &mut Vec<String>) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap_or_default();
            match self.schemas.get(name) {
                Some(target) => self.check(target, value, at, mistakes),
                None => mistakes.push(format!("{at}: {reference} does not exist")),
            }
            return;
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.check(part, value, at, mistakes);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(options) = schema[keyword].as_array()
                && !options.iter().any(|option| self.fits(option, value))
            {
                mistakes.push(format!("{at}: {value} fits none of the {keyword} options"));
            }
        }
        if let Some(values) = schema["enum"].as_array()
            && !values.contains(value)
        {
            mistakes.push(format!("{at}: {value} is not one of {values:?}"));
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let of_type = |name: &str| match name {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => {
                value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0)
            }
            "object" => value.is_object(),
            "array" => value.is_array(),
            _ => false,
        };
        if !types.is_empty() && !types.iter().any(|name| of_type(name)) {
            mistakes.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
        match value {
            Value::Object(members) => {
                for name in schema["required"].as_array().into_iter().flatten() {
                    let name = name.as_str().unwrap_or_default();
                    if !members.contains_key(name) {
                        mistakes.push(format!("{at}: the required `{name}` is missing"));
                    }
                }
                let properties = schema["properties"].as_object();
                for (name, member) in members {
                    let here = format!("{at}.{name}");
                    if let Some(names) = schema.get("propertyNames") {
                        self.check(names, &Value::from(name.as_str()), &here, mistakes);
                    }
                    match (
                        properties.and_then(|p| p.get(name)),
                        &schema["additionalProperties"],
                    ) {
                        (Some(property), _) => self.check(property, member, &here, mistakes),
                        (None, Value::Bool(false)) => {
                            mistakes.push(format!("{at}: `{name}` is not a property"))
                        }
                        (None, extra @ Value::Object(_)) => {
                            self.check(extra, member, &here, mistakes)
                        }
                        (None, _) => {}
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item) = schema.get("items") {
                    for (index, element) in items.iter().enumerate() {
                        self.check(item, element, &format!("{at}[{index}]"), mistakes);
                    }
                }
            }
            Value::String(text) => {
                let length = text.chars().count() as u64;
                if schema["minLength"].as_u64().is_some_and(|min| length < min)
                    || schema["maxLength"].as_u64().is_some_and(|max| length > max)
                {
                    mistakes.push(format!("{at}: {text:?} has {length} characters"));
                }
                if let Some(pattern) = schema["pattern"].as_str()
                    && !regex::Regex::new(pattern).unwrap().is_match(text)
                {
                    mistakes.push(format!("{at}: {text:?} does not match {pattern}"));
                }
                let format_fits = match schema["format"].as_str() {
                    Some("uuid") => uuid::Uuid::parse_str(text).is_ok(),
                    Some("date-time") => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                    _ => true,
                };
                if !format_fits {
                    mistakes.push(format!("{at}: {text:?} is not a {}", schema["format"]));
                }
            }
            Value::Number(number) => {
                let number = number.as_f64().unwrap_or_default();
                if schema["minimum"].as_f64().is_some_and(|min| number < min)
                    || schema["maximum"].as_f64().is_some_and(|max| number > max)
                {
                    mistakes.push(format!("{at}: {number} is out of bounds"));
                }
            }
            _ => {}
        }
    }

    /// Checks every example written in a schema, at any depth, against the schema it is
    /// written on.
    fn check_examples(&self, schema: &Value, at: &str, mistakes: &mut Vec<String>) {
        if let Some(example) = schema.get("example") {
            self.check(schema, example, &format!("{at} example"), mistakes);
        }
        for (index, example) in schema["examples"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.check(
                schema,
                example,
                &format!("{at} examples[{index}]"),
                mistakes,
            );
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            self.check_examples(property, &format!("{at}.{name}"), mistakes);
        }
        for keyword in ["items", "additionalProperties", "propertyNames"] {
            if let Some(inner) = schema.get(keyword).filter(|inner| inner.is_object()) {
                self.check_examples(inner, &format!("{at} {keyword}"), mistakes);
            }
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            for (index, part) in schema[keyword].as_array().into_iter().flatten().enumerate() {
                self.check_examples(part, &format!("{at} {keyword}[{index}]"), mistakes);
            }
        }
    }
}

/// What a mock or a client generator makes of the document is only as good as its
/// examples: every request body and every 2xx JSON body has one (on the media type, or
/// on its schema), every component schema that is not an enum (every object, and every
/// `oneOf`/`allOf` of objects) has one of its own, so that a body made of references is
/// whole at every level, and every example in the document fits the schema it is written
/// for (required members present, no unknown ones where none are allowed, enum values
/// within the enum, patterns, lengths, formats and bounds kept).
#[tokio::test]
async fn every_body_and_every_object_schema_has_an_example_that_fits() {
    let document = document().await;
    let schemas = &document["components"]["schemas"];
    let checker = SchemaCheck { schemas };
    let mut offenders = Vec::new();
    for (name, schema) in schemas.as_object().unwrap() {
        if schema.get("enum").is_some() {
            continue;
        }
        if schema.get("example").is_none() {
            offenders.push(format!("schema {name} has no example"));
        }
        checker.check_examples(schema, &format!("schema {name}"), &mut offenders);
    }
    let bodies = bodies(&document);
    assert!(bodies.len() > 35, "{} bodies", bodies.len());
    for (body, content) in bodies {
        let schema = &content["schema"];
        let on_media = content.get("example").is_some() || content.get("examples").is_some();
        if !on_media && !has_example(schemas, schema) {
            offenders.push(format!("{body} has no example"));
        }
        if let Some(example) = content.get("example") {
            checker.check(schema, example, &format!("{body} example"), &mut offenders);
        }
        for (name, example) in content["examples"].as_object().into_iter().flatten() {
            let value = &example["value"];
            checker.check(schema, value, &format!("{body} {name}"), &mut offenders);
        }
        if schema.get("$ref").is_none() {
            checker.check_examples(schema, &body, &mut offenders);
        }
    }
    assert!(
        offenders.is_empty(),
        "{} offenders:\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

/// The values a schema allows, when it is a closed set: an `enum` in place, or a
/// reference to one (also wrapped in a one-item `allOf`, or made nullable by a `oneOf`
/// with `null`).
fn closed_set(schemas: &Value, schema: &Value) -> Option<Vec<String>> {
    if let Some(reference) = schema["$ref"].as_str() {
        return closed_set(schemas, &schemas[reference.rsplit('/').next()?]);
    }
    if let Some(values) = schema["enum"].as_array() {
        let mut values: Vec<String> = values
            .iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect();
        values.sort();
        return Some(values);
    }
    let wrapped: Vec<&Value> = ["allOf", "oneOf", "anyOf"]
        .iter()
        .flat_map(|keyword| schema[keyword].as_array().into_iter().flatten())
        .filter(|option| option["type"] != "null")
        .collect();
    match wrapped[..] {
        [only] => closed_set(schemas, only),
        _ => None,
    }
}

/// The wire names of some values of a closed set, sorted.
fn wire<T: serde::Serialize>(values: &[T]) -> Vec<String> {
    let mut names: Vec<String> = values
        .iter()
        .map(|value| {
            serde_json::to_value(value)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.sort();
    names
}

/// Every field whose values are a closed set says so: the tenant's state and status, the
/// mode, the voice routing outcomes, license types, SKUs, faults, levels, roles, profiles,
/// the simulator's kinds of voice objects and of DNS records. Each is an `enum` (or a
/// reference to one) with exactly the values the server uses, so that a mock answers one
/// of them and a client generator makes a type of them rather than a plain string. A
/// `[]` after the property means its items, `{}` its keys.
#[tokio::test]
async fn every_closed_set_is_an_enum_with_the_values_the_server_uses() {
    use app::api_types::*;

    let document = document().await;
    let schemas = &document["components"]["schemas"];
    let tenant_status: Vec<String> = {
        let mut values: Vec<String> = MsTeamsTenantStatus::ALL
            .iter()
            .map(|s| s.to_string())
            .collect();
        values.sort();
        values
    };
    let onboarding = wire(&[
        OnboardingState::NotOnboarded,
        OnboardingState::Pending,
        OnboardingState::Onboarding,
        OnboardingState::Onboarded,
        OnboardingState::Failed,
        OnboardingState::Linked,
    ]);
    let modes = wire(&[MsTeamsMode::DirectRouting, MsTeamsMode::OperatorConnect]);
    let licenses = wire(&[LicenseType::Msteams, LicenseType::SipTrunks]);
    let outcomes = wire(&[
        VoiceRoutingOutcome::Created,
        VoiceRoutingOutcome::AlreadyExists,
        VoiceRoutingOutcome::Updated,
        VoiceRoutingOutcome::Error,
    ]);
    let transactions = wire(&[
        TransactionStatus::Running,
        TransactionStatus::Succeeded,
        TransactionStatus::Failed,
    ]);
    let faults = wire(&SimFault::ALL);
    let skus = wire(&SkuPart::ALL);
    let levels = wire(&[
        AdminLevel::Group,
        AdminLevel::Distributor,
        AdminLevel::Reseller,
        AdminLevel::Tenant,
    ]);
    let mut roles: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_owned()).collect();
    roles.sort();
    let mut profiles: Vec<String> = server::domain::roles::builtin_profiles()
        .into_iter()
        .map(|(name, _, _)| name.to_owned())
        .collect();
    profiles.sort();
    let owners = wire(&[OwnerType::Distributor, OwnerType::Reseller]);
    let options = wire(&[TwoFactorOption::Email, TwoFactorOption::Totp]);
    let strings = |values: &[&str]| {
        let mut values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        values.sort();
        values
    };
    let voice_objects = strings(&["pstn_usage", "voice_route", "voice_routing_policy"]);
    let record_types = strings(&["CNAME", "MX", "TXT"]);
    let transaction_kinds = strings(&[server::domain::wizard::WIZARD_JOB]);

    #[rustfmt::skip]
    let expected: Vec<(&str, &str, &Vec<String>)> = vec![
        ("MsTeamsStatus", "status", &tenant_status),
        ("MsTeamsStatus", "mode", &modes),
        ("MsTeamsState", "state", &onboarding),
        ("Subscription", "licenseType", &licenses),
        ("SubscriptionSpec", "licenseType", &licenses),
        ("VoiceRoutingItem", "status", &outcomes),
        ("TransactionInfo", "status", &transactions),
        ("TransactionInfo", "kind", &transaction_kinds),
        ("NewSimTenant", "faults[]", &faults),
        ("SimFaults", "faults[]", &faults),
        ("SimTenantSummary", "faults[]", &faults),
        ("SimTenantSpec", "faults[]", &faults),
        ("SimTenantSpec", "licenses{}", &skus),
        ("SimLicense", "skuPartNumber", &skus),
        ("SimUser", "licenses[]", &skus),
        ("SimVoiceObject", "kind", &voice_objects),
        ("SimDnsRecord", "recordType", &record_types),
        ("CurrentUser", "ui_profile", &levels),
        ("NodeRef", "kind", &levels),
        ("AdminSpec", "level", &levels),
        ("AdminSpec", "profile", &profiles),
        ("ApiRule", "name", &roles),
        ("Owner", "type", &owners),
        ("TwoFactorChallenge", "option", &options),
    ];
    let mut offenders = Vec::new();
    for (schema, property, values) in expected {
        let (name, part) = match property.strip_suffix("[]") {
            Some(name) => (name, Some("items")),
            None => match property.strip_suffix("{}") {
                Some(name) => (name, Some("propertyNames")),
                None => (property, None),
            },
        };
        let mut field = &schemas[schema]["properties"][name];
        if field.is_null() {
            offenders.push(format!("{schema}.{property} is not in the document"));
            continue;
        }
        if let Some(part) = part {
            field = &field[part];
        }
        match closed_set(schemas, field) {
            Some(documented) if &documented == values => {}
            Some(documented) => offenders.push(format!(
                "{schema}.{property} allows {documented:?}, the server uses {values:?}"
            )),
            None => offenders.push(format!("{schema}.{property} is not an enum: {field}")),
        }
    }
    assert!(
        offenders.is_empty(),
        "{} offenders:\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}
