//! Recordings of calls and their transcripts (REC): statuses, the facts of stored media, and
//! transcript segments checked once at the edge.

use std::fmt;
use std::str::FromStr;

use crate::{CallId, RecordingId, Timestamp, UserId, WorkspaceId};

/// Where a recording is in its life (REC-3). Uploads go straight to `Completed`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    /// Being recorded elsewhere (a PBX, a provider); no bytes yet.
    Recording,
    /// Recording stopped; bytes are on their way (an external URL, a webhook).
    Processing,
    /// Bytes stored and their facts known.
    Completed,
    /// Recording or fetching failed; `failure` says why.
    Failed,
}

impl RecordingStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for RecordingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordingStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "recording" => Ok(Self::Recording),
            "processing" => Ok(Self::Processing),
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown recording status {other:?}")),
        }
    }
}

/// The facts of stored media, read from its bytes, and where the bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFacts {
    /// `wav`, `mp3`, `ogg`, `flac`, `m4a`, `mp4`, `mov`, `webm`.
    pub format: String,
    /// The codec as ffprobe names it (`pcm_s16le`, `mp3`, `opus`, `aac`, …).
    pub codec: String,
    pub duration_ms: i64,
    /// Samples per channel, where the container states it exactly.
    pub sample_count: Option<i64>,
    pub sample_rate: i32,
    pub channels: i32,
    /// Bits per second.
    pub bitrate: i64,
    pub size_bytes: i64,
    /// Lowercase hex SHA-256 of the bytes; also the media's entity tag.
    pub sha256: String,
    /// Where the storage backend keeps the bytes (`yyyy/mm/dd/<id>.<ext>`).
    pub storage_key: String,
}

impl MediaFacts {
    /// Whole seconds, rounded to the nearest, as call durations are.
    #[must_use]
    pub fn seconds(&self) -> i64 {
        (self.duration_ms.max(0) + 500) / 1000
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub id: RecordingId,
    pub workspace_id: WorkspaceId,
    pub call_id: CallId,
    pub uploaded_by: Option<UserId>,
    pub status: RecordingStatus,
    /// Present once the bytes are stored.
    pub media: Option<MediaFacts>,
    /// Where a recording made elsewhere can be fetched from.
    pub external_url: Option<String>,
    pub failure: Option<String>,
    pub notes: Option<String>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub has_transcript: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One stretch of speech (REC-6).
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptSegment {
    pub speaker: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    /// 0.0 – 1.0, when the speech-to-text system gives one.
    pub confidence: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentError {
    #[error("segment {0}: start_ms must not be negative or after end_ms")]
    Times(usize),
    #[error("segment {0}: text must not be empty")]
    EmptyText(usize),
    #[error("segment {0}: confidence must be between 0 and 1")]
    Confidence(usize),
    #[error("a transcript holds at most {max} segments")]
    TooMany { max: usize },
}

/// A recording's transcript: segments in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub recording_id: RecordingId,
    pub language: Option<String>,
    /// `manual` (sent through the API) or `automatic` (our transcription client).
    pub source: String,
    pub segments: Vec<TranscriptSegment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Transcript {
    pub const MAX_SEGMENTS: usize = 20_000;

    /// Checks every segment and puts them in time order.
    ///
    /// # Errors
    /// Names the first segment (by its position as sent) that is out of range.
    pub fn checked_segments(
        mut segments: Vec<TranscriptSegment>,
    ) -> Result<Vec<TranscriptSegment>, SegmentError> {
        if segments.len() > Self::MAX_SEGMENTS {
            return Err(SegmentError::TooMany { max: Self::MAX_SEGMENTS });
        }
        for (index, segment) in segments.iter_mut().enumerate() {
            if segment.start_ms < 0 || segment.end_ms < segment.start_ms {
                return Err(SegmentError::Times(index));
            }
            segment.text = segment.text.trim().to_owned();
            if segment.text.is_empty() {
                return Err(SegmentError::EmptyText(index));
            }
            if segment.confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
                return Err(SegmentError::Confidence(index));
            }
        }
        segments.sort_by_key(|s| (s.start_ms, s.end_ms));
        Ok(segments)
    }

    /// The whole text, one segment per line, as automatic search and exports want it.
    #[must_use]
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_ms: i64, end_ms: i64, text: &str) -> TranscriptSegment {
        TranscriptSegment {
            speaker: None,
            start_ms,
            end_ms,
            text: text.to_owned(),
            confidence: None,
        }
    }

    #[test]
    fn segments_come_back_in_time_order_and_trimmed() {
        let checked = Transcript::checked_segments(vec![
            segment(2000, 3000, " second "),
            segment(0, 1500, "first"),
        ])
        .expect("valid segments");
        assert_eq!(checked[0].text, "first");
        assert_eq!(checked[1].text, "second");
    }

    #[test]
    fn bad_segments_are_named_by_position() {
        assert_eq!(
            Transcript::checked_segments(vec![segment(0, 10, "ok"), segment(20, 10, "x")]),
            Err(SegmentError::Times(1))
        );
        assert_eq!(
            Transcript::checked_segments(vec![segment(0, 10, "  ")]),
            Err(SegmentError::EmptyText(0))
        );
        let mut unsure = segment(0, 10, "x");
        unsure.confidence = Some(1.5);
        assert_eq!(Transcript::checked_segments(vec![unsure]), Err(SegmentError::Confidence(0)));
    }

    #[test]
    fn facts_round_to_whole_seconds() {
        let facts = MediaFacts {
            format: "wav".into(),
            codec: "pcm_s16le".into(),
            duration_ms: 61_499,
            sample_count: None,
            sample_rate: 8000,
            channels: 1,
            bitrate: 128_000,
            size_bytes: 1,
            sha256: String::new(),
            storage_key: String::new(),
        };
        assert_eq!(facts.seconds(), 61);
    }
}
