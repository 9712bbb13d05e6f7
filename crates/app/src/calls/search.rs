//! A search of the call history (CALL-5) as a person writes it — a number in any format or
//! its last digits, words, ranges — read into the store's filter.

use callbase_domain::call::{CallStatus, Direction, Source};
use callbase_domain::{E164, RegionCode, Timestamp, UserId};
use callbase_store::CallFilter;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Every field narrows the result; blank text is no filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallSearch {
    pub status: Option<CallStatus>,
    pub direction: Option<Direction>,
    pub source: Option<Source>,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Either party's number in any format, or at least 4 trailing digits.
    pub number: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub min_duration: Option<i64>,
    pub max_duration: Option<i64>,
    pub has_recording: Option<bool>,
    pub tag: Option<String>,
    /// Words that must all appear in the names or notes.
    pub q: Option<String>,
}

fn invalid(parameter: &str, reason: &str) -> AppError {
    AppError::InvalidQuery { parameter: parameter.to_owned(), reason: reason.to_owned() }
}

/// The digits a number search must end with: a whole number in E.164 when it reads as one
/// (`+…`, `00…`, or a national `0…` of at least 7 digits, with the workspace region),
/// otherwise the digits given, at least 4 of them.
fn number_suffix(raw: &str, region: Option<&RegionCode>) -> AppResult<String> {
    let trimmed = raw.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let whole = trimmed.starts_with('+')
        || trimmed.starts_with("00")
        || (trimmed.starts_with('0') && digits.len() >= 7);
    if whole && let Ok(number) = E164::parse(trimmed, region) {
        return Ok(number.digits().to_owned());
    }
    let only_number_chars = trimmed.chars().all(|c| c.is_ascii_digit() || " -().+/".contains(c));
    if digits.len() >= 4 && digits.len() <= 17 && only_number_chars {
        Ok(digits)
    } else {
        Err(invalid("number", "give a phone number or at least 4 of its last digits"))
    }
}

impl CallSearch {
    /// Checks the search and reads `number` in the workspace's region.
    ///
    /// # Errors
    /// `InvalidQuery` naming the parameter.
    pub fn into_filter(self, region: Option<&RegionCode>) -> AppResult<CallFilter> {
        for (name, value) in
            [("min_duration", self.min_duration), ("max_duration", self.max_duration)]
        {
            if value.is_some_and(|seconds| seconds < 0) {
                return Err(invalid(name, "must not be negative"));
            }
        }
        let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Ok(CallFilter {
            status: self.status,
            direction: self.direction,
            source: self.source,
            user_id: self.user_id,
            agent_id: self.agent_id,
            lead_id: self.lead_id,
            number_suffix: non_empty(self.number)
                .map(|number| number_suffix(&number, region))
                .transpose()?,
            from: self.from,
            to: self.to,
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            has_recording: self.has_recording,
            tag: non_empty(self.tag),
            q: non_empty(self.q),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_any_format_become_digits() {
        let de = RegionCode::parse("DE").ok();
        for raw in ["+49 30 1234567", "030 1234567", "+49301234567", "0049 30 1234567"] {
            assert_eq!(
                number_suffix(raw, de.as_ref()).ok().as_deref(),
                Some("49301234567"),
                "{raw}"
            );
        }
        assert_eq!(number_suffix("4567", None).ok().as_deref(), Some("4567"));
        assert_eq!(number_suffix("0199", de.as_ref()).ok().as_deref(), Some("0199"));
        assert_eq!(number_suffix("(415) 555-0123", None).ok().as_deref(), Some("4155550123"));
        for bad in ["123", "abc1234", "12a45"] {
            assert!(number_suffix(bad, de.as_ref()).is_err(), "{bad}");
        }
    }
}
