//! Starting an outbound call (`POST /calls/outbound`): logged as `initiated`, or with an
//! integration placed through Twilio and taken in as Twilio's first report about it, so the
//! status callbacks that follow (or overtake it) move the same one call.

use callbase_domain::call::{CallReport, CallStart, CallStatus, Direction, Source, stored_number};
use callbase_domain::ingest::twilio::SOURCE as TWILIO;
use callbase_domain::{IntegrationId, IntegrationKind, now};
use callbase_store::{Integration, Reported};
use reqwest::Url;

use super::Actor;
use super::input::text;
use super::intake::{self, CheckedOutbound, Intake, NewOutboundCall};
use crate::egress::Egress;
use crate::error::{AppError, AppResult};
use crate::integrations::{Integrations, require_kind};
use crate::providers::twilio::{
    AccountSid, AuthToken, CallEvent, CallInstructions, CreateCall, TwilioClient, TwilioError,
};

/// What Twilio takes as inline TwiML.
const MAX_TWIML_CHARS: usize = 4000;
/// As for any URL a client gives (`external_url` of a recording).
const MAX_URL_CHARS: usize = 2000;

/// What placing a call through a provider needs besides the caller.
pub struct Dialer<'a> {
    /// The workspace's integrations (and through them the store).
    pub integrations: Integrations<'a>,
    /// The one client for requests leaving the server (REL-5).
    pub egress: &'a Egress,
    /// Where Twilio's API lives (`https://api.twilio.com`, a local stand-in in tests).
    pub twilio_api: &'a str,
    /// The server's externally visible base URL, which Twilio's status callbacks are sent to.
    pub public_url: Option<&'a str>,
}

/// Starts an outbound call. Without `integration_id` it is only logged
/// ([`intake::start_outbound`]). With one, after the same do-not-call and assignment checks,
/// Twilio places it and it is taken in as Twilio's report that it was initiated: `Created`,
/// or `Existing` when a status callback overtook Twilio's answer and created it first.
///
/// Not retried, and not undone: when Twilio's answer is lost the call may still have been
/// placed, and its status callbacks log it.
///
/// # Errors
/// `NumberBlocked` before anything is sent; an invalid field (`twiml` when neither or both of
/// `twiml` and `answer_url` are given, `from_number` when missing); `IntegrationNotFound` for
/// an integration that is not the workspace's or not Twilio's; `PublicUrlRequired`;
/// `Twilio` when Twilio does not place it; the store's.
pub async fn start(
    dialer: &Dialer<'_>,
    actor: &Actor,
    input: NewOutboundCall,
) -> AppResult<Intake> {
    let Some(integration_id) = input.integration_id else {
        return intake::start_outbound(dialer.integrations.store, actor, input).await;
    };
    let store = dialer.integrations.store;
    // The integration first: a request naming none of the workspace's is a 404 whatever else
    // it holds.
    let integration = dialer.integrations.find(actor.workspace, integration_id).await?;
    require_kind(&integration, IntegrationKind::Twilio)?;
    let CheckedOutbound { to_number, user, region } =
        intake::check_outbound(store, actor, &input).await?;
    // The call is Twilio's, under Twilio's call SID: nothing else can name it.
    for (field, given) in
        [("source", input.source.is_some()), ("external_id", input.external_id.is_some())]
    {
        if given {
            return Err(AppError::invalid(field, "set by Twilio for a call placed through it"));
        }
    }
    let instructions = instructions(input.twiml, input.answer_url)?;
    let from = text("from_number", input.from_number, 64)?.ok_or_else(|| {
        AppError::invalid("from_number", "required: the Twilio number the call comes from")
    })?;
    let from = stored_number(&from, region.as_ref());
    let start = CallStart {
        region: region.clone(),
        parent_call_id: None,
        user_id: Some(user),
        agent_id: input.agent_id,
        lead_id: input.lead_id,
        phone_number_id: input.phone_number_id,
        notes: text("notes", input.notes, 10_000)?,
    };
    let base = dialer.public_url.ok_or(AppError::PublicUrlRequired)?;
    let record = input.record.unwrap_or(false);
    let twilio = dialer.twilio(&integration)?;
    let request = CreateCall {
        to: to_number.clone(),
        from: from.clone(),
        instructions,
        status_callback: webhook_url(base, &integration, "twilio/voice")?,
        status_callback_events: CallEvent::ALL.to_vec(),
        record,
        recording_status_callback: record
            .then(|| webhook_url(base, &integration, "twilio/recording"))
            .transpose()?,
        timeout_seconds: None,
    };
    let placed_at = now();
    let created = twilio.create_call(&request).await.map_err(|error| match error {
        TwilioError::Invalid { field, reason } => request_field(integration.id, field, reason),
        error => AppError::Twilio { integration_id: integration.id, error },
    })?;
    let report = CallReport {
        source: Source::parse(TWILIO).expect("twilio is a source name"),
        receipt: format!("{}:api", created.sid),
        external_id: created.sid,
        direction: Some(Direction::Outbound),
        status: Some(CallStatus::Initiated),
        at: placed_at,
        from_number: Some(from),
        from_name: None,
        to_number: Some(to_number.as_str().to_owned()),
        to_name: None,
        talk_seconds: None,
        end_reason: None,
        sip_call_id: None,
        parent_external_id: None,
        raw: created.raw,
    };
    Ok(match intake::take_report_with(store, actor.workspace, &report, start).await? {
        Reported::Created { call, .. } => Intake::Created(call),
        Reported::Updated { call, .. } | Reported::Duplicate(call) => Intake::Existing(call),
    })
}

