//! The server's resolved settings: parsed and validated once at start-up, then shared.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use callbase_app::egress::AllowEntry;
use callbase_domain::Email;
use ipnet::IpNet;

/// A value that must never reach a log or a debug print.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Requests per second and burst for one key; `None` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// Where recording bytes are kept (REC-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingStorage {
    /// Files under this directory (default: `<data_dir>/recordings`).
    Filesystem(PathBuf),
    /// An S3-compatible bucket.
    S3(callbase_media::storage::S3Config),
}

/// An OpenAI-compatible speech-to-text endpoint (`POST {url}/v1/audio/transcriptions`).
#[derive(Debug, Clone)]
pub struct Transcription {
    /// Base URL, e.g. `http://127.0.0.1:9000` for a self-hosted whisper server.
    pub url: String,
    pub api_key: Option<Secret>,
    pub model: String,
}

/// Who may create workspaces (AUTH-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceCreation {
    Anyone,
    Superusers,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The externally visible base URL, when a proxy sits in front.
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub db_max_connections: u32,
    pub admin_email: Email,
    pub admin_password: Option<Secret>,
    pub session_ttl: Duration,
    pub cors_origins: Vec<String>,
    pub rate_limit_ip: Option<RateLimit>,
    pub rate_limit_token: Option<RateLimit>,
    /// Login attempts per minute per client address.
    pub login_attempts_per_minute: Option<u32>,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Proxies whose `X-Forwarded-For` entries are skipped, right to left, to find the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Who may create workspaces.
    pub workspace_creation: WorkspaceCreation,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`.
    pub metrics_token: Option<Secret>,
    /// Destinations the egress client may reach beyond public addresses on ports 80 and 443.
    pub egress_allow: Vec<AllowEntry>,
    /// Seals integration secrets (base64 of 32 bytes). Unset on SQLite, a key file in the
    /// data directory is made once; unset on PostgreSQL, integrations cannot be created.
    pub secret_key: Option<Secret>,
    /// Twilio's REST API, where outbound calls are placed.
    pub twilio_api_url: String,
    /// Longest an upload or a fetch of a recording may take, from first byte to last.
    pub upload_deadline: Duration,
    /// Uploads one token may have in flight at once.
    pub uploads_per_token: u32,
    /// Largest recording accepted by upload or fetch (413 beyond it).
    pub recording_max_bytes: u64,
    pub recording_storage: RecordingStorage,
    /// Automatic transcription; `None` turns it off.
    pub transcription: Option<Transcription>,
}

impl Settings {
    /// Defaults for everything but where the data lives: used by tests and as the base of
    /// the command line's configuration.
    #[must_use]
    pub fn with_database(database_url: String, data_dir: PathBuf) -> Self {
        let recordings = data_dir.join("recordings");
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir,
            database_url,
            db_max_connections: 8,
            admin_email: Email::parse("admin@example.com").expect("a valid literal address"),
            admin_password: None,
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            cors_origins: Vec::new(),
            rate_limit_ip: Some(RateLimit { per_second: 1000, burst: 2000 }),
            rate_limit_token: Some(RateLimit { per_second: 500, burst: 1000 }),
            login_attempts_per_minute: Some(20),
            body_limit: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            trust_forwarded_for: false,
            trusted_proxies: Vec::new(),
            workspace_creation: WorkspaceCreation::Anyone,
            metrics_token: None,
            egress_allow: Vec::new(),
            secret_key: None,
            twilio_api_url: "https://api.twilio.com".to_owned(),
            upload_deadline: Duration::from_secs(15 * 60),
            uploads_per_token: 4,
            recording_max_bytes: 100 * 1024 * 1024,
            recording_storage: RecordingStorage::Filesystem(recordings),
            transcription: None,
        }
    }
}
