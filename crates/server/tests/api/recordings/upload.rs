//! Uploading: raw and multipart, facts from the bytes, and refusals that store nothing.

use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{files_under, mp3_two_seconds, setup};
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(
    raw_uploads_answer_with_the_media_facts,
    forms_are_read_from_their_bytes_not_their_names,
    bad_files_are_refused_and_nothing_is_kept,
    slow_uploads_finish_and_stalled_ones_are_abandoned,
    a_form_stalled_in_any_field_is_abandoned,
    uploads_in_flight_are_capped_per_token,
    every_format_uploads_with_its_facts,
);

async fn raw_uploads_answer_with_the_media_facts(app: TestApp) {
    let setup = setup(&app).await;
    let wav = wav_bytes(3000);
    let body = setup.uploaded(&app, wav.clone()).await;
    assert_eq!(body["status"], "completed");
    assert_eq!((body["format"].as_str(), body["codec"].as_str()), (Some("wav"), Some("pcm_s16le")));
    assert_eq!(
        (body["duration_ms"].as_i64(), body["sample_count"].as_i64()),
        (Some(3000), Some(24_000))
    );
    assert_eq!((body["sample_rate"].as_i64(), body["channels"].as_i64()), (Some(8000), Some(1)));
    assert_eq!(body["bitrate"], 128_000);
    assert_eq!(body["size_bytes"].as_u64(), Some(wav.len() as u64));
    let sha: String = Sha256::digest(&wav).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(body["sha256"], sha);
    assert_eq!(body["call_id"], setup.call.as_str());
    for field in ["id", "created_at", "media_url"] {
        assert!(body[field].is_string(), "{field}: {body}");
    }

    // The unanswered call had no length: the recording gives it one.
    let call = setup.get(&app, &format!("/api/v1/calls/{}", setup.call)).send().await;
    let call = call.expect(200);
    assert_eq!(
        (call["has_recording"].as_bool(), call["duration_seconds"].as_i64()),
        (Some(true), Some(3))
    );
    assert_eq!(call["talk_seconds"], serde_json::Value::Null);

    let listed =
        setup.get(&app, &format!("/api/v1/recordings?call_id={}", setup.call)).send().await;
    assert_eq!(listed.expect(200)["data"][0]["id"], body["id"]);
    let one = setup.get(&app, &format!("/api/v1/recordings/{}", body["id"].as_str().expect("id")));
    assert_eq!(one.send().await.expect(200)["sha256"], sha);
}

