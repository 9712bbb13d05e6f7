//! Contract cases for recordings and transcripts.

use callbase_domain::recording::{
    MediaFacts, Recording, RecordingStatus, Transcript, TranscriptSegment,
};
use callbase_domain::{RecordingId, now};
use callbase_store::{
    CallFilter, CallPatch, PageRequest, RecordingChange, RecordingFilter, Store, WorkspacePatch,
};

use super::calls::{ids, logged, sample_call};
use super::{audit, new_workspace};

fn facts(duration_ms: i64, key: &str) -> MediaFacts {
    MediaFacts {
        format: "wav".into(),
        codec: "pcm_s16le".into(),
        duration_ms,
        sample_count: Some(duration_ms * 8),
        sample_rate: 8000,
        channels: 1,
        bitrate: 128_000,
        size_bytes: duration_ms * 16,
        sha256: "ab".repeat(32),
        storage_key: key.into(),
    }
}

fn recording(call: &callbase_domain::call::Call, media: Option<MediaFacts>) -> Recording {
    let at = now();
    Recording {
        id: RecordingId::new(),
        workspace_id: call.workspace_id,
        call_id: call.id,
        uploaded_by: None,
        status: if media.is_some() {
            RecordingStatus::Completed
        } else {
            RecordingStatus::Recording
        },
        media,
        external_url: None,
        failure: None,
        notes: None,
        started_at: Some(at),
        ended_at: None,
        has_transcript: false,
        created_at: at,
        updated_at: at,
    }
}

/// A stored recording of `call`, for other modules' cases.
pub(crate) async fn stored_recording(
    store: &dyn Store,
    call: &callbase_domain::call::Call,
) -> Recording {
    create(store, &recording(call, Some(facts(1_000, &format!("2026/01/01/{}.wav", call.id)))))
        .await
}

async fn create(store: &dyn Store, recording: &Recording) -> Recording {
    let entry = audit(Some(recording.workspace_id), "recording.create", recording.id);
    store.create_recording(recording, &entry).await.expect("create").expect("call exists")
}

pub(crate) async fn recordings_follow_their_call(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    // Ringing, never answered: no talk time, so the recording gives it a length.
    let call = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let first = create(store, &recording(&call, Some(facts(61_400, "2026/01/01/a.wav")))).await;
    assert_eq!(first.media, Some(facts(61_400, "2026/01/01/a.wav")));
    let after = store.call(workspace, call.id).await.expect("read").expect("call");
    assert!(after.has_recording);
    assert_eq!(after.recorded_seconds, Some(61));
    assert_eq!(after.duration_seconds(), 61);

    // A second, longer one and one still recording elsewhere.
    let second = create(store, &recording(&call, Some(facts(90_000, "2026/01/01/b.wav")))).await;
    let pending = create(store, &recording(&call, None)).await;
    assert_eq!(pending.status, RecordingStatus::Recording);
    let after = store.call(workspace, call.id).await.expect("read").expect("call");
    assert_eq!(after.recorded_seconds, Some(90));
    let long = CallFilter { min_duration: Some(80), ..Default::default() };
    assert_eq!(ids(store, workspace, &long).await, vec![call.id], "duration filters see it");

    // Stopping and storing the pending one.
    let mut stored = RecordingChange::at(now());
    stored.status = Some(RecordingStatus::Completed);
    stored.media = Some(facts(5_000, "2026/01/01/c.wav"));
    stored.ended_at = Some(now());
    let done = store
        .update_recording(workspace, pending.id, &stored, None)
        .await
        .expect("update")
        .expect("found");
    assert_eq!(done.status, RecordingStatus::Completed);
    assert!(done.ended_at.is_some());

    // Deleting recordings shortens the call back and finally unmarks it.
    for id in [second.id, first.id] {
        let entry = audit(Some(workspace), "recording.delete", id);
        assert!(store.delete_recording(workspace, id, &entry).await.expect("delete").is_some());
    }
    let after = store.call(workspace, call.id).await.expect("read").expect("call");
    assert_eq!((after.has_recording, after.recorded_seconds), (true, Some(5)));
    let entry = audit(Some(workspace), "recording.delete", done.id);
    store.delete_recording(workspace, done.id, &entry).await.expect("delete");
    let after = store.call(workspace, call.id).await.expect("read").expect("call");
    assert_eq!(
        (after.has_recording, after.recorded_seconds, after.duration_seconds()),
        (false, None, 0)
    );

    // A call edit keeps what the recordings gave it.
    let again = create(store, &recording(&call, Some(facts(12_000, "2026/01/01/d.wav")))).await;
    let notes = CallPatch { notes: Some(Some("called back".into())), ..Default::default() };
    let edited = store
        .update_call(workspace, call.id, &notes, &audit(Some(workspace), "call.update", call.id))
        .await
        .expect("patch")
        .expect("call");
    assert_eq!((edited.has_recording, edited.recorded_seconds), (true, Some(12)));
    assert_eq!(again.call_id, call.id);
}

