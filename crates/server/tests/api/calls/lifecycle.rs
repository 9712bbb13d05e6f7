//! Logging calls, their lifecycle and timeline, idempotency, validation, edits and deletes, concurrent writes.

use serde_json::{Value, json};

use super::{act, ids_for, log, owner};
use crate::helpers::{TestApp, both_databases};

both_databases!(
    a_call_moves_through_its_lifecycle_with_a_timeline,
    logging_is_idempotent_on_source_and_external_id,
    logged_calls_are_validated,
    editing_and_deleting_calls,
    concurrent_writes_all_land_once,
);

async fn a_call_moves_through_its_lifecycle_with_a_timeline(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let call = log(
        &app,
        &token,
        &ws,
        json!({
            "direction": "inbound",
            "from_number": "+49 30 1234567",
            "to_number": "+49 40 555000",
            "started_at": "2026-11-02T09:00:00Z",
        }),
    )
    .await;
    assert_eq!(call["status"], "ringing");
    assert_eq!(call["from_number"], "+49301234567", "stored in E.164");
    assert_eq!(call["remote_number"], "+49301234567");
    let id = call["id"].as_str().expect("id");
    let path = |action: &str| format!("/api/v1/calls/{id}/{action}");

    let answered = act(
        &app,
        &token,
        &ws,
        &path("status"),
        json!({ "status": "in_progress", "at": "2026-11-02T09:00:12Z" }),
    )
    .await;
    assert_eq!(answered.expect(200)["call"]["ring_seconds"], 12);
    let illegal = act(&app, &token, &ws, &path("status"), json!({ "status": "busy" })).await;
    let error = illegal.expect_error(409, "illegal_transition");
    assert_eq!(
        (error["error"]["details"]["from"].as_str(), error["error"]["details"]["to"].as_str()),
        (Some("in_progress"), Some("busy"))
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("in_progress") && m.contains("busy"))
    );

    let hold = act(&app, &token, &ws, &path("hold"), json!({ "at": "2026-11-02T09:01:00Z" })).await;
    assert_eq!(hold.expect(200)["call"]["status"], "on_hold");
    // An empty body means "now".
    let resumed = app.post(&path("hold")).token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(resumed.expect(200)["call"]["status"], "in_progress");
    let dtmf = act(
        &app,
        &token,
        &ws,
        &path("events"),
        json!({ "type": "dtmf", "at": "2026-11-02T09:02:00Z", "data": { "digits": "1#" } }),
    )
    .await;
    dtmf.expect(200);
    act(&app, &token, &ws, &path("events"), json!({ "type": "hold" }))
        .await
        .expect_error(422, "validation_failed");
    // Each entry type's data has its one shape.
    for wrong in [
        json!({ "type": "dtmf", "data": { "text": "1#" } }),
        json!({ "type": "dtmf", "data": { "digits": "1x" } }),
        json!({ "type": "dtmf" }),
        json!({ "type": "custom", "data": null }),
        json!({ "type": "note", "data": { "text": 5 } }),
        json!({ "type": "recording_started", "data": { "recording_id": "nope" } }),
    ] {
        let refused = act(&app, &token, &ws, &path("events"), wrong.clone()).await;
        let body = refused.expect_error(422, "validation_failed");
        assert_eq!(body["error"]["details"]["field"], "data", "{wrong}");
    }
    let transfer = act(
        &app,
        &token,
        &ws,
        &path("transfer"),
        json!({ "to_number": "+49 89 123456", "at": "2026-11-02T09:03:00Z" }),
    )
    .await;
    let transfer = transfer.expect(200).clone();
    let leg = transfer["leg"].clone();
    assert_eq!(leg["parent_call_id"], json!(id));
    assert_eq!(leg["status"], "initiated");
    assert_eq!(leg["from_number"], "+4940555000", "the workspace's side continues the call");
    assert_eq!(transfer["events"][0]["data"]["leg_call_id"], leg["id"]);
    act(
        &app,
        &token,
        &ws,
        &path("transfer"),
        json!({ "to_number": "+4989123456", "to_user_id": "0195f3a0-0000-7000-8000-000000000000" }),
    )
    .await
    .expect_error(422, "validation_failed");

    let ended = act(
        &app,
        &token,
        &ws,
        &path("end"),
        json!({ "at": "2026-11-02T09:05:00Z", "end_reason": "normal_clearing" }),
    )
    .await;
    let ended = ended.expect(200)["call"].clone();
    assert_eq!(
        (ended["status"].as_str(), ended["talk_seconds"].as_i64()),
        (Some("completed"), Some(288))
    );
    let late = act(
        &app,
        &token,
        &ws,
        &path("status"),
        json!({ "status": "ringing", "at": "2026-11-02T09:00:05Z" }),
    )
    .await;
    let late = late.expect(200).clone();
    assert_eq!(late["call"]["status"], "completed", "a late event never moves it back");
    assert_eq!(late["events"][0]["data"]["applied"], false);
    let replay =
        act(&app, &token, &ws, &path("end"), json!({ "at": "2026-11-02T09:09:00Z" })).await;
    assert_eq!(
        replay.expect(200)["call"]["ended_at"],
        "2026-11-02T09:05:00Z",
        "a replay changes nothing"
    );

    let detail = app
        .get(&format!("/api/v1/calls/{id}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let detail = detail.expect(200).clone();
    assert_eq!(detail["legs"], json!([leg]), "a call lists the legs transferred off it");
    let timeline: Vec<(String, String)> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_owned(),
                e["at"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let kinds: Vec<&str> = timeline.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "status_changed",
            "status_changed",
            "status_changed",
            "hold",
            "dtmf",
            "transfer",
            "status_changed",
            "status_changed",
            "unhold"
        ],
        "logged, late ringing, answered, …, the replayed end, the resume at now: {timeline:?}"
    );
    let mut sorted = timeline.clone();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        timeline.iter().map(|t| &t.1).collect::<Vec<_>>(),
        sorted.iter().map(|t| &t.1).collect::<Vec<_>>()
    );
    let leg_id = leg["id"].as_str().expect("leg id");
    app.get(&format!("/api/v1/calls/{leg_id}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .expect(200);
    let missing = act(
        &app,
        &token,
        &ws,
        "/api/v1/calls/0195f3a0-0000-7000-8000-000000000000/hold",
        json!({}),
    )
    .await;
    missing.expect_error(404, "call_not_found");
}

async fn logging_is_idempotent_on_source_and_external_id(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let body = json!({
        "source": "twilio",
        "external_id": "CA42",
        "direction": "outbound",
        "to_number": "+14155550123",
        "started_at": "2026-11-02T10:00:00Z",
        "answered_at": "2026-11-02T10:00:07Z",
        "ended_at": "2026-11-02T10:03:07Z",
        "raw": { "CallSid": "CA42", "CallStatus": "completed" },
    });
    let first = log(&app, &token, &ws, body.clone()).await;
    assert_eq!(
        (first["status"].as_str(), first["talk_seconds"].as_i64(), first["ring_seconds"].as_i64()),
        (Some("completed"), Some(180), Some(7))
    );
    assert_eq!(first["raw"], json!([{ "CallSid": "CA42", "CallStatus": "completed" }]));
    let again = app
        .post("/api/v1/calls")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&body)
        .send()
        .await;
    assert_eq!(again.expect(200)["id"], first["id"], "a retry returns the call logged first");
    let mut changed = body.clone();
    changed["ended_at"] = json!("2026-11-02T10:09:07Z");
    let conflict = app
        .post("/api/v1/calls")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&changed)
        .send()
        .await;
    let conflict = conflict.expect_error(409, "call_conflict");
    assert_eq!(conflict["error"]["details"]["call_id"], first["id"]);
    let mut other_source = body.clone();
    other_source["source"] = json!("sip");
    log(&app, &token, &ws, other_source).await;
    let list = app.get("/api/v1/calls").token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(list.expect(200)["data"].as_array().map(Vec::len), Some(2));
}

