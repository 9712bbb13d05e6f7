//! HTTP byte ranges (RFC 9110 §14) over a body of known size: what a `Range` header asks for.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RangeAnswer {
    /// No usable range: send everything with 200 (also for several ranges at once, which
    /// the RFC lets a server answer in full; audio elements ask for one).
    Full,
    /// Send these bytes with 206.
    Partial(Range<u64>),
    /// Nothing of the body is in the range: 416.
    Unsatisfiable,
}

/// Reads a `Range` header against a body of `size` bytes. A header that is not valid byte
/// range syntax is ignored, as the RFC asks.
pub(crate) fn requested_range(header: &str, size: u64) -> RangeAnswer {
    let Some((unit, spec)) = header.trim().split_once('=') else {
        return RangeAnswer::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |text: &str| {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Partial(size.saturating_sub(suffix)..size)
            }
        }
        // bytes=A- and bytes=A-B.
        (false, Some(start), end) => {
            if !last.trim().is_empty() && end.is_none() {
                return RangeAnswer::Full;
            }
            if end.is_some_and(|end| end < start) {
                return RangeAnswer::Full;
            }
            if start >= size {
                return RangeAnswer::Unsatisfiable;
            }
            let end = end.map_or(size, |end| end.saturating_add(1).min(size));
            RangeAnswer::Partial(start..end)
        }
        _ => RangeAnswer::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::RangeAnswer::{Full, Partial, Unsatisfiable};
    use super::requested_range;

    #[test]
    fn single_open_and_suffix_ranges() {
        assert_eq!(requested_range("bytes=0-99", 1000), Partial(0..100));
        assert_eq!(requested_range("bytes=900-", 1000), Partial(900..1000));
        assert_eq!(requested_range("bytes=-100", 1000), Partial(900..1000));
        assert_eq!(requested_range("bytes=-5000", 1000), Partial(0..1000));
        assert_eq!(requested_range("bytes=990-5000", 1000), Partial(990..1000));
        assert_eq!(requested_range("Bytes = 5-5", 1000), Partial(5..6));
    }

    #[test]
    fn ranges_outside_the_body() {
        assert_eq!(requested_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(requested_range("bytes=1000-2000", 1000), Unsatisfiable);
        assert_eq!(requested_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(requested_range("bytes=0-", 0), Unsatisfiable);
    }

    #[test]
    fn anything_else_is_ignored() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=0-1,5-6",
            "bytes=1-x",
            "bytes=+1-2",
        ] {
            assert_eq!(requested_range(header, 1000), Full, "{header:?}");
        }
    }
}
