//! The binary as a newcomer uses it: first start, restart, SIGTERM, configuration mistakes,
//! and the `migrate`, `user` and `token` subcommands on the same database as a running server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use callbase_store::Backend;
use callbase_store::testing::fresh_database_url;
use serde_json::{Value, json};

fn callbase() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callbase"));
    // The tests decide every setting; nothing leaks in from the developer's shell.
    for (key, _) in std::env::vars() {
        if key.starts_with("CALLBASE_") {
            command.env_remove(key);
        }
    }
    command.env("CALLBASE_LOG", "warn");
    command
}

struct Server {
    child: Child,
    url: String,
    banner: Vec<String>,
}

impl Server {
    /// Starts `callbase serve` on a free port and reads its banner.
    fn start(
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        envs: &[(&str, &str)],
    ) -> Self {
        let mut command = callbase();
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = database_url {
            command.env("CALLBASE_DATABASE_URL", url);
        }
        let mut child = command.spawn().expect("callbase starts");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        while let Ok(line) = received.recv_timeout(Duration::from_secs(60)) {
            let done = line.trim_start().starts_with("-d '");
            banner.push(line);
            if done {
                break;
            }
        }
        let url = banner
            .iter()
            .find_map(|line| line.strip_prefix("callbase is running at "))
            .unwrap_or_else(|| panic!("no banner: {banner:?}"))
            .to_owned();
        Self { child, url, banner }
    }

    fn generated_password(&self) -> Option<String> {
        self.banner.iter().find_map(|line| {
            let rest = line.trim().strip_prefix("password:")?;
            let word = rest.split_whitespace().next()?;
            (word != "the").then(|| word.to_owned())
        })
    }

