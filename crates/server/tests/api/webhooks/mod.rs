//! The push sources through HTTP: payloads as the providers' documentation shows them,
//! signed by independent code — Twilio's own `twilio` package (its `RequestValidator`), and
//! Python's `hmac` for Placetel and the callbase-signed webhooks — never by callbase's.

mod others;
mod outbound;
mod twilio;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Runs a Python snippet with `input` as JSON on its standard input; answers what it prints.
fn python(script: &str, input: &Value) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test installs it and the twilio package)");
    child.stdin.take().expect("stdin").write_all(input.to_string().as_bytes()).expect("write");
    let output = child.wait_with_output().expect("python3 finishes");
    assert!(output.status.success(), "python3 failed");
    String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
}

/// `X-Twilio-Signature` as Twilio computes it, by the twilio package's `RequestValidator`.
pub(super) fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let script = "import json, sys\n\
        from twilio.request_validator import RequestValidator\n\
        d = json.load(sys.stdin)\n\
        print(RequestValidator(d['token']).compute_signature(d['url'], dict(d['params'])))";
    python(script, &json!({ "token": auth_token, "url": url, "params": params }))
}

/// `X-PLACETEL-SIGNATURE`: hex HMAC-SHA256 of the body, by Python's `hmac`.
pub(super) fn placetel_signature(secret: &str, body: &str) -> String {
    let script = "import hashlib, hmac, json, sys\n\
        d = json.load(sys.stdin)\n\
        print(hmac.new(d['secret'].encode(), d['body'].encode(), hashlib.sha256).hexdigest())";
    python(script, &json!({ "secret": secret, "body": body }))
}

/// `X-Callbase-Signature` for `body` signed at `t` (unix seconds), by Python's `hmac`.
pub(super) fn callbase_signature(secret: &str, body: &str, t: i64) -> String {
    let script = "import hashlib, hmac, json, sys\n\
        d = json.load(sys.stdin)\n\
        mac = hmac.new(d['secret'].encode(), (str(d['t']) + '.' + d['body']).encode(), hashlib.sha256)\n\
        print('t=%d,v1=%s' % (d['t'], mac.hexdigest()))";
    python(script, &json!({ "secret": secret, "body": body, "t": t }))
}

pub(super) fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A workspace owner's session, the workspace, and an integration made there.
pub(super) struct Connected {
    pub token: String,
    pub workspace: String,
    pub integration: Value,
}

impl Connected {
    pub(super) async fn new(app: &TestApp, email: &str, body: Value) -> Self {
        let (_, token) = app.user(email).await;
        let workspace = app.workspace(&token, "Provider desk").await;
        let reply = app
            .post("/api/v1/integrations")
            .token(&token)
            .header("x-workspace-id", &workspace)
            .json(&body)
            .send()
            .await;
        let integration = reply.expect(201).clone();
        Self { token, workspace, integration }
    }

    pub(super) fn id(&self) -> &str {
        self.integration["id"].as_str().expect("id")
    }

    /// The path of one of its webhooks.
    pub(super) fn hook(&self, leaf: &str) -> String {
        format!("/api/v1/webhooks/{}/{}/{leaf}", self.workspace, self.id())
    }

    pub(super) async fn get(&self, app: &TestApp, path: &str) -> Value {
        let reply =
            app.get(path).token(&self.token).header("x-workspace-id", &self.workspace).send().await;
        reply.expect(200).clone()
    }

    /// The integration as it reads now (counts included).
    pub(super) async fn health(&self, app: &TestApp) -> Value {
        self.get(app, &format!("/api/v1/integrations/{}", self.id())).await
    }
}
