//! The do-not-call list: outbound calls refused, inbound calls flagged, entries audited.

use serde_json::json;

use super::{act, log, owner};
use crate::helpers::{TestApp, both_databases};

both_databases!(do_not_call_list_blocks_outbound_and_flags_inbound,);

async fn do_not_call_list_blocks_outbound_and_flags_inbound(app: TestApp) {
    let (token, ws) = owner(&app).await;
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "region": "DE" }))
        .send()
        .await
        .expect(200);
    let entry = app
        .post("/api/v1/blocklist")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "pattern": "030 1234567", "reason": "asked not to be called" }))
        .send()
        .await;
    let entry = entry.expect(201).clone();
    assert_eq!(
        (entry["kind"].as_str(), entry["pattern"].as_str()),
        (Some("number"), Some("+49301234567"))
    );
    let prefix = app
        .post("/api/v1/blocklist")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "kind": "prefix", "pattern": "+44 20" }))
        .send()
        .await;
    let prefix = prefix.expect(201).clone();
    app.post("/api/v1/blocklist")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "pattern": "+49301234567" }))
        .send()
        .await
        .expect_error(409, "already_blocked");
    app.post("/api/v1/blocklist")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "kind": "prefix", "pattern": "44" }))
        .send()
        .await
        .expect_error(422, "validation_failed");

    let blocked =
        act(&app, &token, &ws, "/api/v1/calls/outbound", json!({ "to_number": "+49 30 1234567" }))
            .await;
    let blocked = blocked.expect_error(403, "number_blocked");
    assert_eq!(blocked["error"]["details"]["entries"][0]["reason"], "asked not to be called");
    act(&app, &token, &ws, "/api/v1/calls/outbound", json!({ "to_number": "+44 20 7946 0000" }))
        .await
        .expect_error(403, "number_blocked");
    let allowed =
        act(&app, &token, &ws, "/api/v1/calls/outbound", json!({ "to_number": "089 123456" }))
            .await;
    let allowed = allowed.expect(201).clone();
    assert_eq!(
        (allowed["status"].as_str(), allowed["direction"].as_str(), allowed["to_number"].as_str()),
        (Some("initiated"), Some("outbound"), Some("+4989123456"))
    );
    assert!(allowed["user_id"].is_string(), "placed by the caller");

    let inbound =
        log(&app, &token, &ws, json!({ "direction": "inbound", "from_number": "+49301234567" }))
            .await;
    assert_eq!(inbound["blocked"], true, "inbound calls from a blocked number are flagged");
    let clean =
        log(&app, &token, &ws, json!({ "direction": "inbound", "from_number": "+49301234568" }))
            .await;
    assert_eq!(clean["blocked"], false);

    let id = entry["id"].as_str().expect("id");
    let expiring = app
        .patch(&format!("/api/v1/blocklist/{id}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "expires_at": "2099-01-01T00:00:00Z", "reason": null }))
        .send()
        .await;
    let expiring = expiring.expect(200).clone();
    assert_eq!(
        (expiring["expires_at"].as_str(), expiring["reason"].as_str()),
        (Some("2099-01-01T00:00:00Z"), None)
    );
    let listed =
        app.get("/api/v1/blocklist").token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(listed.expect(200)["data"].as_array().map(Vec::len), Some(2));
    app.delete(&format!("/api/v1/blocklist/{id}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .expect(204);
    act(&app, &token, &ws, "/api/v1/calls/outbound", json!({ "to_number": "+49 30 1234567" }))
        .await
        .expect(201);
    app.get(&format!("/api/v1/blocklist/{}", prefix["id"].as_str().expect("id")))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .expect(200);
    let audit = app
        .get("/api/v1/audit?action=blocklist.delete")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(audit.expect(200)["data"].as_array().map(Vec::len), Some(1), "changes are audited");
}