async fn logged_calls_are_validated(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let (stranger, _) = app.user("stranger@calls.example").await;
    let cases = [
        (json!({ "direction": "sideways" }), "direction"),
        (
            json!({ "direction": "inbound", "status": "completed", "started_at": "2026-11-02T10:00:00Z" }),
            "answered_at",
        ),
        (
            json!({ "direction": "inbound", "started_at": "2026-11-02T10:00:00Z", "ended_at": "2026-11-02T09:00:00Z" }),
            "ended_at",
        ),
        (
            json!({ "direction": "inbound", "status": "busy", "answered_at": "2026-11-02T10:00:00Z", "ended_at": "2026-11-02T10:00:00Z", "started_at": "2026-11-02T10:00:00Z" }),
            "answered_at",
        ),
        (json!({ "direction": "inbound", "source": "Not A Source" }), "source"),
        (json!({ "direction": "inbound", "tags": [""] }), "tags"),
        (json!({ "direction": "inbound", "duration": 60 }), "duration"),
        (json!({ "direction": "inbound", "notes": "x".repeat(10_001) }), "notes"),
    ];
    for (body, field) in cases {
        let reply = app
            .post("/api/v1/calls")
            .token(&token)
            .header("x-workspace-id", &ws)
            .json(&body)
            .send()
            .await;
        let error = reply.expect_error(422, "validation_failed");
        assert!(
            error["error"]["message"].as_str().is_some_and(|m| m.contains(field)),
            "{field}: {error}"
        );
    }
    // A user who is no member here is named like a missing one.
    let reply = app
        .post("/api/v1/calls")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "direction": "inbound", "user_id": stranger }))
        .send()
        .await;
    assert_eq!(reply.expect_error(404, "user_not_found")["error"]["details"]["field"], "user_id");
    let list = app.get("/api/v1/calls").token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(list.expect(200)["data"], json!([]), "nothing half-written");
}