    /// SIGTERM, then the exit status and what it logged.
    fn stop(self) -> (std::process::ExitStatus, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let output = self.child.wait_with_output().expect("exits");
        (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// An HTTP client (TLS through *ring*, as the binary uses it).
fn client() -> reqwest::Client {
    callbase_server::install_tls_provider();
    reqwest::Client::new()
}

async fn login(url: &str, email: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login request")
}

async fn get_json(url: &str, path: &str, token: &str) -> (u16, Value) {
    let response =
        client().get(format!("{url}{path}")).bearer_auth(token).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn database(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            Some(fresh_database_url(Backend::Postgres).await.expect("a fresh PostgreSQL database"))
        }
    }
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("callbase-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn first_start_then_restart(backend: Backend) {
    let dir = temp_dir();
    let database_url = database(backend).await;
    let server = Server::start(&dir, database_url.as_deref(), &[]);
    let password =
        server.generated_password().unwrap_or_else(|| panic!("no password in {:?}", server.banner));
    assert!(
        server.banner.iter().any(|l| l.contains("log in as admin@example.com")),
        "{:?}",
        server.banner
    );
    let ready = client().get(format!("{}/readyz", server.url)).send().await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    let reply = login(&server.url, "admin@example.com", &password).await;
    assert_eq!(reply.status().as_u16(), 200);
    let body: Value = reply.json().await.expect("json");
    assert_eq!(body["workspaces"][0]["name"], "Default");
    let (status, log) = server.stop();
    assert!(status.success(), "{status:?}: {log}");
    if backend == Backend::Sqlite {
        assert!(dir.join("callbase.db").exists(), "SQLite lives in the data directory");
        let wal = std::fs::read(dir.join("callbase.db")).expect("db file");
        assert_eq!(wal.get(18..20), Some(&[2u8, 2u8][..]), "the database is in WAL mode");
    }

    // An upload cut off by the stop is cleared on the next start.
    std::fs::create_dir_all(dir.join("tmp")).expect("tmp");
    std::fs::write(dir.join("tmp/01a20a00-0000-7000-8000-000000000000.upload"), b"RIFF")
        .expect("write");
    let again = Server::start(&dir, database_url.as_deref(), &[]);
    assert!(
        std::fs::read_dir(dir.join("tmp")).expect("tmp").next().is_none(),
        "the unfinished upload is gone"
    );
    assert_eq!(
        again.generated_password(),
        None,
        "a second start prints no new password: {:?}",
        again.banner
    );
    let reply = login(&again.url, "admin@example.com", &password).await;
    assert_eq!(reply.status().as_u16(), 200, "the first password still works");
    let (status, _) = again.stop();
    assert!(status.success());
}

async fn cli_administers_the_same_database(backend: Backend) {
    let dir = temp_dir();
    let database_url = database(backend).await;
    let data = |command: &mut Command| {
        command.arg("--data-dir").arg(&dir);
        if let Some(url) = &database_url {
            command.arg("--database-url").arg(url);
        }
    };
    let mut migrate = callbase();
    migrate.arg("migrate");
    data(&mut migrate);
    let (ok, stdout, stderr) = run(&mut migrate);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("up to date"), "{stdout}");

    let server = Server::start(
        &dir,
        database_url.as_deref(),
        &[("CALLBASE_ADMIN_PASSWORD", "from-the-environment")],
    );
    assert_eq!(server.generated_password(), None);
    let admin: Value = login(&server.url, "admin@example.com", "from-the-environment")
        .await
        .json()
        .await
        .expect("json");
    let workspace = admin["workspaces"][0]["id"].as_str().expect("workspace").to_owned();

    let mut token = callbase();
    token.args([
        "token",
        "create",
        "--email",
        "admin@example.com",
        "--name",
        "ci",
        "--expires-in",
        "30d",
    ]);
    data(&mut token);
    let (ok, secret, stderr) = run(&mut token);
    assert!(ok, "{stderr}");
    let (status, me) = get_json(&server.url, "/api/v1/users/me", secret.trim()).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["workspace_id"], workspace.as_str());

    // demo-data logs its calls by the intake's rules: the API reads them as it reads its own.
    let mut demo = callbase();
    demo.args(["demo-data", "--calls", "40", "--days", "3", "--seed", "3"]);
    data(&mut demo);
    let (ok, _, stderr) = run(&mut demo);
    assert!(ok, "{stderr}");
    let (status, calls) = get_json(&server.url, "/api/v1/calls?limit=100", secret.trim()).await;
    assert_eq!(status, 200, "{calls}");
    let calls = calls["data"].as_array().expect("calls").clone();
    assert_eq!(calls.len(), 40);
    for call in calls.iter().take(5) {
        let id = call["id"].as_str().expect("id");
        let (status, detail) =
            get_json(&server.url, &format!("/api/v1/calls/{id}"), secret.trim()).await;
        assert_eq!(status, 200, "{detail}");
        let timeline = detail["timeline"].as_array().expect("timeline");
        let last_status = timeline
            .iter()
            .filter(|entry| entry["type"] == "status_changed")
            .map(|entry| entry["data"]["current"].clone())
            .next_back();
        assert_eq!(last_status, Some(detail["status"].clone()), "{detail}");
    }

    let mut create = callbase();
    create.args([
        "user",
        "create",
        "--email",
        "bob@example.com",
        "--name",
        "Bob",
        "--password",
        "bobs-password",
    ]);
    create.args(["--workspace", &workspace, "--role", "viewer"]);
    data(&mut create);
    let (ok, _, stderr) = run(&mut create);
    assert!(ok, "{stderr}");
    let bob: Value =
        login(&server.url, "bob@example.com", "bobs-password").await.json().await.expect("json");
    assert_eq!(bob["workspaces"][0]["role"], "viewer");
    let old_session = bob["token"].as_str().expect("token").to_owned();

    let mut duplicate = callbase();
    duplicate.args(["user", "create", "--email", "bob@example.com"]);
    data(&mut duplicate);
    let (ok, _, stderr) = run(&mut duplicate);
    assert!(!ok && stderr.contains("already exists"), "{stderr}");

    let mut reset = callbase();
    reset.args(["user", "reset-password", "--email", "bob@example.com"]);
    data(&mut reset);
    let (ok, stdout, stderr) = run(&mut reset);
    assert!(ok, "{stderr}");
    let new_password =
        stdout.lines().find_map(|l| l.strip_prefix("password: ")).expect("new password").to_owned();
    assert_eq!(login(&server.url, "bob@example.com", "bobs-password").await.status().as_u16(), 401);
    // Whoever held the old password is logged out (the server's auth cache lives 2 s).
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, _) = get_json(&server.url, "/api/v1/users/me", &old_session).await;
    assert_eq!(status, 401, "the reset ended the old session");
    let bob: Value =
        login(&server.url, "bob@example.com", &new_password).await.json().await.expect("json");
    assert_eq!(bob["user"]["is_superuser"], false);

