//! `callbase bench`: the PERF-1, 2, 3 and 5 figures against real servers on SQLite and
//! PostgreSQL, in one run, each next to its target and a baseline measured the same way in
//! the same run.
//!
//! PERF-5 (start-up and memory) spawns this binary as `callbase serve`. For the others the
//! server runs in this process on 127.0.0.1 with rate limits off; the load comes from HTTP
//! clients in the same process, so client and server share the machine's cores, for the
//! measured endpoint and for its baseline alike.

mod footprint;
mod load;
mod queries;
mod summary;
mod twilio;

use std::sync::Arc;
use std::time::Duration;

use callbase_domain::call::Counters;
use callbase_domain::{
    DisplayName, Email, Role, TimeZoneName, Timestamp, TokenId, UserId, WorkspaceId, now,
};
use callbase_server::auth::{generate_secret, hash_password};
use callbase_server::{AppState, Settings};
use callbase_store::{
    Admin, AuditEntry, CallFilter, CallPageRequest, CallSort, CallStore, NewToken, NewUser,
    NewWorkspace, SortOrder, SqlStore, SqliteTuning, StatsGroup, TokenKind, TokenStore, UserStore,
    WorkspaceFilter, WorkspaceStore,
};
use clap::Args;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use footprint::{Footprint, Login};
use load::{Latency, Target, succeeded, throughput};
use summary::Figures;

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
    /// Starts of `callbase serve` whose median is the start-up figure (PERF-5).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    pub starts: u16,
    /// Seconds memory is followed after the spawned server's one login (PERF-5).
    #[arg(long, default_value_t = 15)]
    pub settle: u64,
    /// Skip the ingest measurement (it adds timeline entries to the database).
    #[arg(long, conflicts_with = "ingest_only")]
    pub no_ingest: bool,
    /// Measure only ingest (no history and statistics latencies).
    #[arg(long)]
    pub ingest_only: bool,
}

/// One row of the detailed table.
struct Row {
    database: String,
    calls: i64,
    measure: String,
    latency: Option<Latency>,
    per_second: Option<f64>,
}

/// What the bench made in the database: API tokens, and an account to log in with.
struct BenchAccount {
    workspace: WorkspaceId,
    calls: i64,
    /// For the demo workspace (history and statistics).
    token: String,
    /// For a workspace of the bench's own, which ingest fills: the calls it creates would
    /// otherwise be the newest of the demo workspace, and every later run's history pages
    /// would start with them.
    ingest_token: String,
    login: Login,
}

async fn api_token(
    store: &SqlStore,
    user: UserId,
    workspace: WorkspaceId,
    name: &str,
) -> Result<String, String> {
    let secret = generate_secret("cbk");
    let token = NewToken {
        id: TokenId::new(),
        kind: TokenKind::Api,
        secret_hash: secret.hash,
        user_id: user,
        workspace_id: Some(workspace),
        name: name.to_owned(),
        prefix: secret.prefix,
        at: now(),
        expires_at: None,
    };
    store.create_token(token, None).await.map_err(|e| e.to_string())?;
    Ok(secret.secret)
}

/// A user with a password and API tokens for the bench, in the workspace with the most
/// calls, and a workspace of its own for ingest.
async fn bench_account(store: &SqlStore) -> Result<BenchAccount, String> {
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
    let email = format!("bench-{user}@example.com");
    let password = generate_secret("pw").secret;
    // The same Argon2 parameters as every account: PERF-5's login costs what a real one does.
    let password_hash = hash_password(password.clone()).await.map_err(|e| e.message)?;
    let new_user = NewUser {
        id: user,
        email: Email::parse(&email).map_err(|e| e.to_string())?,
        name: DisplayName::parse("Bench").map_err(|e| e.to_string())?,
        password_hash,
        is_superuser: false,
        membership: Some((workspace, Role::Admin)),
        at: now(),
    };
    store
        .create_user(new_user, &AuditEntry::by_system(Some(workspace), "user.create", user, "cli"))
        .await
        .map_err(|e| e.to_string())?;
    let token = api_token(store, user, workspace, "bench").await?;
    let scratch = NewWorkspace {
        id: WorkspaceId::new(),
        name: DisplayName::parse("Bench ingest").map_err(|e| e.to_string())?,
        time_zone: TimeZoneName::utc(),
        region: None,
        at: now(),
    };
    let audit = AuditEntry::by_system(Some(scratch.id), "workspace.create", scratch.id, "cli");
    let scratch =
        store.create_workspace(scratch, Some(user), &audit).await.map_err(|e| e.to_string())?;
    let ingest_token = api_token(store, user, scratch.id, "bench ingest").await?;
    Ok(BenchAccount { workspace, calls, token, ingest_token, login: Login { email, password } })
}

/// The newest demo call (demo calls may have recordings; the bench's own never do): its
/// user, the last digits of its number and when it started.
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