async fn editing_and_deleting_calls(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let (agent_id, agent) = app.member(&token, &ws, "agent@calls.example", "agent").await;
    let (other_id, _) = app.member(&token, &ws, "colleague@calls.example", "agent").await;
    let unassigned = log(&app, &token, &ws, json!({ "direction": "inbound" })).await;
    let call = log(
        &app,
        &token,
        &ws,
        json!({ "direction": "inbound", "notes": "first", "tags": ["a"], "user_id": agent_id }),
    )
    .await;
    let id = call["id"].as_str().expect("id");
    // An agent changes only the calls assigned to them, and assigns none to someone else.
    let as_agent = |method: reqwest::Method, path: String, body: Value| {
        app.call(method, &path).token(&agent).header("x-workspace-id", &ws).json(&body).send()
    };
    let unassigned = unassigned["id"].as_str().expect("id");
    for (method, path, body) in [
        (
            reqwest::Method::PATCH,
            format!("/api/v1/calls/{unassigned}"),
            json!({ "notes": "mine now" }),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/calls/{unassigned}"),
            json!({ "user_id": agent_id }),
        ),
        (reqwest::Method::POST, format!("/api/v1/calls/{unassigned}/end"), json!({})),
        (
            reqwest::Method::POST,
            format!("/api/v1/calls/{unassigned}/events"),
            json!({ "type": "note" }),
        ),
        (reqwest::Method::PATCH, format!("/api/v1/calls/{id}"), json!({ "user_id": other_id })),
        (
            reqwest::Method::POST,
            "/api/v1/calls".to_owned(),
            json!({ "direction": "inbound", "user_id": other_id }),
        ),
    ] {
        as_agent(method, path, body).await.expect_error(403, "forbidden");
    }
    let logged = as_agent(
        reqwest::Method::POST,
        "/api/v1/calls".to_owned(),
        json!({ "direction": "outbound" }),
    );
    let logged = logged.await.expect(201).clone();
    assert_eq!(logged["user_id"], json!(agent_id), "an agent logs calls as their own");
    let patched = app.patch(&format!("/api/v1/calls/{id}")).token(&agent).header("x-workspace-id", &ws)
        .json(&json!({ "notes": null, "tags": ["b", "b", "c"], "disposition": "sale", "user_id": agent_id })).send().await;
    let patched = patched.expect(200).clone();
    assert_eq!(
        (patched["notes"].clone(), patched["tags"].clone(), patched["user_id"].clone()),
        (Value::Null, json!(["b", "c"]), json!(agent_id))
    );
    assert_eq!(
        ids_for(&app, &token, &ws, &format!("user_id={agent_id}")).await,
        vec![logged["id"].as_str().expect("id").to_owned(), id.to_owned()]
    );
    app.delete(&format!("/api/v1/calls/{id}"))
        .token(&agent)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .expect_error(403, "forbidden");
    app.delete(&format!("/api/v1/calls/{id}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .expect(204);
    app.get(&format!("/api/v1/calls/{id}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .expect_error(404, "call_not_found");
    let audit = app
        .get("/api/v1/audit?action=call.delete")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(audit.expect(200)["data"][0]["target_id"], json!(id));
}

async fn concurrent_writes_all_land_once(app: TestApp) {
    let (token, ws) = owner(&app).await;
    // Concurrent writes share commits on SQLite; each answer still means committed.
    let creates = (0..60).map(|i| {
        let body = json!({ "direction": "inbound", "external_id": format!("c{}", i % 40), "source": "sip" });
        app.post("/api/v1/calls").token(&token).header("x-workspace-id", &ws).json(&body).send()
    });
    let replies = futures_util::future::join_all(creates).await;
    let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    let repeated = replies.iter().filter(|r| r.status.as_u16() == 200).count();
    assert_eq!((created, repeated), (40, 20), "each external id logged once");
    let list = app
        .get("/api/v1/calls?limit=1000")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let calls = list.expect(200)["data"].as_array().map(Vec::len);
    assert_eq!(calls, Some(40));
    let first = replies[0].body["id"].as_str().expect("id").to_owned();
    let events = (0..50).map(|i| {
        let body = json!({ "type": "dtmf", "data": { "digits": i.to_string() } });
        app.post(&format!("/api/v1/calls/{first}/events"))
            .token(&token)
            .header("x-workspace-id", &ws)
            .json(&body)
            .send()
    });
    let replies = futures_util::future::join_all(events).await;
    assert!(replies.iter().all(|r| r.status.as_u16() == 200));
    let detail = app
        .get(&format!("/api/v1/calls/{first}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(detail.expect(200)["timeline"].as_array().map(Vec::len), Some(51));
}
