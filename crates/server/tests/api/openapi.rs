//! The OpenAPI document: generated from the code, committed, served, browsable offline.

use crate::helpers::{TestApp, both_databases};

both_databases!(the_served_document_is_the_committed_one, docs_are_served_from_the_binary);

const COMMITTED: &str = include_str!("../../../../openapi.json");

#[test]
fn committed_openapi_json_is_current() {
    let generated = callbase_server::openapi_json();
    assert!(
        generated == COMMITTED,
        "openapi.json is stale: run `cargo run -p callbase -- openapi > openapi.json` and commit it"
    );
}

#[test]
fn every_operation_is_documented_with_errors() {
    let document: serde_json::Value = serde_json::from_str(COMMITTED).expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    for required in [
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/workspaces/{id}/members",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/healthz",
    ] {
        assert!(paths.contains_key(required), "{required} missing");
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("item") {
            assert!(operation["responses"].is_object(), "{method} {path} has no responses");
            assert!(operation["tags"].is_array(), "{method} {path} has no tag");
        }
    }
}

async fn the_served_document_is_the_committed_one(app: TestApp) {
    let served = app.get("/api/v1/openapi.json").send().await;
    assert_eq!(served.header("content-type"), Some("application/json"));
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).expect("json");
    assert_eq!(served.body, committed);
}

async fn docs_are_served_from_the_binary(app: TestApp) {
    let page = app.get("/docs").send().await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.text.contains("swagger-ui-bundle.js"));
    for asset in ["/docs", "/docs/init.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        let reply = app.get(asset).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{asset}");
        for host in ["cdn.", "unpkg", "jsdelivr", "googleapis", "gstatic"] {
            assert!(!reply.text.contains(host), "{asset} references {host}");
        }
    }
}
