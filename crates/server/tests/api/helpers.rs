//! `spawn_app()` and a thin HTTP client for the tests.

use std::net::SocketAddr;
use std::sync::Arc;

use callbase_server::{AppState, Settings, bootstrap};
use callbase_store::testing::fresh_store;
use callbase_store::{Backend, Store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// Runs each listed case once per database, each on its own server and database.
macro_rules! both_databases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($crate::helpers::spawn_app(callbase_store::Backend::Sqlite).await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($crate::helpers::spawn_app(callbase_store::Backend::Postgres).await).await;
            })*
        }
    };
}
pub(crate) use both_databases;

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where this server keeps its files.
    pub data_dir: std::path::PathBuf,
    /// The settings it runs with.
    pub settings: Settings,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub backend: Backend,
    pub shutdown: CancellationToken,
    /// The first-run admin's session token (a superuser, owner of `Default`).
    pub admin: String,
    pub default_workspace: String,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Settings for tests: limits off unless a test turns them on.
/// Each server gets its own data directory (recordings, uploads in progress), removed by
/// `scripts/test` before the next run.
pub fn test_settings() -> Settings {
    let data_dir =
        std::env::temp_dir().join("callbase-tests").join(uuid::Uuid::now_v7().to_string());
    let mut settings = Settings::with_database(String::new(), data_dir);
    settings.admin_password = Some(callbase_server::Secret::new(ADMIN_PASSWORD.to_owned()));
    settings.rate_limit_ip = None;
    settings.rate_limit_token = None;
    settings.login_attempts_per_minute = None;
    settings
}

/// The key integration secrets are sealed with on PostgreSQL (base64 of 32 bytes).
pub const TEST_SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    callbase_server::install_tls_provider();
    let store = fresh_store(backend).await.expect("a fresh database (is PostgreSQL running?)");
    let mut settings = test_settings();
    // Instances on one PostgreSQL share a key; on SQLite a key file is made in the data dir.
    if backend == Backend::Postgres {
        settings.secret_key = Some(callbase_server::Secret::new(TEST_SECRET_KEY.to_owned()));
    }
    configure(&mut settings);
    bootstrap::first_run(&store, &settings).await.expect("first run");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    let store: Arc<dyn Store> = Arc::new(store);
    let data_dir = settings.data_dir.clone();
    let kept = settings.clone();
    let state = AppState::new(store.clone(), settings).expect("recording storage");
    let server = tokio::spawn(callbase_server::serve(listener, state, shutdown.clone()));
    let client = reqwest::Client::builder().build().expect("client");
    let mut app = TestApp {
        addr,
        data_dir,
        settings: kept,
        client,
        store,
        backend,
        shutdown,
        admin: String::new(),
        default_workspace: String::new(),
        server,
    };
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.admin = login["token"].as_str().expect("token").to_owned();
    app.default_workspace = login["workspaces"][0]["id"].as_str().expect("workspace").to_owned();
    app
}

/// A response, read completely.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status and, for errors, our error shape; returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status, body: {}", self.text);
        if status >= 400 {
            assert!(self.body["error"]["code"].is_string(), "error shape: {}", self.text);
            assert!(self.body["error"]["message"].is_string(), "error shape: {}", self.text);
            assert!(self.body["error"]["details"].is_object(), "error shape: {}", self.text);
        }
        &self.body
    }

    /// Asserts an error status and code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Value {
        self.expect(status);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.text);
        &self.body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Call {
    builder: reqwest::RequestBuilder,
}

