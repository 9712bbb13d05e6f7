//! The telephony sources a workspace connects: what each is called, what it needs, and the
//! source name its calls are logged under.

use std::fmt;
use std::str::FromStr;

use crate::call::{Source, UnknownName};

/// Which provider an integration connects.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    Twilio,
    Placetel,
    SipWebhook,
    Recorder,
    Teams,
}

impl IntegrationKind {
    pub const ALL: &'static [Self] =
        &[Self::Twilio, Self::Placetel, Self::SipWebhook, Self::Recorder, Self::Teams];

    /// The stored and wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Twilio => "twilio",
            Self::Placetel => "placetel",
            Self::SipWebhook => "sip_webhook",
            Self::Recorder => "recorder",
            Self::Teams => "teams",
        }
    }

    /// The source the integration's calls are logged under: a SIP webhook logs `sip` calls,
    /// the same as calls a PBX reports through the API.
    #[must_use]
    pub const fn source_name(self) -> &'static str {
        match self {
            Self::Twilio => "twilio",
            Self::Placetel => "placetel",
            Self::SipWebhook => "sip",
            Self::Recorder => "recorder",
            Self::Teams => "teams",
        }
    }

    #[must_use]
    pub fn source(self) -> Source {
        // Every name above is a valid source (see the test below).
        Source::parse(self.source_name()).expect("integration source names are valid sources")
    }

    /// The settings the integration's config holds, none of them secret.
    #[must_use]
    pub const fn config_names(self) -> &'static [&'static str] {
        match self {
            Self::Twilio => &["account_sid"],
            Self::Teams => &["tenant_id", "client_id"],
            Self::Placetel | Self::SipWebhook | Self::Recorder => &[],
        }
    }

    /// The secrets the integration holds, sealed at rest and never shown again.
    #[must_use]
    pub const fn secret_names(self) -> &'static [&'static str] {
        match self {
            Self::Twilio => &["auth_token"],
            Self::Placetel => &["shared_secret"],
            Self::SipWebhook | Self::Recorder => &["signing_secret"],
            Self::Teams => &["client_secret"],
        }
    }
}

impl fmt::Display for IntegrationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IntegrationKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownName { what: "integration kind", name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_on_the_wire_and_in_storage() {
        for kind in IntegrationKind::ALL {
            assert_eq!(kind.as_str().parse::<IntegrationKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert!("sip".parse::<IntegrationKind>().is_err());
        assert!("Twilio".parse::<IntegrationKind>().is_err());
    }

    #[test]
    fn each_kind_logs_under_its_source() {
        let sources: Vec<_> =
            IntegrationKind::ALL.iter().map(|kind| kind.source().as_str().to_owned()).collect();
        assert_eq!(sources, ["twilio", "placetel", "sip", "recorder", "teams"]);
    }

    #[test]
    fn every_kind_has_a_secret() {
        for kind in IntegrationKind::ALL {
            assert!(!kind.secret_names().is_empty(), "{kind}");
            assert!(kind.config_names().iter().all(|name| !kind.secret_names().contains(name)));
        }
    }
}