    let mut promote = callbase();
    promote.args(["user", "make-superuser", "--email", "bob@example.com"]);
    data(&mut promote);
    let (ok, _, stderr) = run(&mut promote);
    assert!(ok, "{stderr}");
    let (_, me) =
        get_json(&server.url, "/api/v1/users/me", bob["token"].as_str().expect("token")).await;
    assert_eq!(me["user"]["is_superuser"], true);
    let (status, _) = server.stop();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_then_restart_sqlite() {
    first_start_then_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_then_restart_postgres() {
    first_start_then_restart(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_administers_the_same_database_sqlite() {
    cli_administers_the_same_database(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_administers_the_same_database_postgres() {
    cli_administers_the_same_database(Backend::Postgres).await;
}

#[test]
fn configuration_mistakes_fail_with_one_clear_line() {
    let dir = temp_dir();
    let bad_toml = dir.join("bad.toml");
    std::fs::write(&bad_toml, "request_timeout = \"soonish\"\n").expect("write");
    let unknown_key = dir.join("unknown.toml");
    std::fs::write(&unknown_key, "listne = \"127.0.0.1:1\"\n").expect("write");
    // (arguments, environment, what the first line must name)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec!["serve", "--listen", "nowhere"], vec![], "--listen"),
        (vec!["serve"], vec![("CALLBASE_BODY_LIMIT", "huge")], "--body-limit"),
        (vec!["serve"], vec![("CALLBASE_DATABASE_URL", "mysql://x")], "--database-url"),
        (vec!["serve", "--config", bad_toml.to_str().expect("path")], vec![], "request_timeout"),
        (vec!["serve", "--config", unknown_key.to_str().expect("path")], vec![], "listne"),
        (
            vec!["serve", "--config", "/nonexistent/callbase.toml"],
            vec![],
            "cannot read config file",
        ),
        (
            vec!["serve", "--admin-password", "short", "--data-dir", dir.to_str().expect("path")],
            vec![],
            "admin_password",
        ),
        (
            vec!["serve", "--log", "info,[[[", "--data-dir", dir.to_str().expect("path")],
            vec![],
            "log",
        ),
    ];
    for (args, envs, names) in cases {
        let output = callbase().args(&args).envs(envs.iter().copied()).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{args:?}: {stderr}"
        );
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.contains(names), "the first line names the setting: {stderr}");
    }
}

#[test]
fn serve_help_documents_every_setting() {
    let output = callbase().args(["serve", "--help"]).output().expect("runs");
    let help =
        String::from_utf8_lossy(&output.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for variable in [
        "CALLBASE_CONFIG",
        "CALLBASE_LISTEN",
        "CALLBASE_DATA_DIR",
        "CALLBASE_DATABASE_URL",
        "CALLBASE_DB_MAX_CONNECTIONS",
        "CALLBASE_LOG_FORMAT",
        "CALLBASE_LOG",
        "CALLBASE_PUBLIC_URL",
        "CALLBASE_ADMIN_EMAIL",
        "CALLBASE_ADMIN_PASSWORD",
        "CALLBASE_SESSION_TTL",
        "CALLBASE_CORS_ORIGINS",
        "CALLBASE_RATE_LIMIT_IP",
        "CALLBASE_RATE_LIMIT_TOKEN",
        "CALLBASE_LOGIN_RATE_LIMIT",
        "CALLBASE_BODY_LIMIT",
        "CALLBASE_REQUEST_TIMEOUT",
        "CALLBASE_SHUTDOWN_GRACE",
        "CALLBASE_TRUST_FORWARDED_FOR",
        "CALLBASE_RECORDING_MAX_SIZE",
        "CALLBASE_RECORDINGS_DIR",
        "CALLBASE_S3_BUCKET",
        "CALLBASE_S3_ENDPOINT",
        "CALLBASE_S3_REGION",
        "CALLBASE_S3_ACCESS_KEY_ID",
        "CALLBASE_S3_SECRET_ACCESS_KEY",
        "CALLBASE_S3_PREFIX",
        "CALLBASE_TRANSCRIPTION_URL",
        "CALLBASE_TRANSCRIPTION_API_KEY",
        "CALLBASE_TRANSCRIPTION_MODEL",
    ] {
        assert!(
            help.contains(&format!("env: {variable}")),
            "{variable} missing from --help:\n{help}"
        );
    }
}

#[test]
fn probe_prints_the_facts_an_upload_would_get() {
    let dir = temp_dir();
    let wav = dir.join("tone.wav");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1.5:sample_rate=8000"])
        .args(["-ac", "1", "-c:a", "pcm_alaw"])
        .arg(&wav)
        .status()
        .expect("ffmpeg runs (scripts/test installs it)");
    assert!(made.success());
    let text = dir.join("notes.mp3");
    std::fs::write(&text, "call Anna back on Monday\n".repeat(10)).expect("write");

    let (ok, stdout, stderr) = run(callbase().arg("probe").arg(&wav));
    assert!(ok, "{stderr}");
    let facts: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(
        (&facts["format"], &facts["codec"], &facts["duration_ms"], &facts["sample_count"]),
        (&json!("wav"), &json!("pcm_alaw"), &json!(1500), &json!(12_000))
    );
    assert_eq!((&facts["sample_rate"], &facts["channels"]), (&json!(8000), &json!(1)));

    let (ok, stdout, stderr) = run(callbase().arg("probe").arg(&wav).arg(&text));
    assert!(!ok, "a refused file fails the command");
    let refused: Value =
        serde_json::from_str(stdout.lines().nth(1).expect("second line")).expect("json");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("not")), "{refused}");
    assert!(stderr.contains("1 of 2 files were refused"), "{stderr}");
}
