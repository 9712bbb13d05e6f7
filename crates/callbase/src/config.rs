//! Settings from defaults, an optional TOML file, `CALLBASE_*` variables and flags — each
//! later source overriding the earlier — validated once, with one clear line per mistake.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use callbase_server::{RecordingStorage, Secret, Settings, Transcription};
use clap::{Args, ValueEnum};

use crate::parse;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the data lives: every subcommand that opens the database takes these.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// TOML file with any of the settings below (keys as the flags, with underscores).
    #[arg(long, env = "CALLBASE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded database and recordings [default: ./callbase-data].
    #[arg(long, env = "CALLBASE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite:PATH or postgres://USER@HOST:PORT/DB [default: SQLite in the data directory].
    #[arg(long, env = "CALLBASE_DATABASE_URL", value_name = "URL", hide_env_values = true,
        value_parser = parse::database_url)]
    pub database_url: Option<String>,
    /// Most database connections to hold open [default: 8].
    #[arg(long, env = "CALLBASE_DB_MAX_CONNECTIONS", value_name = "N", value_parser = parse::positive_u32)]
    pub db_max_connections: Option<u32>,
    /// Log output: pretty (for people) or json (for collectors) [default: pretty].
    #[arg(long, env = "CALLBASE_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info or callbase_server=debug,info [default: info].
    #[arg(long, env = "CALLBASE_LOG", value_name = "FILTER")]
    pub log: Option<String>,
}

