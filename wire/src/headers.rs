//! Header (and gRPC metadata) names, and how a key is presented in them.

use http::HeaderMap;
use http::header::AUTHORIZATION;

/// `authorization: Bearer <key>`.
pub const AUTHORIZATION_NAME: &str = "authorization";
/// `x-api-key: <key>`.
pub const API_KEY: &str = "x-api-key";
/// The request id, taken from the caller or made, and echoed.
pub const REQUEST_ID: &str = "x-request-id";
/// What makes a create safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// How a request presents its secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresentedKey {
    /// `authorization: Bearer <key>`
    Bearer(String),
    /// `x-api-key: <key>`
    ApiKey(String),
    /// An `x-api-key` header that is not visible ASCII: no key can match it.
    Unreadable,
}

impl PresentedKey {
    /// The key itself, if it could be read.
    pub fn secret(&self) -> Option<&str> {
        match self {
            Self::Bearer(key) | Self::ApiKey(key) => Some(key),
            Self::Unreadable => None,
        }
    }
}

/// The key in `authorization: Bearer …` (preferred) or `x-api-key`, trimmed;
/// `None` when neither holds one.
pub fn presented_key(headers: &HeaderMap) -> Option<PresentedKey> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if let Some((scheme, token)) = value.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
            && !token.trim().is_empty()
        {
            return Some(PresentedKey::Bearer(token.trim().to_owned()));
        }
    }
    let value = headers.get(API_KEY)?;
    match value.to_str() {
        Ok(text) if text.trim().is_empty() => None,
        Ok(text) => Some(PresentedKey::ApiKey(text.trim().to_owned())),
        Err(_) => Some(PresentedKey::Unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(headers: &[(&str, &[u8])]) -> Option<PresentedKey> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        presented_key(&map)
    }

    #[test]
    fn bearer_first_then_api_key_trimmed() {
        assert_eq!(
            key_of(&[("authorization", b"Bearer sk_test_1")]),
            Some(PresentedKey::Bearer("sk_test_1".into()))
        );
        assert_eq!(
            key_of(&[("authorization", b"bearer  sk_test_1 ")]),
            Some(PresentedKey::Bearer("sk_test_1".into()))
        );
        assert_eq!(
            key_of(&[("x-api-key", b" sk_test_2 ")]),
            Some(PresentedKey::ApiKey("sk_test_2".into()))
        );
        assert_eq!(
            key_of(&[("authorization", b"Basic abc"), ("x-api-key", b"sk_test_3")]),
            Some(PresentedKey::ApiKey("sk_test_3".into()))
        );
        assert_eq!(key_of(&[("authorization", b"Bearer ")]), None);
        assert_eq!(key_of(&[("x-api-key", b"  ")]), None);
        assert_eq!(
            key_of(&[("x-api-key", b"\xe9t\xe9")]),
            Some(PresentedKey::Unreadable)
        );
        assert_eq!(key_of(&[]), None);
    }
}
