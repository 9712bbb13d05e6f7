//! Streaming: entity tags, byte ranges as audio elements ask for them, downloads, and
//! share links that work without logging in until they expire.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde_json::json;

use super::setup;
use crate::helpers::{TestApp, both_databases, wav_bytes};

both_databases!(
    media_streams_whole_and_in_ranges,
    share_links_expire_and_cannot_be_forged,
    share_links_are_records_tied_to_their_creator,
);

async fn media_streams_whole_and_in_ranges(app: TestApp) {
    let setup = setup(&app).await;
    let wav = wav_bytes(2000);
    let size = wav.len();
    let recording = setup.uploaded(&app, wav.clone()).await;
    let media = recording["media_url"].as_str().expect("media url").to_owned();
    let etag = format!("\"{}\"", recording["sha256"].as_str().expect("sha"));
    let get = |range: Option<&str>| {
        let mut call = setup.get(&app, &media);
        if let Some(range) = range {
            call = call.header("range", range);
        }
        call
    };

    let (status, headers, body) = get(None).send_bytes().await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(body, wav);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("content-type").as_deref(), Some("audio/wav"));
    assert_eq!(header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(header("etag"), Some(etag.clone()));
    assert_eq!(header("content-length"), Some(size.to_string()));
    assert!(header("content-disposition").is_some_and(|d| d.starts_with("inline")));

    let ranges = [
        ("bytes=0-99", 0..100),
        ("bytes=1000-", 1000..size),
        ("bytes=-500", size - 500..size),
        ("bytes=10-999999", 10..size),
    ];
    for (range, expected) in ranges {
        let (status, headers, body) = get(Some(range)).send_bytes().await;
        assert_eq!(status.as_u16(), 206, "{range}");
        assert_eq!(body, wav[expected.clone()], "{range}");
        let content_range = headers.get("content-range").and_then(|v| v.to_str().ok());
        let want = format!("bytes {}-{}/{size}", expected.start, expected.end - 1);
        assert_eq!(content_range, Some(want.as_str()), "{range}");
    }
    // Seeking back and forth, as a player does, on one connection.
    for start in [size / 2, 44, size - 10, 0] {
        let (status, _, body) = get(Some(&format!("bytes={start}-"))).send_bytes().await;
        assert_eq!((status.as_u16(), body.as_slice()), (206, &wav[start..]));
    }

    let reply = get(Some(&format!("bytes={size}-"))).send().await;
    reply.expect_error(416, "range_not_satisfiable");
    assert_eq!(reply.header("content-range"), Some(format!("bytes */{size}").as_str()));
    let (status, _, body) = get(Some("bytes=5-2")).send_bytes().await;
    assert_eq!((status.as_u16(), body.len()), (200, size), "an invalid range is ignored");

    // If-Range: the range only while the representation is the one the client had.
    let (status, _, body) = get(Some("bytes=0-9")).header("if-range", &etag).send_bytes().await;
    assert_eq!((status.as_u16(), body.len()), (206, 10));
    let (status, _, body) =
        get(Some("bytes=0-9")).header("if-range", "\"stale\"").send_bytes().await;
    assert_eq!((status.as_u16(), body.len()), (200, size));
    let (status, _, body) = get(None).header("if-none-match", &etag).send_bytes().await;
    assert_eq!((status.as_u16(), body.len()), (304, 0));

    let (status, headers, _) = setup.get(&app, &format!("{media}?download=1")).send_bytes().await;
    assert_eq!(status.as_u16(), 200);
    let id = recording["id"].as_str().expect("id");
    let disposition = headers.get("content-disposition").and_then(|v| v.to_str().ok());
    assert_eq!(disposition, Some(format!("attachment; filename=\"recording-{id}.wav\"").as_str()));
    setup
        .get(&app, &format!("{media}?download=maybe"))
        .send()
        .await
        .expect_error(400, "invalid_query");

    // Without a login there is nothing to see.
    app.get(&media).send().await.expect_error(401, "unauthenticated");
}

