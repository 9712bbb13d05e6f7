//! Form-encoded bodies (`application/x-www-form-urlencoded`), as Twilio and Placetel post them:
//! read once, bounded, and looked up by field name.

use super::{IngestError, MAX_BODY_BYTES, MAX_FORM_FIELDS};

/// The fields of a form body in the order they came, repeated names included (Twilio's
/// signature covers every value).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Reads a raw body. Invalid UTF-8 in a name or value becomes U+FFFD, as the web
    /// frameworks Twilio's own validators run in decode it.
    pub fn parse(body: &[u8]) -> Result<Self, IngestError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(IngestError::BodyTooLarge { limit: MAX_BODY_BYTES });
        }
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if pairs.len() == MAX_FORM_FIELDS {
                return Err(IngestError::TooManyFields { limit: MAX_FORM_FIELDS });
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self { pairs })
    }

    /// A JSON object body read as fields (Twilio's JSON webhooks): strings as they are,
    /// numbers and booleans as written; nested values and `null` are refused.
    pub fn from_json(body: &[u8]) -> Result<Self, IngestError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(IngestError::BodyTooLarge { limit: MAX_BODY_BYTES });
        }
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|error| IngestError::NotJsonObject { reason: error.to_string() })?;
        let serde_json::Value::Object(object) = value else {
            return Err(IngestError::NotJsonObject { reason: "not an object".to_owned() });
        };
        let mut pairs = Vec::with_capacity(object.len());
        for (name, value) in object {
            let text = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::Bool(flag) => flag.to_string(),
                _ => {
                    return Err(IngestError::NotJsonObject {
                        reason: format!("member {name:?} is not text, a number or a boolean"),
                    });
                }
            };
            pairs.push((name, text));
        }
        Self::from_pairs(pairs)
    }

    /// Fields a framework already decoded.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, IngestError> {
        if pairs.len() > MAX_FORM_FIELDS {
            return Err(IngestError::TooManyFields { limit: MAX_FORM_FIELDS });
        }
        Ok(Self { pairs })
    }

    #[must_use]
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of `field`. Given twice it is refused: the two could disagree, and picking
    /// one would be a guess.
    pub(crate) fn get(&self, field: &'static str) -> Result<Option<&str>, IngestError> {
        let mut values = self.pairs.iter().filter(|(name, _)| name == field);
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(IngestError::Repeated { field });
        }
        Ok(first)
    }

    /// The value of `field` unless it is absent or blank (Twilio sends `ToZip=` and the like).
    pub(crate) fn text(&self, field: &'static str) -> Result<Option<&str>, IngestError> {
        Ok(self.get(field)?.filter(|value| !value.trim().is_empty()))
    }

    pub(crate) fn required(&self, field: &'static str) -> Result<&str, IngestError> {
        self.text(field)?.ok_or(IngestError::Missing { field })
    }

    /// A whole number in `field`, when given.
    pub(crate) fn number<T: std::str::FromStr>(
        &self,
        field: &'static str,
        what: &str,
    ) -> Result<Option<T>, IngestError> {
        self.text(field)?
            .map(|value| value.trim().parse().map_err(|_| IngestError::invalid(field, what, value)))
            .transpose()
    }

    /// The form as a JSON object for a report's `raw`: every value a string, and a name given
    /// more than once an array of its values in order, so nothing sent is lost.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for (name, value) in &self.pairs {
            let value = serde_json::Value::String(value.clone());
            match object.get_mut(name) {
                None => {
                    object.insert(name.clone(), value);
                }
                Some(serde_json::Value::Array(values)) => values.push(value),
                Some(first) => {
                    let first = first.take();
                    object.insert(name.clone(), serde_json::Value::Array(vec![first, value]));
                }
            }
        }
        serde_json::Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let form = Form::parse(b"Timestamp=Tue%2C+10+Aug+2021&To=%2B4930&ToZip=").expect("form");
        assert_eq!(form.get("Timestamp"), Ok(Some("Tue, 10 Aug 2021")));
        assert_eq!(form.get("To"), Ok(Some("+4930")));
        assert_eq!(form.text("ToZip"), Ok(None));
        assert_eq!(form.required("ToZip"), Err(IngestError::Missing { field: "ToZip" }));
    }

    #[test]
    fn repeated_fields_are_refused_when_read_and_kept_in_raw() {
        let form = Form::parse(b"Digits=1&Digits=2&Digits=3&To=x").expect("form");
        assert_eq!(form.get("Digits"), Err(IngestError::Repeated { field: "Digits" }));
        assert_eq!(form.to_json(), serde_json::json!({"Digits": ["1", "2", "3"], "To": "x"}));
    }

    #[test]
    fn limits() {
        let big = vec![b'a'; MAX_BODY_BYTES + 1];
        assert_eq!(Form::parse(&big), Err(IngestError::BodyTooLarge { limit: MAX_BODY_BYTES }));
        let many = "a=1&".repeat(MAX_FORM_FIELDS + 1);
        assert!(matches!(Form::parse(many.as_bytes()), Err(IngestError::TooManyFields { .. })));
        let exactly = "a=1&".repeat(MAX_FORM_FIELDS);
        assert_eq!(Form::parse(exactly.as_bytes()).map(|f| f.pairs().len()), Ok(MAX_FORM_FIELDS));
        let pairs = vec![(String::new(), String::new()); MAX_FORM_FIELDS + 1];
        assert!(Form::from_pairs(pairs).is_err());
    }

    #[test]
    fn numbers() {
        let form = Form::parse(b"CallDuration=49&SequenceNumber=x").expect("form");
        assert_eq!(form.number::<i64>("CallDuration", "is not a number"), Ok(Some(49)));
        assert_eq!(form.number::<i64>("Missing", "is not a number"), Ok(None));
        assert!(form.number::<u32>("SequenceNumber", "is not a number").is_err());
    }
}