/// Every setting of the server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CALLBASE_LISTEN", value_name = "ADDR", value_parser = parse::socket_addr)]
    pub listen: Option<std::net::SocketAddr>,
    /// The URL clients use, when a proxy sits in front (webhook signatures, secure cookies).
    #[arg(long, env = "CALLBASE_PUBLIC_URL", value_name = "URL", value_parser = parse::public_url)]
    pub public_url: Option<String>,
    /// E-mail of the admin created on first start [default: admin@example.com].
    #[arg(long, env = "CALLBASE_ADMIN_EMAIL", value_name = "EMAIL", value_parser = parse::email)]
    pub admin_email: Option<callbase_domain::Email>,
    /// Password of the admin created on first start [default: generated and printed once].
    #[arg(long, env = "CALLBASE_ADMIN_PASSWORD", value_name = "PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// How long a login session lasts [default: 7d].
    #[arg(long, env = "CALLBASE_SESSION_TTL", value_name = "DURATION", value_parser = parse::duration)]
    pub session_ttl: Option<std::time::Duration>,
    /// Origins allowed to call the API from a browser, comma-separated [default: none].
    #[arg(long, env = "CALLBASE_CORS_ORIGINS", value_name = "ORIGINS", value_delimiter = ',',
        value_parser = parse::cors_origin)]
    pub cors_origins: Option<Vec<String>>,
    /// Requests per second per client address, RATE or RATE:BURST, or off [default: 1000:2000].
    #[arg(long, env = "CALLBASE_RATE_LIMIT_IP", value_name = "RATE", value_parser = parse::rate_limit)]
    pub rate_limit_ip: Option<parse::Switch<callbase_server::RateLimit>>,
    /// Requests per second per token, RATE or RATE:BURST, or off [default: 500:1000].
    #[arg(long, env = "CALLBASE_RATE_LIMIT_TOKEN", value_name = "RATE", value_parser = parse::rate_limit)]
    pub rate_limit_token: Option<parse::Switch<callbase_server::RateLimit>>,
    /// Login attempts per minute per client address, or off [default: 20].
    #[arg(long, env = "CALLBASE_LOGIN_RATE_LIMIT", value_name = "N", value_parser = parse::per_minute)]
    pub login_rate_limit: Option<parse::Switch<u32>>,
    /// Largest request body, e.g. 10MiB [default: 10MiB].
    #[arg(long, env = "CALLBASE_BODY_LIMIT", value_name = "SIZE", value_parser = parse::byte_size)]
    pub body_limit: Option<usize>,
    /// Longest a request may take before it is answered 503 [default: 30s].
    #[arg(long, env = "CALLBASE_REQUEST_TIMEOUT", value_name = "DURATION", value_parser = parse::duration)]
    pub request_timeout: Option<std::time::Duration>,
    /// How long in-flight requests may finish after SIGTERM/SIGINT [default: 20s].
    #[arg(long, env = "CALLBASE_SHUTDOWN_GRACE", value_name = "DURATION", value_parser = parse::duration)]
    pub shutdown_grace: Option<std::time::Duration>,
    /// Take the client address from X-Forwarded-For (only behind your own proxy) [default: false].
    #[arg(long, env = "CALLBASE_TRUST_FORWARDED_FOR", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true", value_parser = parse::boolean)]
    pub trust_forwarded_for: Option<bool>,
    /// Proxies (CIDRs, comma-separated) skipped right to left in X-Forwarded-For; with any
    /// listed, the header counts only on connections from them [default: none].
    #[arg(long, env = "CALLBASE_TRUSTED_PROXIES", value_name = "CIDRS", value_delimiter = ',',
        value_parser = parse::cidr)]
    pub trusted_proxies: Option<Vec<ipnet::IpNet>>,
    /// Who may create workspaces: anyone or superusers [default: anyone].
    #[arg(long, env = "CALLBASE_WORKSPACE_CREATION", value_name = "WHO", value_parser = parse::workspace_creation)]
    pub workspace_creation: Option<callbase_server::WorkspaceCreation>,
    /// Bearer token /metrics requires; unset, /metrics is open [default: none].
    #[arg(long, env = "CALLBASE_METRICS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Seals integration secrets: base64 of 32 random bytes (`openssl rand -base64 32`);
    /// required on PostgreSQL, where every instance must share it [default: SQLite: a key
    /// file made once in the data directory].
    #[arg(long, env = "CALLBASE_SECRET_KEY", value_name = "KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Twilio's REST API base URL [default: https://api.twilio.com].
    #[arg(long, env = "CALLBASE_TWILIO_API_URL", value_name = "URL", value_parser = parse::public_url)]
    pub twilio_api_url: Option<String>,
    /// Destinations fetches may reach besides public addresses on ports 80/443: CIDRs, addresses
    /// or host names, comma-separated, any port (a PBX on the LAN) [default: none].
    #[arg(long, env = "CALLBASE_EGRESS_ALLOW", value_name = "LIST", value_delimiter = ',',
        value_parser = parse::egress_allow)]
    pub egress_allow: Option<Vec<callbase_app::egress::AllowEntry>>,
    /// Longest an upload or fetch of a recording may take in all [default: 15m].
    #[arg(long, env = "CALLBASE_UPLOAD_DEADLINE", value_name = "DURATION", value_parser = parse::duration)]
    pub upload_deadline: Option<std::time::Duration>,
    /// Uploads and fetches one token may have in flight at once [default: 4].
    #[arg(long, env = "CALLBASE_UPLOADS_PER_TOKEN", value_name = "N", value_parser = parse::positive_u32)]
    pub uploads_per_token: Option<u32>,
    /// Largest recording accepted by upload or fetch, e.g. 100MiB [default: 100MiB].
    #[arg(long, env = "CALLBASE_RECORDING_MAX_SIZE", value_name = "SIZE", value_parser = parse::byte_size)]
    pub recording_max_size: Option<usize>,
    /// Directory for recordings on the local filesystem [default: DATA_DIR/recordings].
    #[arg(long, env = "CALLBASE_RECORDINGS_DIR", value_name = "DIR")]
    pub recordings_dir: Option<PathBuf>,
    /// Keep recordings in this S3 bucket instead of the filesystem.
    #[arg(long, env = "CALLBASE_S3_BUCKET", value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3-compatible endpoint (MinIO, Ceph, …) [default: AWS].
    #[arg(long, env = "CALLBASE_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region [default: us-east-1].
    #[arg(long, env = "CALLBASE_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,
    #[arg(long, env = "CALLBASE_S3_ACCESS_KEY_ID", value_name = "ID")]
    pub s3_access_key_id: Option<String>,
    #[arg(
        long,
        env = "CALLBASE_S3_SECRET_ACCESS_KEY",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub s3_secret_access_key: Option<String>,
    /// Prefix for every object key in the bucket [default: none].
    #[arg(long, env = "CALLBASE_S3_PREFIX", value_name = "PREFIX")]
    pub s3_prefix: Option<String>,
    /// OpenAI-compatible speech-to-text service (base URL; POST /v1/audio/transcriptions).
    #[arg(long, env = "CALLBASE_TRANSCRIPTION_URL", value_name = "URL", value_parser = parse::public_url)]
    pub transcription_url: Option<String>,
    #[arg(
        long,
        env = "CALLBASE_TRANSCRIPTION_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub transcription_api_key: Option<String>,
    /// Model name sent to the transcription service [default: whisper-1].
    #[arg(long, env = "CALLBASE_TRANSCRIPTION_MODEL", value_name = "MODEL")]
    pub transcription_model: Option<String>,
}

