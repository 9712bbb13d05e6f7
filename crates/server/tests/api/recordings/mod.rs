//! Recordings through the API: uploads and their facts, refusals that leave nothing behind,
//! streaming with ranges, share links, access, recordings made elsewhere, transcripts and
//! search, retention, and object storage.

mod access;
mod adversarial;
mod egress;
mod lifecycle;
mod media;
mod transcripts;
mod upload;

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A workspace owner's session, the workspace, and a ringing (unanswered) call in it.
pub(super) struct Setup {
    pub token: String,
    pub workspace: String,
    pub call: String,
}

pub(super) async fn setup(app: &TestApp) -> Setup {
    let (_, token) = app.user("owner@rec.example").await;
    let workspace = app.workspace(&token, "Recordings").await;
    setup_in(app, &token, &workspace).await
}

/// A new ringing call in `workspace`.
pub(super) async fn setup_in(app: &TestApp, token: &str, workspace: &str) -> Setup {
    let (token, workspace) = (token.to_owned(), workspace.to_owned());
    let call = app
        .post("/api/v1/calls")
        .token(&token)
        .header("x-workspace-id", &workspace)
        .json(&json!({ "direction": "inbound", "from_number": "+49301234567" }))
        .send()
        .await;
    let call = call.expect(201)["id"].as_str().expect("id").to_owned();
    Setup { token, workspace, call }
}

impl Setup {
    /// Uploads `bytes` as the raw body of a recording of the call.
    pub async fn upload(
        &self,
        app: &TestApp,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> crate::helpers::Reply {
        app.post(&format!("/api/v1/calls/{}/recordings", self.call))
            .token(&self.token)
            .header("x-workspace-id", &self.workspace)
            .body(content_type, bytes)
            .send()
            .await
    }

    pub async fn uploaded(&self, app: &TestApp, bytes: Vec<u8>) -> Value {
        self.upload(app, "application/octet-stream", bytes).await.expect(201).clone()
    }

    pub fn get(&self, app: &TestApp, path: &str) -> crate::helpers::Call {
        app.get(path).token(&self.token).header("x-workspace-id", &self.workspace)
    }
}

/// Every file under `dir`, relative to it.
pub(super) fn files_under(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Audio made with ffmpeg, once per test process.
pub(super) fn ffmpeg_audio(name: &str, args: &[&str]) -> Vec<u8> {
    let dir =
        std::env::temp_dir().join("callbase-tests").join(format!("audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("audio dir");
    let path = dir.join(name);
    if !path.exists() {
        // Tests run in parallel: each makes its own copy and the first rename wins.
        let partial = dir.join(format!("partial-{}-{name}", uuid::Uuid::now_v7().simple()));
        let status = std::process::Command::new("ffmpeg")
            .args(["-y", "-v", "error", "-f", "lavfi"])
            .args(args)
            .arg(&partial)
            .status()
            .expect("ffmpeg runs (scripts/test installs it)");
        assert!(status.success(), "ffmpeg made {name}");
        std::fs::rename(&partial, &path).expect("audio in place");
        let _ = std::fs::remove_file(&partial);
    }
    std::fs::read(&path).expect("audio")
}

/// Two seconds of a 440 Hz tone as a 64 kbit/s MP3.
pub(super) fn mp3_two_seconds() -> Vec<u8> {
    ffmpeg_audio(
        "two.mp3",
        &["-i", "sine=frequency=440:duration=2", "-c:a", "libmp3lame", "-b:a", "64k"],
    )
}