impl Call {
    pub fn token(mut self, token: &str) -> Self {
        self.builder = self.builder.bearer_auth(token);
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self.builder.json(body);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn body(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Self {
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }

    /// Sends and keeps the body as bytes (media).
    pub async fn send_bytes(self) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self.builder.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body").to_vec();
        (status, headers, bytes)
    }

    pub fn multipart(mut self, form: reqwest::multipart::Form) -> Self {
        self.builder = self.builder.multipart(form);
        self
    }

    pub async fn send(self) -> Reply {
        let response = self.builder.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn call(&self, method: Method, path: &str) -> Call {
        Call { builder: self.client.request(method, self.url(path)) }
    }

    pub fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Call {
        self.call(Method::PATCH, path)
    }

    pub fn put(&self, path: &str) -> Call {
        self.call(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Call {
        self.call(Method::DELETE, path)
    }

    /// Logs in and returns the whole answer.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let reply = self
            .post("/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await;
        reply.expect(200).clone()
    }

    /// A bare account made by the superuser admin, logged in: `(user_id, session_token)`.
    pub async fn user(&self, email: &str) -> (String, String) {
        let reply = self
            .post("/api/v1/users")
            .token(&self.admin)
            .json(&json!({ "email": email, "name": email, "password": "password-123" }))
            .send()
            .await;
        let id = reply.expect(201)["id"].as_str().expect("id").to_owned();
        let login = self.login(email, "password-123").await;
        (id, login["token"].as_str().expect("token").to_owned())
    }

    /// A workspace created by `token`'s user, who becomes its owner.
    pub async fn workspace(&self, token: &str, name: &str) -> String {
        let reply = self
            .post("/api/v1/workspaces")
            .token(token)
            .json(&json!({ "name": name }))
            .send()
            .await;
        reply.expect(201)["id"].as_str().expect("id").to_owned()
    }

    /// A new member of `workspace` with `role`, added by `owner`: `(user_id, session_token)`.
    pub async fn member(
        &self,
        owner: &str,
        workspace: &str,
        email: &str,
        role: &str,
    ) -> (String, String) {
        let (id, token) = self.user(email).await;
        self.join(owner, workspace, email, &token, role).await;
        (id, token)
    }

    /// `owner` adds `email` to `workspace`: a superuser at once, anyone else by an invitation
    /// its user (logged in as `session`) accepts.
    pub async fn join(&self, owner: &str, workspace: &str, email: &str, session: &str, role: &str) {
        let invited = self
            .post(&format!("/api/v1/workspaces/{workspace}/members"))
            .token(owner)
            .json(&json!({ "email": email, "role": role }))
            .send()
            .await;
        if invited.status.as_u16() == 201 {
            // A superuser adds anyone at once.
            return;
        }
        let invitation = invited.expect(202)["invitation"]["id"].as_str().expect("id").to_owned();
        self.post(&format!("/api/v1/invitations/{invitation}/accept"))
            .token(session)
            .send()
            .await
            .expect(201);
    }

    /// An API token of `session`'s user in `workspace`: `(token_id, secret)`.
    pub async fn api_token(&self, session: &str, workspace: &str) -> (String, String) {
        let reply = self
            .post("/api/v1/tokens")
            .token(session)
            .header("x-workspace-id", workspace)
            .json(&json!({ "name": "test" }))
            .send()
            .await;
        let body = reply.expect(201);
        (
            body["id"].as_str().expect("id").to_owned(),
            body["secret"].as_str().expect("secret").to_owned(),
        )
    }
}

/// A valid 16-bit PCM mono WAV of `millis` milliseconds at 8 kHz: a 440 Hz tone.
pub fn wav_bytes(millis: u32) -> Vec<u8> {
    let rate = 8000_u32;
    let samples = rate * millis / 1000;
    let data_len = samples * 2;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16_u32.to_le_bytes());
    wav.extend_from_slice(&1_u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1_u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2_u16.to_le_bytes());
    wav.extend_from_slice(&16_u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..samples {
        let phase = f64::from(n) * 440.0 * std::f64::consts::TAU / f64::from(rate);
        #[allow(clippy::cast_possible_truncation)]
        let sample = (phase.sin() * 8000.0) as i16;
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

/// A route template with every `{placeholder}` made `{}`, so templates that name their ids
/// differently compare equal.
pub fn path_shape(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}