/// Ingest throughput: the no-op ceiling, timeline entries, new calls.
async fn bench_ingest(
    target: &Arc<Target>,
    args: &BenchArgs,
    figures: &mut Figures,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
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
    figures.noop = Some(ceiling.per_second);
    rows.push(row(figures, "no-op GET /healthz (ceiling)", None, Some(ceiling.per_second)));
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
    figures.events = Some(events.per_second);
    rows.push(row(figures, "ingest POST /calls/{id}/events", None, Some(events.per_second)));
    let twilio = twilio::callbacks(target, args.clients, args.seconds).await?;
    eprintln!(
        "  Twilio callbacks: {:.0}/s, {:.0} µs CPU each",
        twilio.per_second,
        twilio.cpu_us.unwrap_or(0.0)
    );
    figures.twilio = Some(twilio.per_second);
    rows.push(row(figures, "ingest signed Twilio status callbacks", None, Some(twilio.per_second)));
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
    rows.push(row(figures, "ingest POST /calls (new call)", None, Some(created.per_second)));
    Ok(())
}

fn row(figures: &Figures, measure: &str, latency: Option<Latency>, rate: Option<f64>) -> Row {
    Row {
        database: figures.database.clone(),
        calls: figures.calls,
        measure: measure.to_owned(),
        latency,
        per_second: rate,
    }
}

async fn bench_one(url: &str, args: &BenchArgs, rows: &mut Vec<Row>) -> Result<Figures, String> {
    let tuning = SqliteTuning::default();
    let store = SqlStore::connect(url, &tuning).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let database = store.backend().as_str().to_owned();
    let account = bench_account(&store).await?;
    let mut figures = Figures { database, calls: account.calls, ..Figures::default() };
    let sample = some_call(&store, account.workspace).await?;
    let newest = sample["started_at"]
        .as_str()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .ok_or("the newest call has no start time")?;
    let windows = queries::stats_windows(&store, account.workspace, newest).await?;
    eprintln!(
        "  PERF-3 windows: {} to {} and {} to {}",
        windows.aligned.0, windows.aligned.1, windows.unaligned.0, windows.unaligned.1
    );

    // PERF-5 first, before this process's server and load touch the database.
    let footprint = footprint::measure(
        url,
        usize::from(args.starts),
        Duration::from_secs(args.settle),
        &account.login,
    )
    .await?;
    print_footprint(&footprint);
    figures.footprint = Some(footprint);

    let mut settings = Settings::with_database(url.to_owned(), std::env::temp_dir());
    settings.rate_limit_ip = None;
    settings.rate_limit_token = None;
    // A key of this run's own: integration secrets are sealed, and nothing is left behind.
    let key = callbase_app::secrets::SecretKey::generate().map_err(|e| e.to_string())?;
    settings.secret_key = Some(callbase_server::Secret::new(key.to_base64()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = CancellationToken::new();
    let state = AppState::new(Arc::new(store.clone()), settings).map_err(|e| e.to_string())?;
    let server = tokio::spawn(callbase_server::serve(listener, state, shutdown.clone()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()
        .map_err(|e| e.to_string())?;
    let base = format!("http://{address}");
    let target = Target { base: base.clone(), token: account.token, client: client.clone() };

    // Statistics and history before ingest: their first requests are then the first this
    // server makes, and the windows hold only demo data.
    if !args.ingest_only {
        queries::bench_queries(&target, args, &sample, &windows, &mut figures, rows).await?;
    }
    if !args.no_ingest {
        let target = Arc::new(Target { base, token: account.ingest_token, client });
        bench_ingest(&target, args, &mut figures, rows).await?;
    }
    shutdown.cancel();
    let _ = server.await;
    store.close().await;
    Ok(figures)
}

fn print_footprint(footprint: &Footprint) {
    let starts: Vec<String> = footprint.ready_ms.iter().map(|ms| format!("{ms:.0}")).collect();
    eprintln!(
        "  start-up to ready: median {:.0} ms ({} ms); idle {:.1} MB; after one login: peak \
         {:.1} MB, {:.1} MB at the end, back within 1 MB after {:.1} s",
        footprint.ready_median_ms(),
        starts.join(", "),
        footprint.idle_mb,
        footprint.login_peak_mb,
        footprint.settled_mb,
        footprint.held.as_secs_f64()
    );
}

pub async fn run(args: BenchArgs) -> Result<(), String> {
    if args.sqlite.is_empty() && args.postgres.is_empty() {
        return Err(
            "give --sqlite URL and/or --postgres URL of databases filled by demo-data".to_owned()
        );
    }
    let mut rows = Vec::new();
    let mut all = Vec::new();
    for url in args.sqlite.iter().chain(&args.postgres) {
        eprintln!("benchmarking {url} …");
        all.push(bench_one(url, &args, &mut rows).await?);
    }
    println!("| database | calls | measure | first ms | p50 ms | p99 ms | per second |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    let cell = |value: Option<f64>, digits: usize| {
        value.map_or_else(String::new, |v| format!("{v:.digits$}"))
    };
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.database,
            row.calls,
            row.measure,
            cell(row.latency.map(|l| l.first), 2),
            cell(row.latency.map(|l| l.p50), 2),
            cell(row.latency.map(|l| l.p99), 2),
            cell(row.per_second, 0)
        );
    }
    summary::print(&all);
    Ok(())
}
