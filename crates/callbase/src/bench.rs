//! `callbase bench`: the PERF-1…3 figures against real servers on SQLite and PostgreSQL,
//! in one run, each next to a baseline measured the same way in the same run.
//!
//! The server runs in this process on 127.0.0.1 with rate limits off; the load comes from
//! HTTP clients in the same process, so client and server share the machine's cores, for
//! the measured endpoint and for its baseline alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use callbase_domain::call::Counters;
use callbase_domain::{DisplayName, Email, Role, TokenId, UserId, WorkspaceId, now};
use callbase_server::auth::generate_secret;
use callbase_server::{AppState, Settings};
use callbase_store::{
    Admin, AuditEntry, CallFilter, CallPageRequest, CallSort, CallStore, NewToken, NewUser,
    SortOrder, SqlStore, SqliteTuning, StatsGroup, TokenKind, TokenStore, UserStore,
    WorkspaceFilter, WorkspaceStore,
};
use clap::Args;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A SQLite database filled with `callbase demo-data` (sqlite:PATH).
    #[arg(long, value_name = "URL")]
    pub sqlite: Vec<String>,
    /// A PostgreSQL database filled with `callbase demo-data` (postgres://…).
    #[arg(long, value_name = "URL")]
    pub postgres: Vec<String>,
    /// Seconds each throughput measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent clients for the throughput measurements.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Requests per latency measurement.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Skip the ingest measurement (it adds timeline entries to the database).
    #[arg(long, conflicts_with = "ingest_only")]
    pub no_ingest: bool,
    /// Measure only ingest (no history and statistics latencies).
    #[arg(long)]
    pub ingest_only: bool,
}

/// One row of the result table.
struct Row {
    database: String,
    calls: i64,
    measure: String,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    per_second: Option<f64>,
}

struct Target {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Target {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token)
    }
}

/// A user and API token for the bench in the workspace with the most calls.
async fn bench_token(store: &SqlStore) -> Result<(WorkspaceId, String, i64), String> {
    let workspaces = store
        .list_workspaces(&WorkspaceFilter::default(), &callbase_store::PageRequest::first(100))
        .await
        .map_err(|e| e.to_string())?;
    let mut best: Option<(WorkspaceId, i64)> = None;
    for workspace in workspaces.items {
        let totals = store
            .call_stats(workspace.id, i64::MIN, i64::MAX, StatsGroup::All)
            .await
            .map_err(|e| e.to_string())?;
        let calls = totals.first().map_or(0, |(_, counts): &(_, Counters)| counts.calls);
        if best.is_none_or(|(_, most)| calls > most) {
            best = Some((workspace.id, calls));
        }
    }
    let (workspace, calls) =
        best.ok_or("the database has no workspace: run callbase demo-data first")?;
    let user = UserId::new();
    let email = Email::parse(&format!("bench-{user}@example.com")).map_err(|e| e.to_string())?;
    let new_user = NewUser {
        id: user,
        email,
        name: DisplayName::parse("Bench").map_err(|e| e.to_string())?,
        password_hash: "!".to_owned(),
        is_superuser: false,
        membership: Some((workspace, Role::Admin)),
        at: now(),
    };
    store
        .create_user(new_user, &AuditEntry::by_system(Some(workspace), "user.create", user, "cli"))
        .await
        .map_err(|e| e.to_string())?;
    let secret = generate_secret("cbk");
    let token = NewToken {
        id: TokenId::new(),
        kind: TokenKind::Api,
        secret_hash: secret.hash,
        user_id: user,
        workspace_id: Some(workspace),
        name: "bench".to_owned(),
        prefix: secret.prefix,
        at: now(),
        expires_at: None,
    };
    store.create_token(token, None).await.map_err(|e| e.to_string())?;
    Ok((workspace, secret.secret, calls))
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// Sequential requests: latency percentiles in ms.
async fn latency(target: &Target, path: &str, requests: usize) -> Result<(f64, f64), String> {
    let mut times = Vec::with_capacity(requests);
    // Warm the caches first, as a running server would be.
    for _ in 0..5 {
        target.get(path).send().await.map_err(|e| e.to_string())?;
    }
    for _ in 0..requests {
        let started = Instant::now();
        let response = target.get(path).send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        response.bytes().await.map_err(|e| e.to_string())?;
        times.push(started.elapsed());
        if !status.is_success() {
            return Err(format!("GET {path} answered {status}"));
        }
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}

/// CPU time this process has used (user + system), from `/proc/self/stat`; `None` where
/// that is not available. Throughput swings with whatever else the machine runs; CPU time
/// per request much less.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux we run on.
    Some(Duration::from_millis(ticks * 10))
}

/// What a throughput run measured.
struct Rate {
    per_second: f64,
    /// CPU time of the whole process (server, client and database) per successful request.
    cpu_us: Option<f64>,
}

/// `clients` concurrent loops for `seconds`: successful requests per second.
async fn throughput<F, Fut>(clients: usize, seconds: u64, request: F) -> Rate
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let ok = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = process_cpu();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (request, ok, counter) = (request.clone(), ok.clone(), counter.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    if request(n).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    #[allow(clippy::cast_precision_loss)]
    let done = ok.load(Ordering::Relaxed) as f64;
    let cpu_us = cpu_before
        .zip(process_cpu())
        .map(|(before, after)| (after - before).as_secs_f64() * 1e6 / done.max(1.0));
    Rate { per_second: done / started.elapsed().as_secs_f64(), cpu_us }
}

/// A 2xx whose body arrived whole (read, so the connection is reused as a real client would).
async fn succeeded(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
        Err(_) => false,
    }
}

