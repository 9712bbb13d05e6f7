//! Storage keys: `yyyy/mm/dd/<uuid>.<ext>`, built only from values the server generated.

use jiff::civil::Date;
use uuid::Uuid;

/// A key under which one recording's bytes are stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageKey(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid storage key {0:?}")]
pub struct KeyError(String);

impl StorageKey {
    /// The key for recording `id` stored on `date` with the format's extension.
    ///
    /// # Errors
    /// When the extension is not 1–5 lowercase ASCII letters or digits.
    pub fn new(date: Date, id: Uuid, extension: &str) -> Result<Self, KeyError> {
        if !valid_extension(extension) {
            return Err(KeyError(extension.to_owned()));
        }
        Ok(Self(format!(
            "{:04}/{:02}/{:02}/{}.{extension}",
            date.year(),
            date.month(),
            date.day(),
            id.as_hyphenated()
        )))
    }

    /// Reads back a key kept in the database, refusing anything `new` could not have made.
    ///
    /// # Errors
    /// When the text is not of the form `yyyy/mm/dd/<uuid>.<ext>`.
    pub fn parse(stored: &str) -> Result<Self, KeyError> {
        let invalid = || KeyError(stored.to_owned());
        let mut parts = stored.split('/');
        let (Some(year), Some(month), Some(day), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let number = |text: &str, len: usize| {
            (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<i16>().ok())
                .flatten()
        };
        let (Some(year), Some(month), Some(day)) =
            (number(year, 4), number(month, 2), number(day, 2))
        else {
            return Err(invalid());
        };
        let date = i8::try_from(month)
            .ok()
            .zip(i8::try_from(day).ok())
            .and_then(|(month, day)| Date::new(year, month, day).ok())
            .ok_or_else(invalid)?;
        let (id, extension) = file.split_once('.').ok_or_else(invalid)?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        let key = Self::new(date, id, extension).map_err(|_| invalid())?;
        if key.0 == stored { Ok(key) } else { Err(invalid()) }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_extension(extension: &str) -> bool {
    (1..=5).contains(&extension.len())
        && extension.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl std::fmt::Display for StorageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Uuid {
        Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").expect("a valid literal uuid")
    }

    #[test]
    fn keys_are_dated_paths_of_the_id_and_extension() {
        let key = StorageKey::new(Date::constant(2026, 3, 7), id(), "mp3").expect("valid");
        assert_eq!(key.as_str(), "2026/03/07/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.mp3");
        assert_eq!(StorageKey::parse(key.as_str()), Ok(key));
    }

    #[test]
    fn extensions_cannot_carry_paths() {
        for bad in ["", "../x", "mp3/..", "MP3", "toolong", "m p3", "a.b"] {
            assert!(StorageKey::new(Date::constant(2026, 1, 1), id(), bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parse_refuses_anything_new_could_not_make() {
        for bad in [
            "",
            "../../etc/passwd",
            "/2026/03/07/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.mp3",
            "2026/03/07/../0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.mp3",
            "2026/13/07/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.mp3",
            "2026/3/07/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.mp3",
            "2026/03/07/0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B.mp3",
            "2026/03/07/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "2026/03/07/name.mp3",
            "2026/03/07/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.mp3/x",
        ] {
            assert!(StorageKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
