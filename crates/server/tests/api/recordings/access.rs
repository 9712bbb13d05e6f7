//! Who may do what with recordings, deletion of the bytes, retention, and object storage.

use callbase_server::AppState;
use callbase_server::http::recordings::retention;
use serde_json::json;

use super::{files_under, setup};
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(
    roles_decide_who_uploads_and_deletes,
    retention_deletes_old_recordings_and_audits_it,
    recordings_live_in_s3_when_configured,
    deleting_a_call_or_workspace_removes_its_bytes,
);

async fn roles_decide_who_uploads_and_deletes(app: TestApp) {
    let setup = setup(&app).await;
    let (_, viewer) =
        app.member(&setup.token, &setup.workspace, "viewer@rec.example", "viewer").await;
    let (agent_id, agent) =
        app.member(&setup.token, &setup.workspace, "agent@rec.example", "agent").await;
    let (_, other_agent) =
        app.member(&setup.token, &setup.workspace, "agent2@rec.example", "agent").await;
    // The call is the first agent's: agents change only the calls assigned to them.
    app.patch(&format!("/api/v1/calls/{}", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .json(&json!({ "user_id": agent_id }))
        .send()
        .await
        .expect(200);
    let upload = |token: String| {
        app.post(&format!("/api/v1/calls/{}/recordings", setup.call))
            .token(&token)
            .header("x-workspace-id", &setup.workspace)
            .body("audio/wav", wav_bytes(500))
            .send()
    };
    upload(viewer.clone()).await.expect_error(403, "forbidden");
    upload(other_agent.clone()).await.expect_error(403, "forbidden");
    let mine = upload(agent.clone()).await.expect(201).clone();
    let path = format!("/api/v1/recordings/{}", mine["id"].as_str().expect("id"));
    let in_ws = |call: crate::helpers::Call| call.header("x-workspace-id", &setup.workspace);

    // Everyone in the workspace can listen; only the uploader and admins delete.
    let (status, _, _) = in_ws(app.get(&format!("{path}/media"))).token(&viewer).send_bytes().await;
    assert_eq!(status.as_u16(), 200);
    in_ws(app.delete(&path)).token(&other_agent).send().await.expect_error(403, "forbidden");
    in_ws(app.delete(&path)).token(&viewer).send().await.expect_error(403, "forbidden");
    let patch = |token: &str| {
        in_ws(app.patch(&path)).token(token).json(&json!({ "notes": "heard it" })).send()
    };
    patch(&other_agent).await.expect_error(403, "forbidden");
    assert_eq!(patch(&agent).await.expect(200)["notes"], "heard it");
    in_ws(app.delete(&path)).token(&agent).send().await.expect(204);
    in_ws(app.get(&path)).token(&agent).send().await.expect_error(404, "recording_not_found");

    let theirs = upload(agent.clone()).await.expect(201).clone();
    let path = format!("/api/v1/recordings/{}", theirs["id"].as_str().expect("id"));
    assert_eq!(files_under(&app.data_dir.join("recordings")).len(), 1);
    in_ws(app.delete(&path)).token(&setup.token).send().await.expect(204);
    assert!(files_under(&app.data_dir.join("recordings")).is_empty(), "the bytes went with it");
    let call = in_ws(app.get(&format!("/api/v1/calls/{}", setup.call))).token(&agent).send().await;
    assert_eq!(call.expect(200)["has_recording"], false);

    let audit =
        in_ws(app.get("/api/v1/audit?action=recording.delete")).token(&setup.token).send().await;
    assert_eq!(audit.expect(200)["data"].as_array().map(Vec::len), Some(2));
}

async fn deleting_a_call_or_workspace_removes_its_bytes(app: TestApp) {
    let setup = setup(&app).await;
    setup.uploaded(&app, wav_bytes(300)).await;
    setup.uploaded(&app, wav_bytes(400)).await;
    let stored = || files_under(&app.data_dir.join("recordings")).len();
    assert_eq!(stored(), 2);
    app.delete(&format!("/api/v1/calls/{}", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .send()
        .await
        .expect(204);
    assert_eq!(stored(), 0, "the call's recordings went with it");

    let setup = super::setup_in(&app, &setup.token, &setup.workspace).await;
    setup.uploaded(&app, wav_bytes(300)).await;
    assert_eq!(stored(), 1);
    app.delete(&format!("/api/v1/workspaces/{}", setup.workspace))
        .token(&setup.token)
        .send()
        .await
        .expect(204);
    assert_eq!(stored(), 0, "the workspace's recordings went with it");
}

async fn retention_deletes_old_recordings_and_audits_it(app: TestApp) {
    let setup = setup(&app).await;
    let recording = setup.uploaded(&app, wav_bytes(500)).await;
    let state = AppState::new(app.store.clone(), app.settings.clone()).expect("state");
    let in_two_days = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);

    let report = retention::run_at(&state, in_two_days).await.expect("pass");
    assert_eq!(report.deleted, 0, "no policy, nothing deleted");

    let reply = app
        .patch(&format!("/api/v1/workspaces/{}", setup.workspace))
        .token(&setup.token)
        .json(&json!({ "recording_retention_days": 0 }))
        .send()
        .await;
    reply.expect_error(422, "validation_failed");
    let reply = app
        .patch(&format!("/api/v1/workspaces/{}", setup.workspace))
        .token(&setup.token)
        .json(&json!({ "recording_retention_days": 1 }))
        .send()
        .await;
    assert_eq!(reply.expect(200)["recording_retention_days"], 1);

    let report = retention::run_once(&state).await.expect("pass");
    assert_eq!(report.deleted, 0, "a fresh recording is kept");
    let report = retention::run_at(&state, in_two_days).await.expect("pass");
    assert_eq!(report.deleted, 1);
    let path = format!("/api/v1/recordings/{}", recording["id"].as_str().expect("id"));
    setup.get(&app, &path).send().await.expect_error(404, "recording_not_found");
    assert!(files_under(&app.data_dir.join("recordings")).is_empty());
    let audit = setup.get(&app, "/api/v1/audit?action=recording.retention_delete").send().await;
    let entries = audit.expect(200)["data"].clone();
    assert_eq!(entries[0]["target_id"], recording["id"]);
    assert_eq!(entries[0]["details"]["retention_days"], 1);
}

/// The S3 server `scripts/test` starts (moto), at `CALLBASE_TEST_S3_ENDPOINT`.
fn s3_endpoint() -> String {
    std::env::var("CALLBASE_TEST_S3_ENDPOINT").expect(
        "CALLBASE_TEST_S3_ENDPOINT: run the tests with scripts/test, which starts moto's S3 server",
    )
}

/// Keys moto holds in `bucket` (its state API lists every stored object).
async fn keys_in(endpoint: &str, bucket: &str) -> Vec<String> {
    let state: serde_json::Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .expect("moto state")
        .json()
        .await
        .expect("json");
    state["s3"]["FakeKey"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|key| key["bucket_name"] == bucket && key["disposed"] != true)
        .filter_map(|key| key["name"].as_str().map(str::to_owned))
        .collect()
}

async fn recordings_live_in_s3_when_configured(app: TestApp) {
    let endpoint = s3_endpoint();
    let bucket = format!("callbase-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await;
    assert!(created.expect("moto answers").status().is_success(), "bucket created");
    let config = callbase_media::storage::S3Config {
        bucket: bucket.clone(),
        endpoint: Some(endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        prefix: "recordings".into(),
    };
    let storage = callbase_media::storage::S3Storage::new(&config).expect("s3 client");
    let app = spawn_app_with(app.backend, |s| {
        s.recording_storage = callbase_server::RecordingStorage::S3(config.clone());
        s.recording_max_bytes = 32 * 1024;
    })
    .await;
    let setup = setup(&app).await;

    // A refused file never reaches the bucket: not audio, or too large.
    setup.upload(&app, "audio/wav", b"not audio at all".repeat(10)).await.expect(415);
    setup.upload(&app, "audio/wav", wav_bytes(3000)).await.expect(413);
    assert!(keys_in(&endpoint, &bucket).await.is_empty());

    let wav = wav_bytes(1500);
    let recording = setup.uploaded(&app, wav.clone()).await;
    let media = recording["media_url"].as_str().expect("media");
    let (status, _, body) = setup.get(&app, media).header("range", "bytes=100-").send_bytes().await;
    assert_eq!((status.as_u16(), body.as_slice()), (206, &wav[100..]));
    // The key integration secrets are sealed with is the only file (made on SQLite).
    let local: Vec<_> = files_under(&app.data_dir)
        .into_iter()
        .filter(|path| !path.ends_with(callbase_app::secrets::KEY_FILE))
        .collect();
    assert!(local.is_empty(), "no recording bytes on the local disk: {local:?}");

    // The object is in the bucket under the prefix and a dated key, and goes on delete.
    let id = recording["id"].as_str().expect("id");
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let key = format!("{}/{id}.wav", today.strftime("%Y/%m/%d"));
    assert_eq!(keys_in(&endpoint, &bucket).await, vec![format!("recordings/{key}")]);
    let key = callbase_media::storage::StorageKey::parse(&key).expect("key");
    use callbase_media::storage::BlobStorage;
    assert_eq!(storage.size(&key).await.expect("head"), Some(wav.len() as u64));
    app.delete(&format!("/api/v1/recordings/{id}"))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .send()
        .await
        .expect(204);
    assert_eq!(storage.size(&key).await.expect("head"), None);
}
