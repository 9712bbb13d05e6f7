//! Calls through the API: logging, the lifecycle and timeline, idempotency, the do-not-call
//! list, history filters, export and statistics.

use serde_json::{Value, json};

use crate::helpers::{TestApp, both_databases};

both_databases!(
    a_call_moves_through_its_lifecycle_with_a_timeline,
    logging_is_idempotent_on_source_and_external_id,
    logged_calls_are_validated,
    do_not_call_list_blocks_outbound_and_flags_inbound,
    history_finds_numbers_in_any_format,
    history_pages_and_filters,
    export_streams_csv_and_ndjson_with_filters,
    stats_follow_local_days_across_dst,
    editing_and_deleting_calls,
    concurrent_writes_all_land_once,
);

/// A workspace owner's session and the workspace id.
async fn owner(app: &TestApp) -> (String, String) {
    let (_, token) = app.user("owner@calls.example").await;
    let workspace = app.workspace(&token, "Calls").await;
    (token, workspace)
}

async fn log(app: &TestApp, token: &str, workspace: &str, body: Value) -> Value {
    let reply = app
        .post("/api/v1/calls")
        .token(token)
        .header("x-workspace-id", workspace)
        .json(&body)
        .send()
        .await;
    reply.expect(201).clone()
}

async fn act(
    app: &TestApp,
    token: &str,
    workspace: &str,
    path: &str,
    body: Value,
) -> crate::helpers::Reply {
    app.post(path).token(token).header("x-workspace-id", workspace).json(&body).send().await
}

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
        (json!({ "direction": "inbound", "user_id": stranger }), "user_id"),
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
    let list = app.get("/api/v1/calls").token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(list.expect(200)["data"], json!([]), "nothing half-written");
}

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

async fn ids_for(app: &TestApp, token: &str, ws: &str, query: &str) -> Vec<String> {
    let reply = app
        .get(&format!("/api/v1/calls?{query}"))
        .token(token)
        .header("x-workspace-id", ws)
        .send()
        .await;
    let body = reply.expect(200);
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn history_finds_numbers_in_any_format(app: TestApp) {
    let (token, ws) = owner(&app).await;
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "region": "DE" }))
        .send()
        .await
        .expect(200);
    // Stored from a national format: the region makes it E.164.
    let berlin =
        log(&app, &token, &ws, json!({ "direction": "inbound", "from_number": "030 1234567" }))
            .await;
    let other =
        log(&app, &token, &ws, json!({ "direction": "outbound", "to_number": "+1 415 555 0199" }))
            .await;
    let berlin_id = berlin["id"].as_str().expect("id").to_owned();
    for query in [
        "number=%2B49%2030%201234567",
        "number=030%201234567",
        "number=%2B49301234567",
        "number=4567",
        "number=1234567",
    ] {
        assert_eq!(ids_for(&app, &token, &ws, query).await, vec![berlin_id.clone()], "{query}");
    }
    assert_eq!(
        ids_for(&app, &token, &ws, "number=0199").await,
        vec![other["id"].as_str().expect("id").to_owned()]
    );
    assert!(ids_for(&app, &token, &ws, "number=9999").await.is_empty());
    let short = app
        .get("/api/v1/calls?number=567")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let error = short.expect_error(400, "invalid_query");
    assert_eq!(error["error"]["details"]["parameter"], "number");
}

