//! The caller's key, request id and idempotency key (and, built with `otel`,
//! the trace context), forwarded to the service as gRPC metadata.
//!
//! The gateway only checks that a key is present (`Authorization: Bearer …` or
//! `X-Api-Key: …`); whether it is valid is the service's answer
//! (UNAUTHENTICATED → 401).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use customerd_wire::headers::{self, PresentedKey};
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
pub use customerd_wire::headers::IDEMPOTENCY_KEY;

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
                metadata.insert(headers::AUTHORIZATION_NAME, value.clone());
            }
            Key::Header(value) => {
                metadata.insert(headers::API_KEY, value.clone());
            }
            Key::Unusable => {
                metadata.insert(
                    headers::API_KEY,
                    AsciiMetadataValue::from_static("unusable"),
                );
            }
        }
        if let Some(id) = &self.request_id {
            metadata.insert(crate::request_id::HEADER, id.clone());
        }
        if let Some(key) = &self.idempotency_key {
            metadata.insert(IDEMPOTENCY_KEY, key.clone());
        }
        #[cfg(feature = "otel")]
        customerd_wire::trace_context::inject_current(metadata);
    }
}

fn presented_key(parts: &Parts) -> Option<Key> {
    Some(match headers::presented_key(&parts.headers)? {
        PresentedKey::Bearer(token) => AsciiMetadataValue::try_from(format!("Bearer {token}"))
            .map_or(Key::Unusable, Key::Bearer),
        PresentedKey::ApiKey(key) => {
            AsciiMetadataValue::try_from(key).map_or(Key::Unusable, Key::Header)
        }
        PresentedKey::Unreadable => Key::Unusable,
    })
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
