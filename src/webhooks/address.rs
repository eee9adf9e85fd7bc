//! Where a webhook may be sent: http(s) URLs whose host resolves to public
//! addresses only, unless the server runs with `--webhook-allow-private`.
//!
//! The rule is checked when an endpoint is created or its URL changed, and
//! again on every delivery by the resolver the delivery client connects
//! through, so a name that later resolves to a private address (DNS
//! rebinding) is refused then too.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use customerd_wire::limits::WEBHOOK_URL_MAX;

/// Why a URL cannot receive webhooks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Malformed(String),
    #[error(
        "'{host}' resolves to {address}, a loopback, private, link-local or unspecified address; such URLs need a server started with --webhook-allow-private"
    )]
    Private { host: String, address: IpAddr },
    #[error("'{0}' does not resolve to any address")]
    Unresolved(String),
}

/// `text` as a URL webhooks can be sent to, before any name is resolved.
pub fn parse(text: &str) -> Result<Url, Refused> {
    let malformed = |why: &str| Refused::Malformed(why.to_owned());
    if text.chars().count() > WEBHOOK_URL_MAX {
        return Err(Refused::Malformed(format!(
            "must be at most {WEBHOOK_URL_MAX} characters"
        )));
    }
    let url = Url::parse(text).map_err(|e| Refused::Malformed(format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(malformed("must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(malformed("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(malformed("must not carry a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(malformed("must not carry a fragment"));
    }
    Ok(url)
}

/// Checks that `url`'s host resolves, and only to addresses a webhook may
/// reach.
pub async fn check(url: &Url, allow_private: bool) -> Result<(), Refused> {
    let host = url.host_str().unwrap_or_default().to_owned();
    let addresses: Vec<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        _ => tokio::net::lookup_host((host.as_str(), 0))
            .await
            .map_err(|_| Refused::Unresolved(host.clone()))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Refused::Unresolved(host));
    }
    if !allow_private && let Some(&address) = addresses.iter().find(|ip| forbidden(**ip)) {
        return Err(Refused::Private { host, address });
    }
    Ok(())
}

/// Loopback, private, shared (CGNAT), link-local, unspecified, broadcast,
/// multicast and reserved addresses, in IPv4 or IPv6 (IPv4-mapped and NAT64
/// forms judged by the IPv4 address they carry).
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        // 240.0.0.0/4, reserved.
        || a >= 240
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    // 64:ff9b::/96, IPv4 reached through NAT64.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return forbidden_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7, unique local.
        || (segments[0] & 0xfe00) == 0xfc00
        // fe80::/10, link-local.
        || (segments[0] & 0xffc0) == 0xfe80
}

/// The delivery client's resolver: the addresses of a name a webhook may
/// reach, or an error naming the one it may not.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.is_empty() {
                return Err(Refused::Unresolved(host).into());
            }
            if !allow_private && let Some(bad) = found.iter().find(|a| forbidden(a.ip())) {
                // One refused address refuses the name: a receiver that mixes
                // public and private answers is not one to trust.
                return Err(io::Error::other(Refused::Private {
                    host,
                    address: bad.ip(),
                })
                .into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(forbidden(bad.parse().unwrap()), "{bad} was allowed");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!forbidden(good.parse().unwrap()), "{good} was refused");
        }
    }

    #[test]
    fn only_plain_http_urls_parse() {
        assert!(parse("https://hooks.example.com/in?x=1").is_ok());
        assert!(parse("http://example.com:8080/").is_ok());
        for bad in [
            "",
            "example.com/hook",
            "ftp://example.com/",
            "http://user:pw@example.com/",
            "https://example.com/#frag",
            "file:///etc/passwd",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        let long = format!("https://example.com/{}", "a".repeat(WEBHOOK_URL_MAX));
        assert!(parse(&long).is_err());
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_unless_allowed() {
        let url = parse("http://127.0.0.1:9/hook").unwrap();
        assert!(matches!(
            check(&url, false).await,
            Err(Refused::Private { .. })
        ));
        assert_eq!(check(&url, true).await, Ok(()));
        let named = parse("http://localhost:9/hook").unwrap();
        assert!(matches!(
            check(&named, false).await,
            Err(Refused::Private { .. })
        ));
    }
}
