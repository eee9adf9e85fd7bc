//! The caller's key, request id and idempotency key, forwarded to the service
//! as gRPC metadata.
//!
//! The gateway only checks that a key is present (`Authorization: Bearer …` or
//! `X-Api-Key: …`); whether it is valid is the service's answer
//! (UNAUTHENTICATED → 401).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::validation::{Loc, Problem, Rule};

/// How the key was presented, so it is forwarded the same way.
#[derive(Debug, Clone)]
enum Key {
    Bearer(AsciiMetadataValue),
    Header(AsciiMetadataValue),
    /// Present but not sendable as metadata (e.g. not ASCII): the service would
    /// reject it, so it is forwarded as a key no account has.
    Unusable,
}

/// The header (and metadata) that makes a create safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Who is calling, as the service must be told.
#[derive(Debug, Clone)]
pub struct Caller {
    key: Key,
    request_id: Option<AsciiMetadataValue>,
    idempotency_key: Option<AsciiMetadataValue>,
}

impl Caller {
    /// A gRPC request carrying `message`, the caller's key and the request id.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        self.annotate(request.metadata_mut());
        request
    }

    fn annotate(&self, metadata: &mut MetadataMap) {
        match &self.key {
            Key::Bearer(value) => {
                metadata.insert("authorization", value.clone());
            }
            Key::Header(value) => {
                metadata.insert("x-api-key", value.clone());
            }
            Key::Unusable => {
                metadata.insert("x-api-key", AsciiMetadataValue::from_static("unusable"));
            }
        }
        if let Some(id) = &self.request_id {
            metadata.insert(crate::request_id::HEADER, id.clone());
        }
        if let Some(key) = &self.idempotency_key {
            metadata.insert(IDEMPOTENCY_KEY, key.clone());
        }
    }
}

fn presented_key(parts: &Parts) -> Option<Key> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default().trim();
        if let Some((scheme, token)) = text.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
            && !token.trim().is_empty()
        {
            return Some(
                AsciiMetadataValue::try_from(format!("Bearer {}", token.trim()))
                    .map_or(Key::Unusable, Key::Bearer),
            );
        }
    }
    let value = parts.headers.get("x-api-key")?;
    let text = value.to_str().map(str::trim).unwrap_or("\u{fffd}");
    if text.is_empty() {
        return None;
    }
    Some(AsciiMetadataValue::try_from(text).map_or(Key::Unusable, Key::Header))
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let key = presented_key(parts).ok_or(ApiError::MissingKey)?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .and_then(|id| AsciiMetadataValue::try_from(id.as_str()).ok());
        // Passed on as sent; its rules (length, retention) are the service's.
        // Only a value that cannot be metadata at all is refused here.
        let idempotency_key = match parts.headers.get(IDEMPOTENCY_KEY) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(|text| AsciiMetadataValue::try_from(text).ok())
                    .ok_or_else(|| {
                        ApiError::Invalid(vec![Problem::new(
                            Loc::header(IDEMPOTENCY_KEY),
                            Rule::Other {
                                reason: "INVALID_VALUE".into(),
                                description: "must be visible ASCII".into(),
                            },
                        )])
                    })?,
            ),
        };
        Ok(Self {
            key,
            request_id,
            idempotency_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn key_of(headers: &[(&str, &str)]) -> Option<(String, String)> {
        let mut builder = Request::builder();
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let (parts, ()) = builder.body(()).unwrap().into_parts();
        let caller = Caller {
            key: presented_key(&parts)?,
            request_id: None,
            idempotency_key: None,
        };
        let mut metadata = MetadataMap::new();
        caller.annotate(&mut metadata);
        let (name, value) = match metadata.get("authorization") {
            Some(v) => ("authorization", v.clone()),
            None => ("x-api-key", metadata.get("x-api-key")?.clone()),
        };
        Some((name.to_owned(), value.to_str().ok()?.to_owned()))
    }

    #[test]
    fn bearer_and_api_key_headers_are_forwarded_as_given() {
        assert_eq!(
            key_of(&[("authorization", "Bearer sk_test_1")]),
            Some(("authorization".into(), "Bearer sk_test_1".into()))
        );
        assert_eq!(
            key_of(&[("x-api-key", " sk_test_2 ")]),
            Some(("x-api-key".into(), "sk_test_2".into()))
        );
        assert_eq!(
            key_of(&[("authorization", "Basic abc"), ("x-api-key", "sk_test_3")]),
            Some(("x-api-key".into(), "sk_test_3".into()))
        );
        assert_eq!(key_of(&[("authorization", "Bearer ")]), None);
        assert_eq!(key_of(&[]), None);
    }
}