/// The TOML file's values as text, so they go through the same parsers as flags.
pub struct FileValues {
    path: PathBuf,
    values: BTreeMap<String, String>,
}

const KNOWN_KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "db_max_connections",
    "log_format",
    "log",
    "listen",
    "public_url",
    "admin_email",
    "admin_password",
    "session_ttl",
    "cors_origins",
    "rate_limit_ip",
    "rate_limit_token",
    "login_rate_limit",
    "body_limit",
    "request_timeout",
    "shutdown_grace",
    "trust_forwarded_for",
    "trusted_proxies",
    "workspace_creation",
    "metrics_token",
    "secret_key",
    "twilio_api_url",
    "egress_allow",
    "upload_deadline",
    "uploads_per_token",
    "recording_max_size",
    "recordings_dir",
    "s3_bucket",
    "s3_endpoint",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_prefix",
    "transcription_url",
    "transcription_api_key",
    "transcription_model",
];

impl FileValues {
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Self { path: PathBuf::new(), values: BTreeMap::new() });
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            format!("config file {} is not valid TOML: {}", path.display(), e.message())
        })?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            if !KNOWN_KEYS.contains(&key.as_str()) {
                return Err(format!("config file {}: unknown setting `{key}`", path.display()));
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_owned).unwrap_or_else(|| item.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            values.insert(key, text);
        }
        Ok(Self { path: path.to_owned(), values })
    }

    /// The flag's value if given, else the file's (parsed), else `None`.
    pub fn pick<T>(
        &self,
        key: &str,
        from_cli: Option<T>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        if from_cli.is_some() {
            return Ok(from_cli);
        }
        match self.values.get(key) {
            None => Ok(None),
            Some(raw) => parse(raw).map(Some).map_err(|reason| {
                format!("invalid setting `{key}` in {}: {reason}", self.path.display())
            }),
        }
    }
}

pub struct Logging {
    pub format: LogFormat,
    pub filter: String,
}

/// Database location and logging, for every subcommand.
pub fn resolve_data(args: &DataArgs, file: &FileValues) -> Result<(Settings, Logging), String> {
    let data_dir = file
        .pick("data_dir", args.data_dir.clone(), |raw| Ok(PathBuf::from(raw)))?
        .unwrap_or_else(|| PathBuf::from("callbase-data"));
    let database_url = file
        .pick("database_url", args.database_url.clone(), parse::database_url)?
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("callbase.db").display()));
    let mut settings = Settings::with_database(database_url, data_dir);
    if let Some(n) =
        file.pick("db_max_connections", args.db_max_connections, parse::positive_u32)?
    {
        settings.db_max_connections = n;
    }
    let format = file
        .pick("log_format", args.log_format, |raw| {
            LogFormat::from_str(raw, true).map_err(|_| format!("{raw:?} is not pretty or json"))
        })?
        .unwrap_or(LogFormat::Pretty);
    let filter = file.pick("log", args.log.clone(), |raw| Ok(raw.to_owned()))?;
    let filter = filter.unwrap_or_else(|| "info,sqlx=warn".to_owned());
    Ok((settings, Logging { format, filter }))
}

