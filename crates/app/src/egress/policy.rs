//! Which destinations the egress client may reach: public unicast addresses on ports 80 and
//! 443, plus what the operator opens with `--egress-allow` (CIDRs and host names, any port).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use reqwest::Url;

use super::EgressError;

/// One `--egress-allow` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    /// Addresses in this network, whatever name leads to them (`10.0.0.0/8`, `127.0.0.1`).
    Net(IpNet),
    /// This host name (lower case), whatever it resolves to.
    Host(String),
}

impl AllowEntry {
    /// A CIDR, a bare address (one host), or a host name.
    ///
    /// # Errors
    /// When it is none of these.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Ok(net) = raw.parse::<IpNet>() {
            return Ok(Self::Net(net.trunc()));
        }
        if let Ok(addr) = raw.parse::<IpAddr>() {
            return Ok(Self::Net(IpNet::from(addr)));
        }
        let host = raw.trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !host.is_empty() && host.len() <= 253 && host.split('.').all(label_ok) {
            return Ok(Self::Host(host));
        }
        Err(format!("{raw:?} is not a CIDR (10.0.0.0/8), an address or a host name"))
    }
}

/// The allow-list; everything public on ports 80 and 443 is allowed without it.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    nets: Vec<IpNet>,
    hosts: Vec<String>,
}

impl EgressPolicy {
    #[must_use]
    pub fn new(entries: &[AllowEntry]) -> Self {
        let mut policy = Self::default();
        for entry in entries {
            match entry {
                AllowEntry::Net(net) => policy.nets.push(*net),
                AllowEntry::Host(host) => policy.hosts.push(host.clone()),
            }
        }
        policy
    }

    /// Whether the operator listed this host name.
    #[must_use]
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host))
    }

    /// Whether an address the operator opened.
    #[must_use]
    pub fn opens_addr(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.nets.iter().any(|net| net.contains(&addr))
    }

    /// Whether a connection to `addr` may be made (the port checked apart).
    #[must_use]
    pub fn allows_addr(&self, addr: IpAddr) -> bool {
        is_public(addr) || self.opens_addr(addr)
    }

    /// Scheme, literal address and port of `url`, before any connection is made. A host
    /// name is checked again address by address when it resolves.
    ///
    /// # Errors
    /// [`EgressError::InvalidUrl`] for what is not http(s), [`EgressError::Refused`] for a
    /// destination the policy does not allow.
    pub fn check_url(&self, url: &Url) -> Result<(), EgressError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EgressError::InvalidUrl("only http and https URLs are fetched"));
        }
        let opened = match url.host() {
            None => return Err(EgressError::InvalidUrl("it has no host")),
            Some(url::Host::Ipv4(v4)) => self.literal(IpAddr::V4(v4))?,
            Some(url::Host::Ipv6(v6)) => self.literal(IpAddr::V6(v6))?,
            Some(url::Host::Domain(name)) => self.allows_host(name),
        };
        let standard = matches!(url.port_or_known_default(), Some(80 | 443));
        if standard || opened { Ok(()) } else { Err(EgressError::Refused) }
    }

    /// Checks a literal address; true when the operator opened it (any port).
    fn literal(&self, addr: IpAddr) -> Result<bool, EgressError> {
        if self.opens_addr(addr) {
            Ok(true)
        } else if is_public(addr) {
            Ok(false)
        } else {
            Err(EgressError::Refused)
        }
    }
}

/// IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible forms as the IPv4 address they carry.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

