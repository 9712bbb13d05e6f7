//! AUTH-6: with `agent_call_visibility = own`, an agent sees only the calls assigned to them —
//! in lists, word search, export, statistics, recordings, transcripts and their search —
//! while owners and admins see everything, and `all` (the default) changes nothing.

use serde_json::{Value, json};

use super::{log, owner};
use crate::helpers::{TestApp, both_databases, wav_bytes};

both_databases!(agents_who_see_their_own_calls_see_nothing_else);

async fn agents_who_see_their_own_calls_see_nothing_else(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let (alice_id, alice) = app.member(&token, &ws, "alice@vis.example", "agent").await;
    let (bob_id, bob) = app.member(&token, &ws, "bob@vis.example", "agent").await;
    let mine = log(
        &app,
        &token,
        &ws,
        json!({ "direction": "inbound", "from_name": "Alpha", "user_id": alice_id,
                "started_at": "2026-11-02T10:00:00Z", "answered_at": "2026-11-02T10:00:05Z",
                "ended_at": "2026-11-02T10:01:05Z" }),
    )
    .await;
    let theirs = log(
        &app,
        &token,
        &ws,
        json!({ "direction": "inbound", "from_name": "Bravo", "user_id": bob_id,
                "started_at": "2026-11-02T11:00:00Z", "answered_at": "2026-11-02T11:00:05Z",
                "ended_at": "2026-11-02T11:02:05Z" }),
    )
    .await;
    log(
        &app,
        &token,
        &ws,
        json!({ "direction": "outbound", "started_at": "2026-11-02T12:00:00Z" }),
    )
    .await;
    let theirs_id = theirs["id"].as_str().expect("id").to_owned();
    let recording = app
        .post(&format!("/api/v1/calls/{theirs_id}/recordings"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .body("audio/wav", wav_bytes(400))
        .send()
        .await;
    let recording = recording.expect(201)["id"].as_str().expect("id").to_owned();
    app.put(&format!("/api/v1/recordings/{recording}/transcript"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "segments": [{ "start_ms": 0, "end_ms": 300, "text": "bravo secrets" }] }))
        .send()
        .await
        .expect(200);

    let get = |token: &str, path: String| {
        app.get(&path).token(token).header("x-workspace-id", &ws).send()
    };
    let count = |body: &Value| body["data"].as_array().map(Vec::len);
    let stats_path = "/api/v1/calls/stats?period=custom&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&group_by=user".to_owned();

    // By default agents see every call.
    assert_eq!(count(get(&alice, "/api/v1/calls".to_owned()).await.expect(200)), Some(3));
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "agent_call_visibility": "own" }))
        .send()
        .await
        .expect(200);

    let listed = get(&alice, "/api/v1/calls".to_owned()).await;
    assert_eq!(listed.expect(200)["data"][0]["id"], mine["id"]);
    assert_eq!(count(&listed.body), Some(1));
    get(&alice, format!("/api/v1/calls?user_id={bob_id}")).await.expect_error(403, "forbidden");
    assert_eq!(count(get(&alice, "/api/v1/calls?q=bravo".to_owned()).await.expect(200)), Some(0));
    get(&alice, format!("/api/v1/calls/{theirs_id}")).await.expect_error(404, "call_not_found");
    let export = get(&alice, "/api/v1/calls/export?format=ndjson".to_owned()).await;
    assert_eq!(export.text.lines().count(), 1, "{}", export.text);
    assert!(!export.text.contains(&theirs_id));
    let stats = get(&alice, stats_path.clone()).await;
    let stats = stats.expect(200);
    assert_eq!(stats["totals"]["calls"], 1, "{stats}");
    assert_eq!(stats["groups"].as_array().map(Vec::len), Some(1), "{stats}");
    let daily = get(&alice, stats_path.replace("/stats?", "/stats/daily?")).await;
    let days = daily.expect(200)["days"].as_array().expect("days").clone();
    assert_eq!(days.iter().map(|d| d["calls"].as_i64().unwrap_or(0)).sum::<i64>(), 1);
    assert_eq!(count(get(&alice, "/api/v1/recordings".to_owned()).await.expect(200)), Some(0));
    for path in [
        format!("/api/v1/recordings/{recording}"),
        format!("/api/v1/recordings/{recording}/transcript"),
        format!("/api/v1/recordings/{recording}/media"),
    ] {
        get(&alice, path).await.expect_error(404, "recording_not_found");
    }
    assert_eq!(count(get(&alice, "/api/v1/search?q=bravo".to_owned()).await.expect(200)), Some(0));

    // Replaying a colleague's exact payload does not hand back their call.
    let payload = json!({ "direction": "inbound", "source": "sip", "external_id": "bob-1@pbx" });
    let post = |token: &str| {
        app.post("/api/v1/calls").token(token).header("x-workspace-id", &ws).json(&payload).send()
    };
    post(&bob).await.expect(201);
    post(&bob).await.expect(200);
    post(&alice).await.expect_error(409, "call_conflict");

    // Owners and admins still see everything.
    assert_eq!(count(get(&token, "/api/v1/calls".to_owned()).await.expect(200)), Some(4));
    assert_eq!(get(&token, stats_path).await.expect(200)["totals"]["calls"], 3);
    assert_eq!(count(get(&token, "/api/v1/search?q=bravo".to_owned()).await.expect(200)), Some(1));
}