async fn forms_are_read_from_their_bytes_not_their_names(app: TestApp) {
    let setup = setup(&app).await;
    let mp3 = mp3_two_seconds();
    // The name and type lie, and the name tries to climb out of the storage directory.
    let file = reqwest::multipart::Part::bytes(mp3.clone())
        .file_name("../../../etc/cron.d/evil.wav")
        .mime_str("text/plain")
        .expect("mime");
    let form = reqwest::multipart::Form::new().text("notes", "first try").part("file", file);
    let reply = app
        .post(&format!("/api/v1/calls/{}/recordings", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .multipart(form)
        .send()
        .await;
    let body = reply.expect(201);
    assert_eq!((body["format"].as_str(), body["codec"].as_str()), (Some("mp3"), Some("mp3")));
    assert_eq!(body["notes"], "first try");
    let duration = body["duration_ms"].as_i64().expect("duration");
    assert!((duration - 2000).abs() <= 60, "two seconds of MP3, got {duration} ms");

    // The only file is at the generated key; nothing is named after what the client sent.
    let id = body["id"].as_str().expect("id");
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let expected = format!("{}/{id}.mp3", today.strftime("%Y/%m/%d"));
    assert_eq!(files_under(&app.data_dir.join("recordings")), vec![expected]);
    assert!(files_under(&app.data_dir.join("tmp")).is_empty(), "no upload left in progress");
    assert!(!files_under(&app.data_dir).iter().any(|f| f.contains("evil") || f.contains("etc")));

    let no_file = reqwest::multipart::Form::new().text("notes", "only notes");
    let reply = app
        .post(&format!("/api/v1/calls/{}/recordings", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .multipart(no_file)
        .send()
        .await;
    reply.expect_error(422, "validation_failed");
}

async fn bad_files_are_refused_and_nothing_is_kept(app: TestApp) {
    let limit = 64 * 1024;
    let app = spawn_app_with(app.backend, |s| s.recording_max_bytes = limit).await;
    let setup = setup(&app).await;
    let mut truncated = wav_bytes(2000);
    truncated.truncate(2000);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty", Vec::new(), 422, "invalid_media"),
        (
            "text named .mp3",
            b"Meeting notes: call back Anna on Monday.\n".repeat(20),
            415,
            "unsupported_media_type",
        ),
        ("png", png, 415, "unsupported_media_type"),
        ("truncated wav", truncated, 422, "invalid_media"),
        ("too large", wav_bytes(5000), 413, "payload_too_large"),
    ];
    for (name, bytes, status, code) in cases {
        let reply = setup.upload(&app, "audio/mpeg", bytes).await;
        assert_eq!(reply.status.as_u16(), status, "{name}: {}", reply.text);
        reply.expect_error(status, code);
        assert!(
            reply.body["error"]["message"].as_str().is_some_and(|m| m.len() > 10),
            "{name}: a reason"
        );
    }
    // Past the limit without a Content-Length: counted while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![0_u8; 8192])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let reply = app
        .post(&format!("/api/v1/calls/{}/recordings", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .body("application/octet-stream", body)
        .send()
        .await;
    reply.expect_error(413, "payload_too_large");

    assert!(files_under(&app.data_dir.join("recordings")).is_empty(), "nothing stored");
    assert!(files_under(&app.data_dir.join("tmp")).is_empty(), "no upload left behind");
    let listed = setup.get(&app, "/api/v1/recordings").send().await;
    assert_eq!(listed.expect(200)["data"], json!([]));
    let call = setup.get(&app, &format!("/api/v1/calls/{}", setup.call)).send().await;
    assert_eq!(call.expect(200)["has_recording"], false);

    // Uploads to a call that is not there are refused before the body is read.
    let reply = app
        .post(&format!("/api/v1/calls/{}/recordings", uuid::Uuid::now_v7()))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .body("audio/wav", wav_bytes(100))
        .send()
        .await;
    reply.expect_error(404, "call_not_found");
}

/// A slow client is fine however long the whole upload takes; a stalled one is let go.
async fn slow_uploads_finish_and_stalled_ones_are_abandoned(app: TestApp) {
    let app =
        spawn_app_with(app.backend, |s| s.request_timeout = std::time::Duration::from_secs(1))
            .await;
    let setup = setup(&app).await;
    let wav = wav_bytes(3000);
    let paced = |pause_ms: u64| {
        let pieces: Vec<Vec<u8>> = wav.chunks(wav.len() / 6 + 1).map(<[u8]>::to_vec).collect();
        futures_util::stream::iter(pieces).then(move |piece| async move {
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
            Ok::<_, std::io::Error>(piece)
        })
    };
    let send = |body: reqwest::Body| {
        app.post(&format!("/api/v1/calls/{}/recordings", setup.call))
            .token(&setup.token)
            .header("x-workspace-id", &setup.workspace)
            .body("audio/wav", body)
            .send()
    };
    // Seven pieces 400 ms apart: 2.8 s in all, past the 1 s request timeout.
    let reply = send(reqwest::Body::wrap_stream(paced(400))).await;
    assert_eq!(reply.expect(201)["duration_ms"], 3000);
    // A 1.5 s silence between pieces.
    let reply = send(reqwest::Body::wrap_stream(paced(1500))).await;
    reply.expect_error(408, "upload_stalled");
    assert_eq!(files_under(&app.data_dir.join("recordings")).len(), 1);
    assert!(files_under(&app.data_dir.join("tmp")).is_empty(), "the partial upload was removed");
}

/// One file of each format, made by ffmpeg, uploaded as a user would: the facts come from the
/// bytes (the media crate's tests hold every variant to ffprobe; this is the path through HTTP).
async fn every_format_uploads_with_its_facts(app: TestApp) {
    let setup = setup(&app).await;
    let tone = "sine=frequency=440:duration=1.5:sample_rate=48000";
    // A video track first (ffmpeg_audio reads the first input with lavfi), then the audio.
    let with_video = ["-i", "testsrc=duration=1.5:size=160x120:rate=10"];
    let cases: Vec<(&str, Vec<&str>, &str, &str, i64)> = vec![
        (
            "ulaw.wav",
            vec!["-i", "sine=duration=1.5:sample_rate=8000", "-c:a", "pcm_mulaw"],
            "wav",
            "pcm_mulaw",
            8000,
        ),
        ("vbr.mp3", vec!["-i", tone, "-c:a", "libmp3lame", "-q:a", "4"], "mp3", "mp3", 48000),
        ("vorbis.ogg", vec!["-i", tone, "-c:a", "libvorbis"], "ogg", "vorbis", 48000),
        ("opus.ogg", vec!["-i", tone, "-c:a", "libopus"], "ogg", "opus", 48000),
        ("lossless.flac", vec!["-i", tone, "-c:a", "flac"], "flac", "flac", 48000),
        ("aac.m4a", vec!["-i", tone, "-c:a", "aac"], "m4a", "aac", 48000),
        (
            "video.mp4",
            [
                &with_video[..],
                &["-f", "lavfi", "-i", tone, "-c:v", "mpeg4", "-c:a", "aac", "-shortest"],
            ]
            .concat(),
            "mp4",
            "aac",
            48000,
        ),
        (
            "video.mov",
            [
                &with_video[..],
                &["-f", "lavfi", "-i", tone, "-c:v", "mpeg4", "-c:a", "aac", "-shortest"],
            ]
            .concat(),
            "mov",
            "aac",
            48000,
        ),
        ("opus.webm", vec!["-i", tone, "-c:a", "libopus"], "webm", "opus", 48000),
    ];
    for (name, args, format, codec, rate) in cases {
        let body = setup.uploaded(&app, super::ffmpeg_audio(name, &args)).await;
        assert_eq!(
            (body["format"].as_str(), body["codec"].as_str()),
            (Some(format), Some(codec)),
            "{name}"
        );
        assert_eq!(body["sample_rate"].as_i64(), Some(rate), "{name}");
        let duration = body["duration_ms"].as_i64().expect("duration");
        assert!((duration - 1500).abs() <= 60, "{name}: {duration} ms");
    }
}

/// A multipart body sent in timed pieces: `(pause before it in ms, bytes)`.
fn paced_body(pieces: Vec<(u64, Vec<u8>)>) -> reqwest::Body {
    reqwest::Body::wrap_stream(futures_util::stream::iter(pieces).then(
        |(pause, bytes)| async move {
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            Ok::<_, std::io::Error>(bytes)
        },
    ))
}

/// The wait for bytes is bounded in every part of a form, not only in the file: a client
/// that stops inside a text field, or between fields, is let go.
async fn a_form_stalled_in_any_field_is_abandoned(app: TestApp) {
    let app =
        spawn_app_with(app.backend, |s| s.request_timeout = std::time::Duration::from_secs(1))
            .await;
    let setup = setup(&app).await;
    let boundary = "callbase-test-boundary";
    let head = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"notes\"\r\n\r\nthe customer "
    );
    let between =
        format!("--{boundary}\r\ncontent-disposition: form-data; name=\"other\"\r\n\r\nx\r\n");
    for pieces in [
        // Stalls inside the notes field.
        vec![(0, head.clone().into_bytes()), (2500, b"never finishes".to_vec())],
        // Stalls between two fields, before the file.
        vec![(0, between.into_bytes()), (2500, head.into_bytes())],
    ] {
        let reply = app
            .post(&format!("/api/v1/calls/{}/recordings", setup.call))
            .token(&setup.token)
            .header("x-workspace-id", &setup.workspace)
            .body(&format!("multipart/form-data; boundary={boundary}"), paced_body(pieces))
            .send()
            .await;
        reply.expect_error(408, "upload_stalled");
    }
    assert!(files_under(&app.data_dir.join("tmp")).is_empty());
}

/// One token cannot hold more uploads open than the cap; the place is given back however an
/// upload ends.
async fn uploads_in_flight_are_capped_per_token(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| s.uploads_per_token = 1).await;
    let setup = setup(&app).await;
    let wav = wav_bytes(2000);
    let slow =
        paced_body(wav.chunks(wav.len() / 4 + 1).map(|piece| (300, piece.to_vec())).collect());
    let first = app
        .post(&format!("/api/v1/calls/{}/recordings", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .body("audio/wav", slow)
        .send();
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        setup.upload(&app, "audio/wav", wav_bytes(500)).await
    };
    let (first, second) = tokio::join!(first, second);
    first.expect(201);
    second.expect_error(429, "too_many_uploads");
    // The first upload gave its place back when it finished.
    setup.upload(&app, "audio/wav", wav_bytes(500)).await.expect(201);
}
