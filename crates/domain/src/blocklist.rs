//! The do-not-call rule (CRM-2): an entry blocks one number, or every number under a prefix,
//! until it expires.

use jiff::Timestamp;

use crate::E164;

/// What an entry matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockPattern {
    /// Exactly this number.
    Number(E164),
    /// Every number whose E.164 digits start with these (`+4930` blocks Berlin).
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a prefix is + and 1 to 15 digits, got {0:?}")]
pub struct PrefixError(pub String);

impl BlockPattern {
    /// A prefix as people write it (`+49 30`), kept as digits only.
    pub fn prefix(raw: &str) -> Result<Self, PrefixError> {
        let trimmed = raw.trim();
        let rest = trimmed.strip_prefix('+').ok_or_else(|| PrefixError(raw.to_owned()))?;
        let digits: String =
            rest.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        let valid = !digits.is_empty()
            && digits.len() <= 15
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if valid { Ok(Self::Prefix(digits)) } else { Err(PrefixError(raw.to_owned())) }
    }

    #[must_use]
    pub fn matches(&self, number: &E164) -> bool {
        match self {
            Self::Number(blocked) => blocked == number,
            Self::Prefix(digits) => number.digits().starts_with(digits.as_str()),
        }
    }
}

/// True when `number` is blocked at `at` by any of `entries` (pattern and optional expiry).
#[must_use]
pub fn is_blocked<'a>(
    entries: impl IntoIterator<Item = (&'a BlockPattern, Option<Timestamp>)>,
    number: &E164,
    at: Timestamp,
) -> bool {
    entries.into_iter().any(|(pattern, expires)| {
        expires.is_none_or(|expiry| at < expiry) && pattern.matches(number)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(raw: &str) -> E164 {
        E164::parse(raw, None).expect("number")
    }

    #[test]
    fn numbers_and_prefixes() {
        let exact = BlockPattern::Number(number("+49301234567"));
        let berlin = BlockPattern::prefix("+49 30").expect("prefix");
        assert!(exact.matches(&number("+49 30 1234567")));
        assert!(!exact.matches(&number("+49301234568")));
        assert!(berlin.matches(&number("+49309999999")));
        assert!(!berlin.matches(&number("+49891234567")));
    }

    #[test]
    fn prefixes_must_be_international_digits() {
        for bad in ["4930", "+", "+0049", "+49x", "+1234567890123456"] {
            assert!(BlockPattern::prefix(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn expired_entries_block_nothing() {
        let berlin = BlockPattern::prefix("+4930").expect("prefix");
        let now = Timestamp::from_second(1_000).expect("time");
        let later = Timestamp::from_second(2_000).expect("time");
        let caller = number("+49301234567");
        assert!(is_blocked([(&berlin, None)], &caller, now));
        assert!(is_blocked([(&berlin, Some(later))], &caller, now));
        assert!(!is_blocked([(&berlin, Some(now))], &caller, now), "expiry is exclusive");
        assert!(!is_blocked([(&berlin, Some(now))], &caller, later));
    }
}