/// A globally routable unicast address: not loopback, private (RFC 1918), CGNAT, link-local
/// (cloud metadata lives there), ULA, multicast, unspecified, documentation, benchmarking or
/// reserved, in any of their IPv4-in-IPv6 forms.
#[must_use]
pub fn is_public(addr: IpAddr) -> bool {
    match canonical(addr) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(addr: Ipv4Addr) -> bool {
    let [a, b, c, _] = addr.octets();
    let refused = addr.is_unspecified()
        || a == 0                                   // 0.0.0.0/8 "this network"
        || addr.is_loopback()                       // 127.0.0.0/8
        || addr.is_private()                        // 10/8, 172.16/12, 192.168/16
        || (a == 100 && (64..128).contains(&b))     // 100.64.0.0/10 CGNAT
        || addr.is_link_local()                     // 169.254.0.0/16, metadata
        || (a == 192 && b == 0 && c == 0)           // 192.0.0.0/24 protocol assignments
        || (a == 192 && b == 0 && c == 2)           // TEST-NET-1
        || (a == 198 && (b == 18 || b == 19))       // 198.18.0.0/15 benchmarking
        || (a == 198 && b == 51 && c == 100)        // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)         // TEST-NET-3
        || addr.is_multicast()                      // 224.0.0.0/4
        || a >= 240; // 240.0.0.0/4 reserved, and broadcast
    !refused
}

fn is_public_v6(addr: Ipv6Addr) -> bool {
    let segments = addr.segments();
    let first = segments[0];
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that decides.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    if first == 0x2002 {
        let [a, b] = segments[1].to_be_bytes();
        let [c, d] = segments[2].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    let refused = addr.is_unspecified()
        || addr.is_loopback()
        || (first & 0xfe00) == 0xfc00               // fc00::/7 ULA
        || (first & 0xffc0) == 0xfe80               // fe80::/10 link-local
        || (first & 0xffc0) == 0xfec0               // fec0::/10 old site-local
        || addr.is_multicast()                      // ff00::/8
        || (first == 0x2001 && segments[1] == 0x0db8) // documentation
        || (first == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only 100::/64
        || segments[..5] == [0, 0, 0, 0, 0]; // IPv4-compatible and other ::/80 forms
    !refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(raw: &str) -> IpAddr {
        raw.parse().expect("an address")
    }

    #[test]
    fn internal_addresses_in_every_form_are_refused() {
        for refused in [
            "127.0.0.1",
            "127.255.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "198.18.0.1",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(addr(refused)), "{refused} must be refused");
        }
        for public in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111"] {
            assert!(is_public(addr(public)), "{public} is public");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme_literal_and_port() {
        let policy = EgressPolicy::default();
        let check = |raw: &str| policy.check_url(&Url::parse(raw).expect("a URL"));
        assert_eq!(check("https://example.com/a.wav"), Ok(()));
        assert_eq!(check("http://93.184.216.34/a.wav"), Ok(()));
        for refused in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00::1]/",
            "https://example.com:8443/",
            "http://93.184.216.34:22/",
        ] {
            assert_eq!(check(refused), Err(EgressError::Refused), "{refused}");
        }
        assert!(matches!(check("ftp://example.com/"), Err(EgressError::InvalidUrl(_))));
        assert!(matches!(check("file:///etc/passwd"), Err(EgressError::InvalidUrl(_))));
    }

    #[test]
    fn the_allow_list_opens_networks_and_names_on_any_port() {
        let entries: Vec<AllowEntry> = ["10.0.0.0/8", "127.0.0.1", "pbx.lan"]
            .into_iter()
            .map(|raw| AllowEntry::parse(raw).expect("an entry"))
            .collect();
        let policy = EgressPolicy::new(&entries);
        let check = |raw: &str| policy.check_url(&Url::parse(raw).expect("a URL"));
        assert_eq!(check("http://10.1.2.3:8088/rec.wav"), Ok(()));
        assert_eq!(check("http://127.0.0.1:9000/"), Ok(()));
        assert_eq!(check("http://PBX.lan:5060/"), Ok(()));
        assert_eq!(check("http://127.0.0.2/"), Err(EgressError::Refused));
        assert_eq!(check("http://192.168.0.1/"), Err(EgressError::Refused));
        assert!(policy.allows_addr(addr("::ffff:10.9.9.9")));
        assert!(AllowEntry::parse("not a host!").is_err());
        assert!(AllowEntry::parse("").is_err());
    }
}
