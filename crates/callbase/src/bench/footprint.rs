//! PERF-5 in `callbase bench`: start-up to ready and resident memory of the real server,
//! this binary spawned as `callbase serve` on the benchmarked database (the rest of the
//! bench runs its server in-process, where the bench's own clients would be counted too).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// How long the server may take to answer `/readyz` (a first start may migrate).
const READY_DEADLINE: Duration = Duration::from_secs(120);
/// How long to wait after ready before reading idle memory (PERF-5's method).
const IDLE_AFTER_READY: Duration = Duration::from_secs(2);
/// How often memory is read after the login.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Memory within this much of the final figure counts as returned.
const RETURNED_WITHIN_MB: f64 = 1.0;

/// An account the spawned server can log in with.
pub struct Login {
    pub email: String,
    pub password: String,
}

/// What PERF-5 measured on one database.
pub struct Footprint {
    /// Exec to the first 200 from `/readyz`, each start, in ms.
    pub ready_ms: Vec<f64>,
    /// `VmRSS` 2 s after ready, before any request but `/readyz`, in MB (as BENCHMARKS.md
    /// has always counted them: `/proc`'s kB divided by 1024).
    pub idle_mb: f64,
    /// Highest `VmRSS` after one login.
    pub login_peak_mb: f64,
    /// `VmRSS` at the end of the settle time after the login.
    pub settled_mb: f64,
    /// From the login's answer until memory came within 1 MB of `settled_mb` for good.
    pub held: Duration,
}

impl Footprint {
    /// The median start-up time in ms.
    pub fn ready_median_ms(&self) -> f64 {
        let mut sorted = self.ready_ms.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
    }
}

/// A spawned `callbase serve`, stopped (SIGTERM, then SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn spawn(url: &str, data_dir: &Path) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
        let port = free_port()?;
        let log = data_dir.join(format!("serve-{port}.log"));
        let stderr = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = Command::new(exe)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", url])
            .arg("--data-dir")
            .arg(data_dir)
            .env("CALLBASE_LOG", "warn")
            .env("CALLBASE_RATE_LIMIT_IP", "off")
            .env("CALLBASE_RATE_LIMIT_TOKEN", "off")
            .env_remove("CALLBASE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start callbase serve: {e}"))?;
        Ok(Self { child, base: format!("http://127.0.0.1:{port}"), log })
    }

    /// Polls `/readyz` until it answers 200; fails early if the server exits.
    async fn wait_ready(&mut self, client: &reqwest::Client) -> Result<(), String> {
        let deadline = Instant::now() + READY_DEADLINE;
        let url = format!("{}/readyz", self.base);
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                return Err(format!("callbase serve exited ({status}) before ready: {log}"));
            }
            if Instant::now() > deadline {
                return Err(format!("callbase serve not ready after {READY_DEADLINE:?}"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn rss_mb(&self) -> Result<f64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("cannot read the server's memory (Linux only): {e}"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .ok_or("no VmRSS in /proc/PID/status")?;
        Ok(kib / 1024.0)
    }

    /// SIGTERM (graceful: SQLite checkpoints its WAL, so the next start is a plain one);
    /// SIGKILL if it has not stopped within 10 s.
    async fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_file(&self.log);
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port nobody listens on now (the server binds it a moment later).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Starts the server `starts` times on `url` for the start-up median; the last one stays up
/// for memory: idle 2 s after ready, then one login, sampled for `settle`.
pub async fn measure(
    url: &str,
    starts: usize,
    settle: Duration,
    login: &Login,
) -> Result<Footprint, String> {
    let data_dir = std::env::temp_dir().join(format!("callbase-bench-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    // A client of its own, talking only to the server it spawned on loopback: it keeps no
    // idle connection, so none holds server memory while idle RSS is read.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut ready_ms = Vec::with_capacity(starts);
    let mut server = None;
    for start in 0..starts.max(1) {
        let started = Instant::now();
        let mut spawned = Server::spawn(url, &data_dir)?;
        spawned.wait_ready(&client).await?;
        ready_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if start + 1 < starts.max(1) {
            spawned.stop().await;
        } else {
            server = Some(spawned);
        }
    }
    let server = server.ok_or("no server was started")?;
    tokio::time::sleep(IDLE_AFTER_READY).await;
    let idle_mb = server.rss_mb()?;

    let response = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({ "email": login.email, "password": login.password }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("the bench login answered {}", response.status()));
    }
    let answered = Instant::now();
    let mut samples = Vec::new();
    while answered.elapsed() < settle {
        samples.push((answered.elapsed(), server.rss_mb()?));
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    server.stop().await;
    let _ = std::fs::remove_dir_all(&data_dir);

    let settled_mb = samples.last().map_or(idle_mb, |&(_, mb)| mb);
    let login_peak_mb = samples.iter().map(|&(_, mb)| mb).fold(idle_mb, f64::max);
    let held = samples
        .iter()
        .rev()
        .find(|&&(_, mb)| mb > settled_mb + RETURNED_WITHIN_MB)
        .map_or(Duration::ZERO, |&(at, _)| at + SAMPLE_EVERY);
    Ok(Footprint { ready_ms, idle_mb, login_peak_mb, settled_mb, held })
}