impl Dialer<'_> {
    /// The integration's Twilio account, at the configured API, through the egress client.
    fn twilio(&self, integration: &Integration) -> AppResult<TwilioClient> {
        let failed = |error| AppError::Twilio { integration_id: integration.id, error };
        let secrets = self.integrations.open_secrets(integration)?;
        let sid = integration.config.get("account_sid").and_then(serde_json::Value::as_str);
        let account = AccountSid::parse(sid.unwrap_or_default()).map_err(failed)?;
        let token = secrets.get("auth_token").cloned().unwrap_or_default();
        let token = AuthToken::new(token).map_err(failed)?;
        let api_base = Url::parse(self.twilio_api).map_err(|_| {
            failed(TwilioError::Invalid { field: "api_base", reason: "is not a URL".to_owned() })
        })?;
        TwilioClient::new(self.egress.clone(), account, token)
            .with_api_base(api_base)
            .map_err(failed)
    }
}

/// Exactly one of `twiml` and `answer_url`: Twilio needs to know what the call does once
/// answered, and a default would place real calls nobody asked for.
fn instructions(twiml: Option<String>, answer_url: Option<String>) -> AppResult<CallInstructions> {
    let twiml = text("twiml", twiml, MAX_TWIML_CHARS)?;
    let answer_url = text("answer_url", answer_url, MAX_URL_CHARS)?;
    match (twiml, answer_url) {
        (Some(twiml), None) => Ok(CallInstructions::Twiml(twiml)),
        (None, Some(url)) => {
            let url = Url::parse(&url)
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
            url.map(CallInstructions::Url)
                .ok_or_else(|| AppError::invalid("answer_url", "must be an http or https URL"))
        }
        (Some(_), Some(_)) => Err(AppError::invalid("twiml", "give twiml or answer_url, not both")),
        (None, None) => Err(AppError::invalid(
            "twiml",
            "required with integration_id, or answer_url: what Twilio does when the callee \
             answers",
        )),
    }
}

/// The URL of one of the integration's webhooks as Twilio reaches it: the public base URL,
/// `/api/v1` and the path the integration answers as its `webhook_urls`.
fn webhook_url(base: &str, integration: &Integration, leaf: &str) -> AppResult<Url> {
    let url = format!(
        "{}/api/v1{}",
        base.trim_end_matches('/'),
        crate::integrations::webhook_path(integration, leaf)
    );
    Url::parse(&url).map_err(|_| AppError::Twilio {
        integration_id: integration.id,
        error: TwilioError::Invalid {
            field: "status_callback",
            reason: "the public URL does not make a URL".to_owned(),
        },
    })
}

/// Twilio's client checks the request once more before sending: what it refuses in a field
/// the caller gave is named as the caller wrote it; anything else is the server's setup.
fn request_field(integration_id: IntegrationId, field: &'static str, reason: String) -> AppError {
    match field {
        "from" => AppError::invalid("from_number", reason),
        "twiml" => AppError::invalid("twiml", reason),
        "url" => AppError::invalid("answer_url", reason),
        _ => AppError::Twilio { integration_id, error: TwilioError::Invalid { field, reason } },
    }
}
