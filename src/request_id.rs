//! Request ids: taken from `x-request-id` when the caller sends one, generated
//! otherwise, recorded on the call's log span and echoed in the response.

use http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

pub use customerd_wire::headers::REQUEST_ID as HEADER;

#[derive(Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&customerd_wire::request_id::generate())
            .ok()
            .map(RequestId::new)
    }
}

/// The log span of one call; built with `otel`, it continues the caller's
/// trace (W3C `traceparent` in the call's metadata).
pub fn span<B>(request: &Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let span = tracing::info_span!("call", method = %request.uri().path(), request_id = %id);
    #[cfg(feature = "otel")]
    customerd_wire::trace_context::continue_trace(&span, request.headers());
    span
}