async fn history_pages_and_filters(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let mut all = Vec::new();
    for i in 0..7 {
        let call = log(
            &app,
            &token,
            &ws,
            json!({
                "direction": if i % 2 == 0 { "inbound" } else { "outbound" },
                "from_number": "+4940555000",
                "to_number": format!("+4930100{i}"),
                "started_at": format!("2026-11-02T10:0{i}:00Z"),
                "notes": if i == 3 { "customer wants a callback" } else { "routine" },
                "tags": if i == 5 { json!(["vip"]) } else { json!([]) },
            }),
        )
        .await;
        all.push(call["id"].as_str().expect("id").to_owned());
    }
    all.reverse();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let reply = app
            .get(&format!("/api/v1/calls?limit=3&cursor={cursor}"))
            .token(&token)
            .header("x-workspace-id", &ws)
            .send()
            .await;
        let body = reply.expect(200).clone();
        seen.extend(
            body["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|c| c["id"].as_str().unwrap_or_default().to_owned()),
        );
        // A new call arrives while paging: it is newer than every page, so it never shows.
        log(
            &app,
            &token,
            &ws,
            json!({ "direction": "inbound", "started_at": "2026-11-03T00:00:00Z" }),
        )
        .await;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, all, "every call once, newest first");
    assert_eq!(ids_for(&app, &token, &ws, "q=callback").await, vec![all[3].clone()]);
    assert_eq!(ids_for(&app, &token, &ws, "tag=vip").await, vec![all[1].clone()]);
    assert_eq!(
        ids_for(&app, &token, &ws, "direction=outbound&to=2026-11-02T10:04:00Z").await,
        vec![all[3].clone(), all[5].clone()]
    );
    assert_eq!(
        ids_for(&app, &token, &ws, "from=2026-11-02T10:06:00Z&to=2026-11-02T10:07:00Z").await,
        vec![all[0].clone()]
    );
    assert_eq!(ids_for(&app, &token, &ws, "sort=started_at&limit=1").await, vec![all[6].clone()]);
    for bad in [
        "cursor=not-a-cursor",
        "cursor=eyJrIjoxfQ",
        "limit=0",
        "status=sideways",
        "min_duration=-1",
        "sort=name",
        "from=yesterday",
    ] {
        let reply = app
            .get(&format!("/api/v1/calls?{bad}"))
            .token(&token)
            .header("x-workspace-id", &ws)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 400, "{bad}: {}", reply.text);
    }
    let tampered = app.get("/api/v1/calls?cursor=eyJrIjoxLCJpZCI6IjAxOTVmM2EwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMCIsInMiOiJkdXJhdGlvbiJ9").token(&token).header("x-workspace-id", &ws).send().await;
    tampered.expect_error(400, "invalid_cursor");
}

async fn export_streams_csv_and_ndjson_with_filters(app: TestApp) {
    let (token, ws) = owner(&app).await;
    for i in 0..5 {
        log(
            &app,
            &token,
            &ws,
            json!({
                "direction": if i < 3 { "inbound" } else { "outbound" },
                "from_number": "+4940555000",
                "from_name": if i == 0 { "Müller, \"Hans\"" } else { "Anna" },
                "started_at": format!("2026-11-02T10:0{i}:00Z"),
            }),
        )
        .await;
    }
    let csv = app
        .get("/api/v1/calls/export?format=csv")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(csv.status.as_u16(), 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.header("content-disposition").is_some_and(|d| d.contains("calls.csv")));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 6, "header and five calls: {}", csv.text);
    assert!(lines[0].starts_with("id,source,external_id,direction,status"));
    assert!(lines[1].contains("\"Müller, \"\"Hans\"\"\""), "quoted: {}", lines[1]);
    let ndjson = app
        .get("/api/v1/calls/export?format=ndjson&direction=outbound")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(ndjson.header("content-type"), Some("application/x-ndjson"));
    let rows: Vec<Value> =
        ndjson.text.lines().map(|line| serde_json::from_str(line).expect("json line")).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| row["direction"] == "outbound"));
    assert!(rows[0]["started_at"].as_str() < rows[1]["started_at"].as_str(), "oldest first");
    let bad = app
        .get("/api/v1/calls/export?format=xlsx")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    bad.expect_error(400, "invalid_query");
}