pub(crate) async fn recordings_are_listed_by_filter_and_workspace(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let mut with_lead = sample_call(workspace, 1_750_000_000);
    with_lead.lead_id = Some(uuid::Uuid::now_v7());
    let with_lead = logged(store, &with_lead).await;
    let plain = logged(store, &sample_call(workspace, 1_750_000_100)).await;
    let short = create(store, &recording(&plain, Some(facts(2_000, "2026/01/02/a.wav")))).await;
    let mut mp3 = facts(30_000, "2026/01/02/b.mp3");
    mp3.format = "mp3".into();
    let long = create(store, &recording(&with_lead, Some(mp3))).await;
    let pending = create(store, &recording(&plain, None)).await;

    let list = |filter: RecordingFilter| async move {
        let page = store.list_recordings(workspace, &filter, &PageRequest::first(50)).await;
        page.expect("list").items.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(list(RecordingFilter::default()).await, vec![pending.id, long.id, short.id]);
    let cases = [
        (
            RecordingFilter { call_id: Some(plain.id), ..Default::default() },
            vec![pending.id, short.id],
        ),
        (RecordingFilter { lead_id: with_lead.lead_id, ..Default::default() }, vec![long.id]),
        (RecordingFilter { format: Some("mp3".into()), ..Default::default() }, vec![long.id]),
        (RecordingFilter { min_duration_ms: Some(10_000), ..Default::default() }, vec![long.id]),
        (
            RecordingFilter { status: Some(RecordingStatus::Recording), ..Default::default() },
            vec![pending.id],
        ),
        (RecordingFilter { to: Some(short.created_at), ..Default::default() }, vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(list(filter.clone()).await, expected, "{filter:?}");
    }

    let elsewhere = new_workspace(store, None).await.id;
    assert!(store.recording(elsewhere, short.id).await.expect("read").is_none());
    let none = store
        .list_recordings(elsewhere, &RecordingFilter::default(), &PageRequest::first(50))
        .await
        .expect("list");
    assert!(none.items.is_empty());
    let mut foreign = recording(&plain, None);
    foreign.workspace_id = elsewhere;
    let entry = audit(Some(elsewhere), "recording.create", foreign.id);
    assert_eq!(
        store.create_recording(&foreign, &entry).await.expect("create"),
        None,
        "not its call"
    );
    assert!(store.delete_recording(elsewhere, short.id, &entry).await.expect("delete").is_none());

    // Retention: the policy is listed, and old recordings are found oldest first.
    let keep = WorkspacePatch { recording_retention_days: Some(Some(30)), ..Default::default() };
    let entry = audit(Some(workspace), "workspace.update", workspace);
    store.update_workspace(workspace, &keep, &entry).await.expect("update").expect("found");
    assert!(store.retention_policies().await.expect("policies").contains(&(workspace, 30)));
    let old = store
        .recordings_created_before(workspace, now(), 2)
        .await
        .expect("old")
        .into_iter()
        .map(|r| r.id)
        .collect::<Vec<_>>();
    assert_eq!(old, vec![short.id, long.id]);
}

fn segment(start_ms: i64, text: &str) -> TranscriptSegment {
    TranscriptSegment {
        speaker: Some("agent".into()),
        start_ms,
        end_ms: start_ms + 1500,
        text: text.into(),
        confidence: Some(0.9),
    }
}

pub(crate) async fn transcripts_are_replaced_and_searched(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let call = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let other_call = logged(store, &sample_call(workspace, 1_750_000_100)).await;
    let rec = create(store, &recording(&call, Some(facts(10_000, "2026/01/03/a.wav")))).await;
    let at = now();
    let transcript = |segments| Transcript {
        recording_id: rec.id,
        language: Some("en".into()),
        source: "manual".into(),
        segments,
        created_at: at,
        updated_at: at,
    };
    let first =
        transcript(vec![segment(0, "Hello, how can I help"), segment(2000, "about the invoice")]);
    let stored = store.put_transcript(workspace, &first, None).await.expect("put").expect("found");
    assert_eq!(stored.segments, first.segments);
    assert!(store.recording(workspace, rec.id).await.expect("read").expect("rec").has_transcript);

    let hits = store.search_transcripts(workspace, "invoice", 10).await.expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].recording_id, hits[0].call_id), (rec.id, call.id));
    assert_eq!(hits[0].segment.start_ms, 2000);
    assert!(hits[0].snippet.contains("<mark>invoice</mark>"), "{}", hits[0].snippet);
    let q = |text: &str| CallFilter { q: Some(text.into()), ..Default::default() };
    assert_eq!(ids(store, workspace, &q("invoice")).await, vec![call.id], "GET /calls?q= too");

    // Replacing drops the old words from the index.
    let second = transcript(vec![segment(0, "A refund <script> & more")]);
    store.put_transcript(workspace, &second, None).await.expect("put").expect("found");
    assert!(store.search_transcripts(workspace, "invoice", 10).await.expect("search").is_empty());
    assert!(ids(store, workspace, &q("invoice")).await.is_empty());
    let hits = store.search_transcripts(workspace, "refund", 10).await.expect("search");
    assert_eq!(hits[0].snippet, "A <mark>refund</mark> &lt;script&gt; &amp; more");
    assert!(store.search_transcripts(workspace, "\" OR *", 10).await.expect("search").is_empty());
    assert_ne!(other_call.id, call.id);

    let elsewhere = new_workspace(store, None).await.id;
    assert!(store.search_transcripts(elsewhere, "refund", 10).await.expect("search").is_empty());
    assert!(store.transcript(elsewhere, rec.id).await.expect("read").is_none());
    assert!(store.put_transcript(elsewhere, &second, None).await.expect("put").is_none());

    // Deleting the recording deletes its transcript and its words.
    let entry = audit(Some(workspace), "recording.delete", rec.id);
    store.delete_recording(workspace, rec.id, &entry).await.expect("delete");
    assert!(store.search_transcripts(workspace, "refund", 10).await.expect("search").is_empty());
    assert!(ids(store, workspace, &q("refund")).await.is_empty());
}

pub(crate) async fn server_keys_are_made_once(store: &dyn Store) {
    let first = store.server_key("links", b"first").await.expect("key");
    let second = store.server_key("links", b"second").await.expect("key");
    assert_eq!((first.as_slice(), second.as_slice()), (&b"first"[..], &b"first"[..]));
}
