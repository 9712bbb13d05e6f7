//! JSON object bodies (the callbase-signed webhooks), read member by member so that every
//! refusal names the member it is about.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{IngestError, MAX_BODY_BYTES};

/// A JSON object body, bounded and checked against the members an event may have.
pub(crate) struct Members {
    object: Map<String, Value>,
}

impl Members {
    /// Reads `body`, refusing anything but an object, and any member not in `known`.
    pub(crate) fn parse(body: &[u8], known: &[&str]) -> Result<Self, IngestError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(IngestError::BodyTooLarge { limit: MAX_BODY_BYTES });
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| IngestError::NotJsonObject { reason: error.to_string() })?;
        let Value::Object(object) = value else {
            return Err(IngestError::NotJsonObject { reason: "not an object".to_owned() });
        };
        if let Some(unknown) = object.keys().find(|name| !known.contains(&name.as_str())) {
            return Err(IngestError::unknown(unknown));
        }
        Ok(Self { object })
    }

    /// `field` as a `T`; `null` is taken as absent.
    pub(crate) fn optional<T: DeserializeOwned>(
        &self,
        field: &'static str,
    ) -> Result<Option<T>, IngestError> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|error| IngestError::unreadable(field, &error.to_string())),
        }
    }

    pub(crate) fn required<T: DeserializeOwned>(
        &self,
        field: &'static str,
    ) -> Result<T, IngestError> {
        self.optional(field)?.ok_or(IngestError::Missing { field })
    }

    /// A text member that, when given, is not blank.
    pub(crate) fn text(&self, field: &'static str) -> Result<Option<String>, IngestError> {
        let text: Option<String> = self.optional(field)?;
        match text {
            Some(text) if text.trim().is_empty() => {
                Err(IngestError::invalid(field, "is blank", &text))
            }
            text => Ok(text),
        }
    }

    /// The object as received, for a report's `raw`.
    pub(crate) fn into_raw(self) -> Value {
        Value::Object(self.object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_member() {
        let known = ["event", "sip_code", "from_name"];
        let parse = |body: &str| Members::parse(body.as_bytes(), &known);
        assert!(matches!(parse("[]"), Err(IngestError::NotJsonObject { .. })));
        assert!(matches!(parse("{"), Err(IngestError::NotJsonObject { .. })));
        assert_eq!(
            parse(r#"{"sipcode": 486}"#).err(),
            Some(IngestError::Unknown { field: "sipcode".to_owned() })
        );
        let members = parse(r#"{"sip_code": "486", "from_name": " ", "event": null}"#)
            .expect("an object of known members");
        let code = members.optional::<u16>("sip_code");
        assert!(matches!(code, Err(IngestError::Invalid { field: "sip_code", .. })), "{code:?}");
        assert!(members.text("from_name").is_err());
        assert_eq!(
            members.required::<String>("event"),
            Err(IngestError::Missing { field: "event" })
        );
    }
}
