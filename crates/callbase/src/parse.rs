//! Parsers for setting values, shared by flags, environment variables and the TOML file,
//! so each setting is validated the same way wherever it comes from.

use std::net::SocketAddr;
use std::time::Duration;

use callbase_domain::Email;
use callbase_server::RateLimit;

pub fn socket_addr(raw: &str) -> Result<SocketAddr, String> {
    raw.trim().parse().map_err(|_| format!("{raw:?} is not an address like 127.0.0.1:8080"))
}

pub fn duration(raw: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(raw.trim())
        .map_err(|_| format!("{raw:?} is not a duration like 30s, 15m or 7d"))?;
    if parsed.is_zero() {
        return Err(format!("{raw:?} must be longer than zero"));
    }
    Ok(parsed)
}

pub fn email(raw: &str) -> Result<Email, String> {
    Email::parse(raw).map_err(|e| format!("{raw:?}: {e}"))
}

pub fn database_url(raw: &str) -> Result<String, String> {
    match callbase_store::Backend::from_url(raw.trim()) {
        Some(_) => Ok(raw.trim().to_owned()),
        None => Err("must start with sqlite: or postgres://".to_owned()),
    }
}

pub fn public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url.to_owned()),
        _ => Err(format!("{raw:?} is not an http:// or https:// URL")),
    }
}

pub fn cors_origin(raw: &str) -> Result<String, String> {
    let origin = public_url(raw)?;
    if origin.matches('/').count() > 2 {
        return Err(format!("{raw:?} is an origin only: scheme://host[:port], no path"));
    }
    Ok(origin)
}

/// A limit that can be turned off (clap reads `Option<Option<T>>` as an optional value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch<T>(pub Option<T>);

/// `RATE` or `RATE:BURST` requests per second, or `off`.
pub fn rate_limit(raw: &str) -> Result<Switch<RateLimit>, String> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") || raw == "0" {
        return Ok(Switch(None));
    }
    let invalid = || format!("{raw:?} is not RATE or RATE:BURST (requests per second) or off");
    let (rate, burst) = match raw.split_once(':') {
        Some((rate, burst)) => (rate, Some(burst)),
        None => (raw, None),
    };
    let per_second: u32 = rate.trim().parse().map_err(|_| invalid())?;
    let burst = match burst {
        Some(burst) => burst.trim().parse().map_err(|_| invalid())?,
        None => per_second.saturating_mul(2),
    };
    if per_second == 0 || burst < per_second {
        return Err(invalid());
    }
    Ok(Switch(Some(RateLimit { per_second, burst })))
}

/// Attempts per minute, or `off`.
pub fn per_minute(raw: &str) -> Result<Switch<u32>, String> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") || raw == "0" {
        return Ok(Switch(None));
    }
    raw.parse()
        .map(|n| Switch(Some(n)))
        .map_err(|_| format!("{raw:?} is not a number of attempts per minute or off"))
}

/// A size in bytes: `1048576`, `512KiB`, `10MB`, `1GiB`.
pub fn byte_size(raw: &str) -> Result<usize, String> {
    let text = raw.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| format!("{raw:?} is not a size like 10MiB"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        _ => {
            return Err(format!("{raw:?} has an unknown unit: use B, KiB, MiB, GiB, KB, MB or GB"));
        }
    };
    let bytes = number.checked_mul(multiplier).ok_or_else(|| format!("{raw:?} is too large"))?;
    if bytes == 0 {
        return Err(format!("{raw:?} must be more than zero"));
    }
    usize::try_from(bytes).map_err(|_| format!("{raw:?} is too large"))
}

pub fn positive_u32(raw: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{raw:?} is not a positive whole number")),
    }
}

pub fn boolean(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("{raw:?} is not true or false")),
    }
}

/// A network in CIDR notation, or one address.
pub fn cidr(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .map(|net| net.trunc())
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not a CIDR like 10.0.0.0/8 or an address"))
}

/// `anyone` or `superusers`.
pub fn workspace_creation(raw: &str) -> Result<callbase_server::WorkspaceCreation, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "anyone" => Ok(callbase_server::WorkspaceCreation::Anyone),
        "superusers" => Ok(callbase_server::WorkspaceCreation::Superusers),
        _ => Err(format!("{raw:?} is not anyone or superusers")),
    }
}

/// One `--egress-allow` entry: a CIDR, an address or a host name.
pub fn egress_allow(raw: &str) -> Result<callbase_app::egress::AllowEntry, String> {
    callbase_app::egress::AllowEntry::parse(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(byte_size("1024"), Ok(1024));
        assert_eq!(byte_size("10MiB"), Ok(10 << 20));
        assert_eq!(byte_size("100 MB"), Ok(100_000_000));
        assert!(byte_size("ten").is_err());
        assert!(byte_size("5 parsecs").is_err());
        assert!(byte_size("0").is_err());
    }

    #[test]
    fn rate_limits() {
        assert_eq!(rate_limit("off"), Ok(Switch(None)));
        assert_eq!(rate_limit("100"), Ok(Switch(Some(RateLimit { per_second: 100, burst: 200 }))));
        assert_eq!(
            rate_limit("100:150"),
            Ok(Switch(Some(RateLimit { per_second: 100, burst: 150 })))
        );
        assert!(rate_limit("100:50").is_err());
        assert!(rate_limit("fast").is_err());
    }

    #[test]
    fn urls_and_durations() {
        assert_eq!(
            public_url("https://calls.example.com/"),
            Ok("https://calls.example.com".into())
        );
        assert!(public_url("calls.example.com").is_err());
        assert!(cors_origin("https://a.example/path").is_err());
        assert_eq!(duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(duration("soon").is_err());
        assert!(database_url("mysql://x").is_err());
    }
}
