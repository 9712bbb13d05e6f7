//! Short human-entered labels (names): trimmed, non-empty, bounded.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    Control,
}

/// What `str::trim` removes (Unicode `White_Space`), as the inside of a regex class: schemas
/// spell it out because `\s` means something else in every regex dialect.
pub const WHITESPACE_CLASS: &str =
    r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// What `char::is_control` refuses (Unicode `Cc`), as the inside of a regex class.
pub const CONTROL_CLASS: &str = r"\x00-\x1f\x7f-\x9f";

/// A pattern for text with something besides whitespace in it.
#[must_use]
pub fn not_blank_pattern() -> String {
    format!("[^{WHITESPACE_CLASS}]")
}

/// A name: 1 to 200 characters as sent, something besides whitespace, and no control
/// characters once the surrounding whitespace is trimmed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        // Counted as sent, so a schema's `maxLength` says exactly what is accepted.
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong(Self::MAX_CHARS));
        }
        let name = raw.trim();
        if name.is_empty() {
            return Err(TextError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(TextError::Control);
        }
        Ok(Self(name.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl utoipa::PartialSchema for DisplayName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let (space, control) = (WHITESPACE_CLASS, CONTROL_CLASS);
        let visible = format!("[^{control}{space}]");
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(Self::MAX_CHARS))
            .pattern(Some(format!("^[{space}]*{visible}([^{control}]*{visible})?[{space}]*$")))
            .into()
    }
}

impl utoipa::ToSchema for DisplayName {}

impl<'de> serde::Deserialize<'de> for DisplayName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(DisplayName::parse("  Sales  ").map(|n| n.to_string()), Ok("Sales".into()));
        assert_eq!(DisplayName::parse("   "), Err(TextError::Empty));
        assert_eq!(DisplayName::parse("a\u{0}b"), Err(TextError::Control));
        assert!(DisplayName::parse(&"x".repeat(201)).is_err());
        assert!(DisplayName::parse(&format!(" {} ", "x".repeat(199))).is_err(), "counted as sent");
        assert_eq!(DisplayName::parse("\tSales\n").map(|n| n.to_string()), Ok("Sales".into()));
    }
}
