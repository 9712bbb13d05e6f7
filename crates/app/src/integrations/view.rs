//! How an integration reads from outside: never its secrets (only whether each is set), its
//! webhook URLs, and its health.

use std::collections::BTreeMap;

use callbase_domain::{IntegrationId, IntegrationKind, Timestamp, WorkspaceId};
use callbase_store::Integration;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The URLs to paste into the provider's console.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct WebhookUrls {
    /// Twilio: the voice status callback (also the number's "call status changes" URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    /// Twilio: the recording status callback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_status_callback: Option<String>,
    /// Placetel: the Notify API URL; SIP webhook and recorder: where to post events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<String>,
}

/// An integration (secrets never included).
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationOut {
    pub id: IntegrationId,
    pub workspace_id: WorkspaceId,
    #[serde(rename = "type")]
    pub kind: IntegrationKind,
    pub name: String,
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_set: Option<bool>,
    /// Secrets the server generated just now: shown this once, never again.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    pub webhook_urls: WebhookUrls,
    /// Events accepted from the provider.
    pub events_received: u64,
    pub last_event_at: Option<Timestamp>,
    /// Requests refused because their signature did not verify: a count above zero usually
    /// means a wrong secret or URL in the provider's console.
    pub signature_failures: u64,
    pub last_signature_failure_at: Option<Timestamp>,
    pub last_signature_failure_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The path of an integration's webhooks under the API, after `/api/v1`.
#[must_use]
pub fn webhook_path(integration: &Integration, leaf: &str) -> String {
    format!("/webhooks/{}/{}/{leaf}", integration.workspace_id, integration.id)
}

impl IntegrationOut {
    pub(super) fn new(
        integration: Integration,
        base_url: &str,
        generated: BTreeMap<String, String>,
    ) -> Self {
        let url = |leaf: &str| {
            Some(format!(
                "{}/api/v1{}",
                base_url.trim_end_matches('/'),
                webhook_path(&integration, leaf)
            ))
        };
        let webhook_urls = match integration.kind {
            IntegrationKind::Twilio => WebhookUrls {
                status_callback: url("twilio/voice"),
                recording_status_callback: url("twilio/recording"),
                events: None,
            },
            IntegrationKind::Placetel => {
                WebhookUrls { events: url("placetel"), ..WebhookUrls::default() }
            }
            IntegrationKind::SipWebhook => {
                WebhookUrls { events: url("sip"), ..WebhookUrls::default() }
            }
            IntegrationKind::Recorder => {
                WebhookUrls { events: url("recorder"), ..WebhookUrls::default() }
            }
            IntegrationKind::Teams => WebhookUrls::default(),
        };
        let set = |name: &str| {
            integration
                .kind
                .secret_names()
                .contains(&name)
                .then(|| integration.secret_names.contains(name))
        };
        Self {
            auth_token_set: set("auth_token"),
            shared_secret_set: set("shared_secret"),
            signing_secret_set: set("signing_secret"),
            client_secret_set: set("client_secret"),
            id: integration.id,
            workspace_id: integration.workspace_id,
            kind: integration.kind,
            name: integration.name.as_str().to_owned(),
            config: integration.config,
            secrets: generated,
            webhook_urls,
            events_received: integration.events_received,
            last_event_at: integration.last_event_at,
            signature_failures: integration.signature_failures,
            last_signature_failure_at: integration.last_signature_failure_at,
            last_signature_failure_reason: integration.last_signature_failure_reason,
            created_at: integration.created_at,
            updated_at: integration.updated_at,
        }
    }
}
