//! A stand-in for a provider's API in tests: a hand-written HTTP/1.1 server on a loopback
//! address that records each request and answers what the test says, one connection each.

use std::sync::Arc;

use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::egress::{AllowEntry, Egress, EgressPolicy};

/// A request as the stand-in read it.
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// What the stand-in answers.
pub(crate) struct Canned {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

impl Canned {
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        let headers = vec![("Content-Type", "application/json; charset=utf-8".to_owned())];
        Self { status, headers, body: body.to_string().into_bytes() }
    }
}

pub(crate) type Answer = Arc<dyn Fn(&Seen) -> Canned + Send + Sync>;

/// Starts a stand-in on `ip` (port 0) answering every request with `answer`; returns its base
/// URL and the requests it saw.
pub(crate) async fn stand_in(ip: &str, answer: Answer) -> (Url, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind a loopback port");
    let base = Url::parse(&format!("http://{}", listener.local_addr().expect("addr")))
        .expect("a base URL");
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (answer, seen_tx) = (Arc::clone(&answer), seen_tx.clone());
            tokio::spawn(async move {
                let Some(seen) = read_request(&mut stream).await else { return };
                let canned = answer(&seen);
                let _ = seen_tx.send(seen);
                let mut head = format!("HTTP/1.1 {} Stand-in\r\n", canned.status);
                for (name, value) in &canned.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    canned.body.len()
                ));
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&canned.body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (base, seen_rx)
}

/// Reads one HTTP/1.1 request with a `Content-Length` body (all reqwest sends here).
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let read = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (request_line.next()?.to_owned(), request_line.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Seen { method, target, headers, body })
}

/// An egress client that may reach `allowed` (loopback addresses, where stand-ins listen).
pub(crate) fn egress(allowed: &[&str]) -> Egress {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let entries: Vec<AllowEntry> =
        allowed.iter().map(|raw| AllowEntry::parse(raw).expect("an entry")).collect();
    Egress::new(EgressPolicy::new(&entries)).expect("an egress client")
}
