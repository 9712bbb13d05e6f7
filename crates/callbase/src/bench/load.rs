//! The bench's HTTP clients: sequential requests for latency, concurrent loops for
//! throughput, and the process's CPU time around them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The in-process server under test and a client with the bench's API token.
pub struct Target {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl Target {
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token)
    }
}

/// Latencies of one query, in ms.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// The first request of this query on a freshly started server, before any warm-up:
    /// its database pages may still be on disk or only in the operating system's cache.
    pub first: f64,
    pub p50: f64,
    pub p99: f64,
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// One GET, timed to the last byte of the body; fails on anything but a 2xx.
async fn timed(target: &Target, path: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let response = target.get(path).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("GET {path} answered {status}"));
    }
    Ok(started.elapsed())
}

/// The first request, then 4 warm-ups (caches warm, as on a running server), then
/// `requests` sequential ones for the percentiles.
pub async fn latency(target: &Target, path: &str, requests: usize) -> Result<Latency, String> {
    let first = timed(target, path).await?;
    for _ in 0..4 {
        timed(target, path).await?;
    }
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        times.push(timed(target, path).await?);
    }
    times.sort();
    Ok(Latency {
        first: first.as_secs_f64() * 1000.0,
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
    })
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
pub struct Rate {
    pub per_second: f64,
    /// CPU time of the whole process (server, client and database) per successful request.
    pub cpu_us: Option<f64>,
}

/// `clients` concurrent loops for `seconds`: successful requests per second.
pub async fn throughput<F, Fut>(clients: usize, seconds: u64, request: F) -> Rate
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
pub async fn succeeded(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
        Err(_) => false,
    }
}
