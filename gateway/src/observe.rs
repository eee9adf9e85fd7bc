//! The request metrics both transports record (see `customerd`'s
//! `/metrics`), and the gateway's own: one per REST request, by route
//! template and status.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// `customerd_requests_total{transport,method,code}`
pub const REQUESTS: &str = "customerd_requests_total";
/// `customerd_request_duration_seconds{transport,method}` (histogram)
pub const DURATION: &str = "customerd_request_duration_seconds";

/// Counts one call and its duration.
pub fn record(transport: &'static str, method: String, code: String, took: Duration) {
    metrics::counter!(REQUESTS, "transport" => transport, "method" => method.clone(), "code" => code)
        .increment(1);
    metrics::histogram!(DURATION, "transport" => transport, "method" => method)
        .record(took.as_secs_f64());
}

/// Route middleware: the route template (`GET /v1/customers/{id}`) keeps
/// the label set small. Requests no route matches are not counted.
pub async fn http_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str)
        .to_owned();
    let method = format!("{} {route}", request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    record(
        "http",
        method,
        response.status().as_u16().to_string(),
        started.elapsed(),
    );
    response
}