/// Everything `serve` needs.
pub fn resolve_serve(args: &ServeArgs, file: &FileValues) -> Result<(Settings, Logging), String> {
    let (mut s, logging) = resolve_data(&args.data, file)?;
    macro_rules! set {
        ($field:ident, $parse:expr) => {
            if let Some(value) = file.pick(stringify!($field), args.$field.clone(), $parse)? {
                s.$field = value;
            }
        };
    }
    set!(listen, parse::socket_addr);
    if let Some(url) = file.pick("public_url", args.public_url.clone(), parse::public_url)? {
        s.public_url = Some(url);
    }
    set!(admin_email, parse::email);
    if let Some(password) =
        file.pick("admin_password", args.admin_password.clone(), |raw| Ok(raw.to_owned()))?
    {
        if password.chars().count() < 8 {
            return Err(
                "invalid setting `admin_password`: must be at least 8 characters".to_owned()
            );
        }
        s.admin_password = Some(Secret::new(password));
    }
    set!(session_ttl, parse::duration);
    set!(cors_origins, |raw: &str| {
        raw.split(',').filter(|o| !o.trim().is_empty()).map(parse::cors_origin).collect()
    });
    if let Some(limit) = file.pick("rate_limit_ip", args.rate_limit_ip, parse::rate_limit)? {
        s.rate_limit_ip = limit.0;
    }
    if let Some(limit) = file.pick("rate_limit_token", args.rate_limit_token, parse::rate_limit)? {
        s.rate_limit_token = limit.0;
    }
    if let Some(limit) = file.pick("login_rate_limit", args.login_rate_limit, parse::per_minute)? {
        s.login_attempts_per_minute = limit.0;
    }
    set!(body_limit, parse::byte_size);
    set!(request_timeout, parse::duration);
    set!(shutdown_grace, parse::duration);
    set!(trust_forwarded_for, parse::boolean);
    set!(trusted_proxies, |raw: &str| list(raw, parse::cidr));
    set!(workspace_creation, parse::workspace_creation);
    if let Some(token) = file.pick("metrics_token", args.metrics_token.clone(), text)? {
        if token.len() < 16 {
            return Err(
                "invalid setting `metrics_token`: must be at least 16 characters".to_owned()
            );
        }
        s.metrics_token = Some(Secret::new(token));
    }
    if let Some(key) = file.pick("secret_key", args.secret_key.clone(), text)? {
        callbase_app::secrets::SecretKey::parse(&key)
            .map_err(|e| format!("invalid setting `secret_key`: {e}"))?;
        s.secret_key = Some(Secret::new(key));
    }
    if let Some(url) =
        file.pick("twilio_api_url", args.twilio_api_url.clone(), parse::public_url)?
    {
        s.twilio_api_url = url;
    }
    set!(egress_allow, |raw: &str| list(raw, parse::egress_allow));
    set!(upload_deadline, parse::duration);
    set!(uploads_per_token, parse::positive_u32);
    if let Some(size) =
        file.pick("recording_max_size", args.recording_max_size, parse::byte_size)?
    {
        s.recording_max_bytes = size as u64;
    }
    s.recording_storage = recording_storage(args, file, &s.data_dir)?;
    s.transcription = transcription(args, file)?;
    Ok((s, logging))
}

/// A comma-separated list from the file, each item through `item`.
fn list<T>(raw: &str, item: fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    raw.split(',').filter(|entry| !entry.trim().is_empty()).map(item).collect()
}

fn text(raw: &str) -> Result<String, String> {
    Ok(raw.trim().to_owned())
}

/// The filesystem under the data directory unless a bucket is named.
fn recording_storage(
    args: &ServeArgs,
    file: &FileValues,
    data_dir: &Path,
) -> Result<RecordingStorage, String> {
    let Some(bucket) = file.pick("s3_bucket", args.s3_bucket.clone(), text)? else {
        let dir =
            file.pick("recordings_dir", args.recordings_dir.clone(), |raw| Ok(PathBuf::from(raw)))?;
        return Ok(RecordingStorage::Filesystem(
            dir.unwrap_or_else(|| data_dir.join("recordings")),
        ));
    };
    let required = |key: &str, value: Option<String>| {
        value.ok_or_else(|| format!("setting `{key}` is required with `s3_bucket`"))
    };
    let endpoint = file.pick("s3_endpoint", args.s3_endpoint.clone(), parse::public_url)?;
    Ok(RecordingStorage::S3(callbase_media::storage::S3Config {
        bucket,
        endpoint,
        region: file
            .pick("s3_region", args.s3_region.clone(), text)?
            .unwrap_or_else(|| "us-east-1".to_owned()),
        access_key_id: required(
            "s3_access_key_id",
            file.pick("s3_access_key_id", args.s3_access_key_id.clone(), text)?,
        )?,
        secret_access_key: required(
            "s3_secret_access_key",
            file.pick("s3_secret_access_key", args.s3_secret_access_key.clone(), text)?,
        )?,
        prefix: file.pick("s3_prefix", args.s3_prefix.clone(), text)?.unwrap_or_default(),
    }))
}

fn transcription(args: &ServeArgs, file: &FileValues) -> Result<Option<Transcription>, String> {
    let Some(url) =
        file.pick("transcription_url", args.transcription_url.clone(), parse::public_url)?
    else {
        return Ok(None);
    };
    Ok(Some(Transcription {
        url,
        api_key: file
            .pick("transcription_api_key", args.transcription_api_key.clone(), text)?
            .map(Secret::new),
        model: file
            .pick("transcription_model", args.transcription_model.clone(), text)?
            .unwrap_or_else(|| "whisper-1".to_owned()),
    }))
}