async fn stats_follow_local_days_across_dst(app: TestApp) {
    let (token, ws) = owner(&app).await;
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "time_zone": "Europe/Berlin" }))
        .send()
        .await
        .expect(200);
    // Berlin leaves summer time at 03:00 CEST on 2026-10-25 (01:00 UTC).
    let calls = [
        ("2026-10-24T21:30:00Z", "inbound", Some(30)), // 23:30 on the 24th (CEST)
        ("2026-10-24T22:30:00Z", "inbound", None),     // 00:30 on the 25th (CEST)
        ("2026-10-25T00:30:00Z", "outbound", Some(90)), // 02:30 CEST on the 25th
        ("2026-10-25T01:30:00Z", "outbound", Some(400)), // 02:30 CET, the repeated hour
        ("2026-10-25T22:30:00Z", "inbound", Some(5)),  // 23:30 on the 25th (CET)
        ("2026-10-25T23:30:00Z", "inbound", None),     // 00:30 on the 26th
    ];
    for (started, direction, talk) in calls {
        let start: jiff::Timestamp = started.parse().expect("instant");
        let mut body = json!({ "direction": direction, "started_at": started });
        match talk {
            Some(seconds) => {
                body["answered_at"] =
                    json!(start.checked_add(jiff::SignedDuration::from_secs(10)).expect("time"));
                body["ended_at"] = json!(
                    start.checked_add(jiff::SignedDuration::from_secs(10 + seconds)).expect("time")
                );
            }
            None => {
                body["ended_at"] =
                    json!(start.checked_add(jiff::SignedDuration::from_secs(20)).expect("time"))
            }
        }
        log(&app, &token, &ws, body).await;
    }
    let query = "period=custom&from=2026-10-23T22:00:00Z&to=2026-10-26T23:00:00Z";
    let stats = app
        .get(&format!("/api/v1/calls/stats?{query}&group_by=direction"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let stats = stats.expect(200).clone();
    assert_eq!(stats["time_zone"], "Europe/Berlin");
    let totals = &stats["totals"];
    assert_eq!(
        (totals["calls"].as_i64(), totals["answered"].as_i64(), totals["missed"].as_i64()),
        (Some(6), Some(4), Some(2))
    );
    assert_eq!(totals["total_talk_seconds"], 525);
    assert_eq!(totals["answer_rate"].as_f64(), Some(4.0 / 6.0));
    let daily: Vec<(String, i64)> = stats["daily"]
        .as_array()
        .expect("daily")
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap_or_default().to_owned(),
                d["calls"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        daily,
        [("2026-10-24".to_owned(), 1), ("2026-10-25".to_owned(), 4), ("2026-10-26".to_owned(), 1)]
    );
    let hours: Vec<(i64, i64)> = stats["busiest_hours"]
        .as_array()
        .expect("hours")
        .iter()
        .map(|h| (h["hour"].as_i64().unwrap_or_default(), h["calls"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(hours, [(0, 2), (2, 2), (23, 2)], "busiest first; 02:00 happened twice");
    let groups = stats["groups"].as_array().expect("groups");
    assert_eq!(groups[0]["key"], "inbound");
    assert_eq!(groups[0]["calls"], 4);
    let buckets = stats["duration_distribution"].as_array().expect("buckets");
    let counts: Vec<i64> =
        buckets.iter().map(|b| b["calls"].as_i64().unwrap_or_default()).collect();
    assert_eq!(counts, [1, 0, 1, 1, 0, 1, 0, 0]);

    // A custom range that cuts hours in half reads the edges from the calls themselves.
    let partial = app
        .get("/api/v1/calls/stats?period=custom&from=2026-10-24T22:15:00Z&to=2026-10-25T00:45:00Z")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(partial.expect(200)["totals"]["calls"], 2);
    let daily = app
        .get(&format!("/api/v1/calls/stats/daily?{query}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(daily.expect(200)["days"].as_array().map(Vec::len), Some(3));
    let distribution = app
        .get(&format!("/api/v1/calls/stats/duration-distribution?{query}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(distribution.expect(200)["edges"], json!([10, 30, 60, 120, 300, 600, 1800]));
    let month =
        app.get("/api/v1/calls/stats").token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(month.expect(200)["period"], "month");
    let bad = app
        .get("/api/v1/calls/stats?period=custom&from=2026-10-24T00:00:00Z")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    bad.expect_error(400, "invalid_query");

    // Moving the workspace to UTC regroups the same calls on UTC days.
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "time_zone": "UTC" }))
        .send()
        .await
        .expect(200);
    let utc = app
        .get("/api/v1/calls/stats?period=custom&from=2026-10-24T00:00:00Z&to=2026-10-27T00:00:00Z")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let days: Vec<i64> = utc.expect(200)["daily"]
        .as_array()
        .expect("daily")
        .iter()
        .map(|d| d["calls"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(days, [2, 4, 0]);
}

async fn editing_and_deleting_calls(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let (agent_id, agent) = app.member(&token, &ws, "agent@calls.example", "agent").await;
    let call =
        log(&app, &token, &ws, json!({ "direction": "inbound", "notes": "first", "tags": ["a"] }))
            .await;
    let id = call["id"].as_str().expect("id");
    let patched = app.patch(&format!("/api/v1/calls/{id}")).token(&agent).header("x-workspace-id", &ws)
        .json(&json!({ "notes": null, "tags": ["b", "b", "c"], "disposition": "sale", "user_id": agent_id })).send().await;
    let patched = patched.expect(200).clone();
    assert_eq!(
        (patched["notes"].clone(), patched["tags"].clone(), patched["user_id"].clone()),
        (Value::Null, json!(["b", "c"]), json!(agent_id))
    );
    assert_eq!(
        ids_for(&app, &token, &ws, &format!("user_id={agent_id}")).await,
        vec![id.to_owned()]
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
