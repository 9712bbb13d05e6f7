//! Phone numbers in E.164 (`+49301234567`), parsed from whatever format a caller or a
//! provider wrote, with the workspace's region for national formats.

use std::fmt;

use crate::RegionCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{0:?} is not a phone number")]
    Unparseable(String),
    #[error("{0:?} has no country code: write it with + or set the workspace region")]
    NeedsRegion(String),
}

/// A number in E.164 form: `+`, country code, national number, digits only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "+49301234567", pattern = r"^\+[1-9][0-9]{1,14}$")]
pub struct E164(String);

impl E164 {
    /// What every workspace reads as a number: `+` and 4 to 15 digits, the first not 0. More
    /// is read too (spaces, `00…`, national formats with the workspace region); this is the
    /// form a schema can promise.
    pub const INPUT_PATTERN: &str = r"^\+[1-9][0-9]{3,14}$";

    /// Parses international (`+49 30 1234567`, `0049…`) and, given a region, national
    /// (`030 1234567`) formats; spaces, dashes, dots and brackets are ignored.
    pub fn parse(raw: &str, region: Option<&RegionCode>) -> Result<Self, PhoneError> {
        let parsed = Self::parse_formatted(raw, region);
        // Already in E.164 form: taken as written when the numbering plan has no rule for
        // it (an unassigned country code, a number the parser's national rules trip on),
        // so that `INPUT_PATTERN` holds its promise.
        let trimmed = raw.trim();
        if parsed.is_err() && is_plain_e164(trimmed) {
            return Ok(Self(trimmed.to_owned()));
        }
        parsed
    }

    fn parse_formatted(raw: &str, region: Option<&RegionCode>) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if !(3..=17).contains(&digits) {
            return Err(PhoneError::Unparseable(raw.to_owned()));
        }
        let country = region.and_then(|r| r.as_str().parse::<phonenumber::country::Id>().ok());
        let international = trimmed.starts_with('+') || trimmed.starts_with("00");
        if country.is_none() && !international {
            return Err(PhoneError::NeedsRegion(raw.to_owned()));
        }
        let candidate = match trimmed.strip_prefix("00") {
            Some(rest) if country.is_none() => format!("+{rest}"),
            _ => trimmed.to_owned(),
        };
        let number = phonenumber::parse(country, &candidate)
            .map_err(|_| PhoneError::Unparseable(raw.to_owned()))?;
        let formatted = number.format().mode(phonenumber::Mode::E164).to_string();
        if formatted.len() < 4 || formatted.len() > 16 {
            return Err(PhoneError::Unparseable(raw.to_owned()));
        }
        Ok(Self(formatted))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The schema of a number the API reads: `INPUT_PATTERN`, described.
    #[must_use]
    pub fn input_schema(description: &str) -> utoipa::openapi::schema::Object {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(Self::INPUT_PATTERN))
            .description(Some(description))
            .examples(["+49301234567"])
            .build()
    }

    /// The digits without `+`, for suffix search ("the number ending in 4567").
    #[must_use]
    pub fn digits(&self) -> &str {
        self.0.trim_start_matches('+')
    }
}

/// `+` and 4 to 15 digits, the first not 0: `INPUT_PATTERN`.
fn is_plain_e164(raw: &str) -> bool {
    let Some(digits) = raw.strip_prefix('+') else { return false };
    (4..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de() -> RegionCode {
        RegionCode::parse("DE").expect("region")
    }

    #[test]
    fn every_format_of_one_number_is_one_e164() {
        for raw in ["+49 30 1234567", "+49301234567", "0049 30 1234567", "+49 (30) 123-45-67"] {
            assert_eq!(
                E164::parse(raw, None).map(|n| n.to_string()),
                Ok("+49301234567".into()),
                "{raw}"
            );
        }
        assert_eq!(
            E164::parse("030 1234567", Some(&de())).map(|n| n.to_string()),
            Ok("+49301234567".into())
        );
        let us = RegionCode::parse("US").expect("region");
        assert_eq!(
            E164::parse("(415) 555-2671", Some(&us)).map(|n| n.to_string()),
            Ok("+14155552671".into())
        );
    }

    #[test]
    fn national_formats_need_a_region() {
        assert_eq!(
            E164::parse("030 1234567", None),
            Err(PhoneError::NeedsRegion("030 1234567".into()))
        );
    }

    #[test]
    fn garbage_is_refused() {
        for raw in ["", "abc", "12", "+", "+1234567890123456789", "call me"] {
            assert!(E164::parse(raw, Some(&de())).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn the_input_pattern_always_parses() {
        // Unassigned country codes and numbers the national rules trip on.
        for raw in ["+9991234", "+78000000", "+8611111", "+100000000000000", "+4930123"] {
            assert_eq!(E164::parse(raw, None).map(|n| n.to_string()), Ok(raw.to_owned()));
        }
        for bad in ["+0123456", "+12", "+1234567890123456"] {
            assert!(E164::parse(bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digits_drop_the_plus() {
        let number = E164::parse("+49301234567", None).expect("number");
        assert_eq!(number.digits(), "49301234567");
    }
}
