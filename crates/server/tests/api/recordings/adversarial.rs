//! Crafted media that once cost tens of seconds of CPU per upload (issue 13, REL-6): refused
//! with 422 `invalid_media` and a reason, promptly, and nothing is kept.

use serde_json::json;

use super::{files_under, setup};
use crate::helpers::{TestApp, both_databases};

both_databases!(a_webm_hiding_clusters_in_its_tail_is_refused_and_nothing_is_kept);

async fn a_webm_hiding_clusters_in_its_tail_is_refused_and_nothing_is_kept(app: TestApp) {
    let setup = setup(&app).await;
    let reply = setup.upload(&app, "audio/webm", hidden_cluster_webm(1024 * 1024)).await;
    reply.expect_error(422, "invalid_media");
    let reason = reply.body["error"]["details"]["reason"].as_str().expect("a reason");
    assert!(reason.contains("no audio block"), "{reason}");

    assert!(files_under(&app.data_dir.join("recordings")).is_empty(), "nothing stored");
    assert!(files_under(&app.data_dir.join("tmp")).is_empty(), "no upload left behind");
    let listed = setup.get(&app, "/api/v1/recordings").send().await;
    assert_eq!(listed.expect(200)["data"], json!([]));
    let call = setup.get(&app, &format!("/api/v1/calls/{}", setup.call)).send().await;
    assert_eq!(call.expect(200)["has_recording"], false);
}

/// An element with an eight-byte size.
fn element(id: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend(((1u64 << 56) | body.len() as u64).to_be_bytes());
    out.extend(body);
    out
}

/// The crafted WebM of issue 13, about `size` bytes: an Opus track and no Duration, so the
/// length is searched for in the tail; the tail repeats tiny audio-free Clusters of unknown size,
/// each hidden from the one before in a Void element, so that a walk from any of them used to
/// run to the end of the file.
fn hidden_cluster_webm(size: usize) -> Vec<u8> {
    const CLUSTER: [u8; 5] = [0x1F, 0x43, 0xB6, 0x75, 0xFF];
    const TIMECODE_AND_VIDEO_BLOCK: [u8; 9] =
        [0xE7, 0x81, 0x00, 0xA3, 0x84, 0x82, 0x00, 0x00, 0x80];
    let mut b = element(&[0x1A, 0x45, 0xDF, 0xA3], &element(&[0x42, 0x82], b"webm"));
    b.extend([0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    b.extend(element(
        &[0x15, 0x49, 0xA9, 0x66],
        &element(&[0x2A, 0xD7, 0xB1], &[0x0F, 0x42, 0x40]),
    ));
    let mut audio = element(&[0xB5], &48_000f64.to_be_bytes());
    audio.extend(element(&[0x9F], &[1]));
    let mut track = element(&[0xD7], &[1]);
    track.extend(element(&[0x83], &[2]));
    track.extend(element(&[0x86], b"A_OPUS"));
    track.extend(element(&[0xE1], &audio));
    b.extend(element(&[0x16, 0x54, 0xAE, 0x6B], &element(&[0xAE], &track)));
    b.extend(CLUSTER);
    b.extend(TIMECODE_AND_VIDEO_BLOCK);
    while b.len() + 16 <= size {
        b.extend([0xEC, 0x85]);
        b.extend(CLUSTER);
        b.extend(TIMECODE_AND_VIDEO_BLOCK);
    }
    b
}