async fn some_call(store: &SqlStore, workspace: WorkspaceId) -> Result<Value, String> {
    let page = CallPageRequest {
        sort: CallSort::StartedAt,
        order: SortOrder::Descending,
        after: None,
        limit: 1,
    };
    let filter = CallFilter { has_recording: Some(true), ..CallFilter::default() };
    let calls = store.list_calls(workspace, &filter, &page).await.map_err(|e| e.to_string())?;
    let call = calls.items.into_iter().next().ok_or("the workspace has no calls")?;
    Ok(json!({
        "user_id": call.user_id,
        "suffix": call.remote_number().map(|n| n.chars().rev().take(4).collect::<String>().chars().rev().collect::<String>()),
        "started_at": call.started_at,
    }))
}

async fn bench_one(url: &str, args: &BenchArgs, rows: &mut Vec<Row>) -> Result<(), String> {
    let tuning = SqliteTuning::default();
    let store = SqlStore::connect(url, &tuning).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let database = store.backend().as_str().to_owned();
    let (workspace, token, calls) = bench_token(&store).await?;
    let sample = some_call(&store, workspace).await?;

    let mut settings = Settings::with_database(url.to_owned(), std::env::temp_dir());
    settings.rate_limit_ip = None;
    settings.rate_limit_token = None;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = CancellationToken::new();
    let state = AppState::new(Arc::new(store.clone()), settings).map_err(|e| e.to_string())?;
    let server = tokio::spawn(callbase_server::serve(listener, state, shutdown.clone()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()
        .map_err(|e| e.to_string())?;
    let target = Arc::new(Target { base: format!("http://{address}"), token, client });
    let row = |measure: &str, p50: Option<f64>, p99: Option<f64>, rate: Option<f64>| Row {
        database: database.clone(),
        calls,
        measure: measure.to_owned(),
        p50_ms: p50,
        p99_ms: p99,
        per_second: rate,
    };

    if !args.no_ingest {
        let t = target.clone();
        let ceiling = throughput(args.clients, args.seconds, move |_| {
            let t = t.clone();
            async move { succeeded(t.client.get(format!("{}/healthz", t.base)).send().await).await }
        })
        .await;
        eprintln!(
            "  no-op ceiling: {:.0}/s, {:.0} µs CPU each",
            ceiling.per_second,
            ceiling.cpu_us.unwrap_or(0.0)
        );
        rows.push(row("no-op GET /healthz (ceiling)", None, None, Some(ceiling.per_second)));
        // Calls to append events to, one per client.
        let mut ids = Vec::new();
        for i in 0..args.clients {
            let body = json!({ "direction": "inbound", "from_number": format!("+4930555{i:04}") });
            let response = target
                .client
                .post(format!("{}/api/v1/calls", target.base))
                .bearer_auth(&target.token)
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let created: Value = response.json().await.map_err(|e| e.to_string())?;
            ids.push(created["id"].as_str().unwrap_or_default().to_owned());
        }
        let ids = Arc::new(ids);
        let t = target.clone();
        let events = throughput(args.clients, args.seconds, move |n| {
            let (t, ids) = (t.clone(), ids.clone());
            async move {
                #[allow(clippy::cast_possible_truncation)]
                let id = &ids[n as usize % ids.len()];
                let body = json!({ "type": "dtmf", "data": { "digits": (n % 10).to_string() } });
                let request = t
                    .client
                    .post(format!("{}/api/v1/calls/{id}/events", t.base))
                    .bearer_auth(&t.token)
                    .json(&body);
                succeeded(request.send().await).await
            }
        })
        .await;
        eprintln!(
            "  events: {:.0}/s, {:.0} µs CPU each",
            events.per_second,
            events.cpu_us.unwrap_or(0.0)
        );
        rows.push(row("ingest POST /calls/{id}/events", None, None, Some(events.per_second)));
        let t = target.clone();
        let created = throughput(args.clients, args.seconds, move |n| {
            let t = t.clone();
            async move {
                let body = json!({ "direction": "inbound", "source": "bench", "external_id": format!("b{n}-{}", now().as_microsecond()), "from_number": "+49301234567" });
                succeeded(t.client.post(format!("{}/api/v1/calls", t.base)).bearer_auth(&t.token).json(&body).send().await).await
            }
        })
        .await;
        eprintln!(
            "  new calls: {:.0}/s, {:.0} µs CPU each",
            created.per_second,
            created.cpu_us.unwrap_or(0.0)
        );
        rows.push(row("ingest POST /calls (new call)", None, None, Some(created.per_second)));
    }

    let since = sample["started_at"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(now);
    let week_before = since.checked_sub(jiff::SignedDuration::from_hours(24 * 7)).unwrap_or(since);
    let user = sample["user_id"].as_str().unwrap_or_default();
    let suffix = sample["suffix"].as_str().unwrap_or("0000");
    let queries = [
        ("GET /calls (no filter)", "/api/v1/calls".to_owned()),
        ("GET /calls?status=missed", "/api/v1/calls?status=missed".to_owned()),
        ("GET /calls?status=on_hold (rare)", "/api/v1/calls?status=on_hold".to_owned()),
        ("GET /calls?direction=internal", "/api/v1/calls?direction=internal".to_owned()),
        ("GET /calls?source=placetel", "/api/v1/calls?source=placetel".to_owned()),
        ("GET /calls?user_id=…", format!("/api/v1/calls?user_id={user}")),
        ("GET /calls?number=<4 digits>", format!("/api/v1/calls?number={suffix}")),
        ("GET /calls?from&to (a week)", format!("/api/v1/calls?from={week_before}&to={since}")),
        ("GET /calls?min_duration=3600", "/api/v1/calls?min_duration=3600".to_owned()),
        ("GET /calls?max_duration=5", "/api/v1/calls?max_duration=5".to_owned()),
        ("GET /calls?has_recording=true", "/api/v1/calls?has_recording=true".to_owned()),
        ("GET /calls?tag=complaint", "/api/v1/calls?tag=complaint".to_owned()),
        ("GET /calls?q=callback", "/api/v1/calls?q=callback".to_owned()),
        ("GET /calls?sort=-duration", "/api/v1/calls?sort=-duration".to_owned()),
        ("GET /calls/stats?period=month", "/api/v1/calls/stats?period=month".to_owned()),
        (
            "GET /calls/stats (30 days, by user)",
            format!(
                "/api/v1/calls/stats?period=custom&from={}&to={since}&group_by=user",
                since.checked_sub(jiff::SignedDuration::from_hours(24 * 30)).unwrap_or(since)
            ),
        ),
        ("baseline GET /users/me", "/api/v1/users/me".to_owned()),
    ];
    for (label, path) in queries {
        if args.ingest_only {
            break;
        }
        let (p50, p99) = latency(&target, &path, args.requests).await?;
        eprintln!("  {label}: p50 {p50:.2} ms, p99 {p99:.2} ms");
        rows.push(row(label, Some(p50), Some(p99), None));
    }
    shutdown.cancel();
    let _ = server.await;
    store.close().await;
    Ok(())
}

pub async fn run(args: BenchArgs) -> Result<(), String> {
    if args.sqlite.is_empty() && args.postgres.is_empty() {
        return Err(
            "give --sqlite URL and/or --postgres URL of databases filled by demo-data".to_owned()
        );
    }
    let mut rows = Vec::new();
    for url in args.sqlite.iter().chain(&args.postgres) {
        eprintln!("benchmarking {url} …");
        bench_one(url, &args, &mut rows).await?;
    }
    println!("| database | calls | measure | p50 ms | p99 ms | per second |");
    println!("|---|---:|---|---:|---:|---:|");
    let cell = |value: Option<f64>, digits: usize| {
        value.map_or_else(String::new, |v| format!("{v:.digits$}"))
    };
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.database,
            row.calls,
            row.measure,
            cell(row.p50_ms, 2),
            cell(row.p99_ms, 2),
            cell(row.per_second, 0)
        );
    }
    Ok(())
}
