//! Issue 14's ingest figure: signed Twilio voice status callbacks per second, each answered
//! only once durably committed. Every four callbacks are one call's initiated, ringing,
//! in-progress and completed, so a quarter create a call and the rest move one.

use std::sync::Arc;

use callbase_domain::ingest::twilio::{SignatureAlgorithm, compute_signature};
use serde_json::{Value, json};

use super::load::{Rate, Target, succeeded, throughput};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "benchbenchbenchbenchbenchbench00";
const STATUSES: [&str; 4] = ["initiated", "ringing", "in-progress", "completed"];

/// Connects a Twilio integration in the target's workspace; answers its voice webhook URL.
async fn connect(target: &Target) -> Result<String, String> {
    let body = json!({
        "type": "twilio",
        "name": format!("bench {}", callbase_domain::now().as_microsecond()),
        "config": { "account_sid": ACCOUNT },
        "secrets": { "auth_token": AUTH_TOKEN },
    });
    let response = target
        .client
        .post(format!("{}/api/v1/integrations", target.base))
        .bearer_auth(&target.token)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let created: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "creating the bench's Twilio integration answered {status}: {created}"
        ));
    }
    let workspace = created["workspace_id"].as_str().unwrap_or_default();
    let id = created["id"].as_str().unwrap_or_default();
    Ok(format!("{}/api/v1/webhooks/{workspace}/{id}/twilio/voice", target.base))
}

/// The `n`th callback: its form fields, in the order Twilio sends them.
fn callback(run: u64, n: u64) -> Vec<(String, String)> {
    #[allow(clippy::cast_possible_truncation)]
    let status = STATUSES[(n % 4) as usize];
    let mut fields = vec![
        ("AccountSid", ACCOUNT.to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("CallSid", format!("CA{run:016x}{:016x}", n / 4)),
        ("CallStatus", status.to_owned()),
        ("CallbackSource", "call-progress-events".to_owned()),
        ("Direction", "outbound-api".to_owned()),
        ("From", "+14155552345".to_owned()),
        ("SequenceNumber", (n % 4).to_string()),
        ("To", "+14155551212".to_owned()),
    ];
    if status == "completed" {
        fields.push(("CallDuration", "30".to_owned()));
    }
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Signed callbacks per second.
pub async fn callbacks(target: &Arc<Target>, clients: usize, seconds: u64) -> Result<Rate, String> {
    let url = Arc::new(connect(target).await?);
    #[allow(clippy::cast_sign_loss)]
    let run = callbase_domain::now().as_microsecond() as u64;
    let t = target.clone();
    // One counter numbers the callbacks of every client: a call's four may arrive at once
    // and out of order, as Twilio's can.
    Ok(throughput(clients, seconds, move |n| {
        let (t, url) = (t.clone(), url.clone());
        async move {
            let fields = callback(run, n);
            let signature = compute_signature(
                SignatureAlgorithm::HmacSha1,
                AUTH_TOKEN.as_bytes(),
                &url,
                &fields,
            );
            let body = serde_urlencoded::to_string(&fields).unwrap_or_default();
            let request = t
                .client
                .post(url.as_str())
                .header("x-twilio-signature", signature)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            succeeded(request.send().await).await
        }
    })
    .await)
}