async fn share_links_expire_and_cannot_be_forged(app: TestApp) {
    let setup = setup(&app).await;
    let wav = wav_bytes(1000);
    let recording = setup.uploaded(&app, wav.clone()).await;
    let id = recording["id"].as_str().expect("id").to_owned();
    let share = app
        .post(&format!("/api/v1/recordings/{id}/share"))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .json(&json!({ "expires_in_seconds": 600 }))
        .send()
        .await;
    let share = share.expect(201).clone();
    let url = share["url"].as_str().expect("url").to_owned();
    assert!(share["expires_at"].is_string());

    // Anyone with the link: no token, ranges work.
    let (status, _, body) = app.get(&url).header("range", "bytes=0-43").send_bytes().await;
    assert_eq!((status.as_u16(), body.as_slice()), (206, &wav[..44]));

    let tampered = url.replace("signature=", "signature=A");
    app.get(&tampered).send().await.expect_error(403, "invalid_link");
    let other_recording = setup.uploaded(&app, wav_bytes(500)).await;
    let moved = url.replace(&id, other_recording["id"].as_str().expect("id"));
    app.get(&moved).send().await.expect_error(403, "invalid_link");
    app.get(&format!("/api/v1/recordings/{id}/media?signature=x"))
        .send()
        .await
        .expect_error(403, "invalid_link");

    // A genuine link past its expiry (stored and signed here as the server would).
    let key = app.store.server_key("share_links", b"unused").await.expect("key");
    let me = setup.get(&app, "/api/v1/users/me").send().await;
    let owner: callbase_domain::UserId =
        me.expect(200)["user"]["id"].as_str().expect("id").parse().expect("id");
    let link = callbase_store::ShareLink {
        id: callbase_domain::ShareLinkId::new(),
        workspace_id: setup.workspace.parse().expect("id"),
        recording_id: id.parse().expect("id"),
        created_by: owner,
        created_at: jiff::Timestamp::now(),
        expires_at: jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1),
        revoked_at: None,
    };
    let audit = callbase_store::AuditEntry::by_system(None, "recording.share", id.clone(), "test");
    app.store.create_share_link(&link, &audit).await.expect("stored");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("recording-share\n{}\n{id}", link.id).as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let expired = format!("/api/v1/recordings/{id}/media?link={}&signature={signature}", link.id);
    app.get(&expired).send().await.expect_error(403, "link_expired");

    let reply = app
        .post(&format!("/api/v1/recordings/{id}/share"))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .json(&json!({ "expires_in_seconds": 10 }))
        .send()
        .await;
    reply.expect_error(422, "validation_failed");
}

/// Each link is a record: listed, revocable at once, audited, and dead when its creator can
/// no longer share (suspended, or no longer a writer of the workspace).
async fn share_links_are_records_tied_to_their_creator(app: TestApp) {
    let setup = setup(&app).await;
    let (agent_id, agent) =
        app.member(&setup.token, &setup.workspace, "sharer@rec.example", "agent").await;
    app.patch(&format!("/api/v1/calls/{}", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .json(&json!({ "user_id": agent_id }))
        .send()
        .await
        .expect(200);
    let recording = setup.uploaded(&app, wav_bytes(500)).await;
    let id = recording["id"].as_str().expect("id").to_owned();
    let share = |token: &str| {
        app.post(&format!("/api/v1/recordings/{id}/share"))
            .token(token)
            .header("x-workspace-id", &setup.workspace)
            .send()
    };
    let first = share(&setup.token).await.expect(201).clone();
    let by_agent = share(&agent).await.expect(201).clone();
    let url = |link: &serde_json::Value| link["url"].as_str().expect("url").to_owned();
    let listed = setup.get(&app, &format!("/api/v1/recordings/{id}/shares")).send().await;
    let listed = listed.expect(200)["data"].as_array().expect("links").clone();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|link| link.get("url").is_none()), "the list shows no URLs");

    // Revoked: at once.
    app.delete(&format!("/api/v1/recordings/{id}/shares/{}", first["id"].as_str().expect("id")))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .send()
        .await
        .expect(200);
    app.get(&url(&first)).send().await.expect_error(403, "invalid_link");
    app.get(&url(&by_agent)).send().await.expect(200);

    // Its creator suspended, then back: the link follows.
    let status = |status: &str| {
        app.post(&format!("/api/v1/users/{agent_id}/status"))
            .token(&app.admin)
            .json(&json!({ "status": status }))
            .send()
    };
    status("suspended").await.expect(200);
    app.get(&url(&by_agent)).send().await.expect_error(403, "invalid_link");
    status("active").await.expect(200);
    app.get(&url(&by_agent)).send().await.expect(200);
    // Its creator made a viewer, then removed: dead.
    let member = format!("/api/v1/workspaces/{}/members/{agent_id}", setup.workspace);
    app.patch(&member)
        .token(&setup.token)
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .expect(200);
    app.get(&url(&by_agent)).send().await.expect_error(403, "invalid_link");
    app.delete(&member).token(&setup.token).send().await;
    app.get(&url(&by_agent)).send().await.expect_error(403, "invalid_link");

    let audit = app.get("/api/v1/audit?action=recording.share").token(&setup.token);
    let audit = audit.header("x-workspace-id", &setup.workspace).send().await;
    assert_eq!(audit.expect(200)["data"].as_array().map(Vec::len), Some(2), "each link audited");
}
