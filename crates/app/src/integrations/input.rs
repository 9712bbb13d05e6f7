//! What an integration may be created with: the config each kind takes, its secrets, and the
//! ones the server generates when they are omitted.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callbase_domain::{DisplayName, IntegrationKind};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// A new integration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationIn {
    #[serde(rename = "type")]
    pub kind: IntegrationKind,
    pub name: DisplayName,
    /// Settings that are not secret: `account_sid` for Twilio, `tenant_id` and `client_id`
    /// for Teams; none for the others.
    #[serde(default)]
    pub config: Map<String, Value>,
    /// `auth_token` (Twilio), `shared_secret` (Placetel), `signing_secret` (SIP webhook,
    /// recorder), `client_secret` (Teams). Placetel's and the signing secrets are generated
    /// when omitted and shown once in the answer.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl utoipa::PartialSchema for IntegrationIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::schema::integration_in()
    }
}

impl ToSchema for IntegrationIn {}

/// `null` or omitted leaves a field as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationPatchIn {
    pub name: Option<DisplayName>,
    /// Replaces the whole config.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Map<String, Value>>,
}

/// New secrets: those given replace the old ones; those the server makes and that are not
/// given are generated anew and shown once.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsIn {
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl utoipa::PartialSchema for SecretsIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::schema::secrets_in()
    }
}

impl ToSchema for SecretsIn {}

const MAX_SECRET_CHARS: usize = 256;

/// The config as the kind takes it: every setting it needs, nothing else.
pub(super) fn checked_config(
    kind: IntegrationKind,
    config: Map<String, Value>,
) -> AppResult<Map<String, Value>> {
    let names = kind.config_names();
    if let Some(unknown) = config.keys().find(|key| !names.contains(&key.as_str())) {
        return Err(AppError::invalid(
            &format!("config.{unknown}"),
            format!("a {kind} integration takes {}", listed(names)),
        ));
    }
    for name in names {
        let field = format!("config.{name}");
        let Some(value) = config.get(*name).and_then(Value::as_str) else {
            return Err(AppError::invalid(&field, "required, as text"));
        };
        let valid = match (kind, *name) {
            (IntegrationKind::Twilio, "account_sid") => is_account_sid(value),
            (IntegrationKind::Teams, _) => is_guid(value),
            _ => !value.trim().is_empty() && value.len() <= 200,
        };
        if !valid {
            let expected = match kind {
                IntegrationKind::Twilio => "`AC` and 32 hexadecimal digits",
                _ => "a GUID",
            };
            return Err(AppError::invalid(&field, format!("expected {expected}")));
        }
    }
    Ok(config)
}

/// `AC` and 32 lowercase hexadecimal digits, as Twilio writes account SIDs.
fn is_account_sid(value: &str) -> bool {
    value.len() == 34
        && value.starts_with("AC")
        && value[2..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A GUID written as Microsoft writes them: 8-4-4-4-12 hexadecimal digits.
fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn listed(names: &[&str]) -> String {
    if names.is_empty() { "no config".to_owned() } else { names.join(", ") }
}

use super::schema::generated_by_us;

/// Every secret the kind holds: the given ones checked, the ones the server makes generated
/// where omitted (returned apart, to show once).
pub(super) fn complete_secrets(
    kind: IntegrationKind,
    given: &BTreeMap<String, String>,
) -> AppResult<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    let names = kind.secret_names();
    if let Some(unknown) = given.keys().find(|key| !names.contains(&key.as_str())) {
        return Err(AppError::invalid(
            &format!("secrets.{unknown}"),
            format!("a {kind} integration holds {}", listed(names)),
        ));
    }
    let mut secrets = BTreeMap::new();
    let mut generated = BTreeMap::new();
    for name in names {
        let field = format!("secrets.{name}");
        match given.get(*name) {
            Some(value) => {
                let length = value.chars().count();
                if value.trim().is_empty() || length > MAX_SECRET_CHARS || value.trim() != value {
                    return Err(AppError::invalid(
                        &field,
                        "1 to 256 characters, without spaces around them",
                    ));
                }
                secrets.insert((*name).to_owned(), value.clone());
            }
            None if generated_by_us(kind, name) => {
                let secret = new_secret()?;
                secrets.insert((*name).to_owned(), secret.clone());
                generated.insert((*name).to_owned(), secret);
            }
            None => return Err(AppError::invalid(&field, "required")),
        }
    }
    Ok((secrets, generated))
}

/// 32 random bytes, URL-safe: fits any provider console's secret field.
fn new_secret() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| AppError::SecretsUnreadable(err.to_string()))?;
    Ok(format!("cbsec_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    }

    #[test]
    fn each_kind_takes_its_own_config() {
        let sid = "AC0123456789abcdef0123456789abcdef";
        assert!(
            checked_config(IntegrationKind::Twilio, map(json!({ "account_sid": sid }))).is_ok()
        );
        for bad in [json!({}), json!({ "account_sid": "AC1" }), json!({ "account_sid": 5 })] {
            assert!(checked_config(IntegrationKind::Twilio, map(bad)).is_err());
        }
        let extra = map(json!({ "account_sid": sid, "region": "ie1" }));
        assert!(checked_config(IntegrationKind::Twilio, extra).is_err());
        assert!(checked_config(IntegrationKind::Placetel, map(json!({ "x": 1 }))).is_err());
    }

    #[test]
    fn secrets_are_required_or_generated() {
        let given = BTreeMap::from([("auth_token".to_owned(), "f".repeat(32))]);
        let (all, generated) = complete_secrets(IntegrationKind::Twilio, &given).expect("twilio");
        assert_eq!((all.len(), generated.len()), (1, 0));
        assert!(complete_secrets(IntegrationKind::Twilio, &BTreeMap::new()).is_err());
        let (all, generated) =
            complete_secrets(IntegrationKind::Recorder, &BTreeMap::new()).expect("made");
        assert_eq!(all, generated);
        assert!(generated["signing_secret"].starts_with("cbsec_"));
        let unknown = BTreeMap::from([("password".to_owned(), "x".to_owned())]);
        assert!(complete_secrets(IntegrationKind::Placetel, &unknown).is_err());
    }
}
