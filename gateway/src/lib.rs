//! REST/JSON gateway for customerd: three vendor dialects (profiles) over the
//! `customers.v1` gRPC API.
//!
//! | profile | base path |
//! |---|---|
//! | `paygate` | `/v1` |
//! | `4geeks` | `/4geeks/v1` |
//! | `epoch` | `/epoch/v1` |
//!
//! Each profile serves customers, their payments and subscriptions, plus
//! `/openapi.json` and `/docs`. Every route translates one REST call into one
//! gRPC call; the service holds every rule.

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

pub mod auth;
pub mod body;
pub mod body_schema;
pub mod customers;
pub mod error;
pub mod filters;
pub mod objects;
pub mod observe;
pub mod openapi;
pub mod operations;
pub mod payments;
pub mod probes;
pub mod profiles;
pub mod proto;
pub mod query;
pub mod request_id;
pub mod resources;
pub mod subscriptions;
pub use customerd_wire::timestamps;
pub mod validation;
pub mod webhooks;

use profiles::epoch::Epoch;
use profiles::four_geeks::FourGeeks;
use profiles::paygate::Paygate;
pub use profiles::{GrpcService, Upstream, UpstreamError};

/// `event` as the JSON a webhook endpoint of `format` (a profile's tag, see
/// [`customerd_wire::webhooks::FORMATS`]) receives; `None` for an unknown format.
pub fn webhook_body(format: &str, event: &proto::pb::Event) -> Option<Vec<u8>> {
    use profiles::Profile;
    let style = match format {
        Paygate::TAG => Paygate::TIMES,
        FourGeeks::TAG => FourGeeks::TIMES,
        Epoch::TAG => Epoch::TIMES,
        _ => return None,
    };
    serde_json::to_vec(&profiles::EventJson::new(event, style)).ok()
}

/// Every profile's routes, `/openapi.json` and `/docs`, calling `upstream`.
pub fn router(upstream: Upstream) -> Router {
    Router::new()
        .merge(profiles::routes::<Paygate>())
        .merge(profiles::routes::<FourGeeks>())
        .merge(profiles::routes::<Epoch>())
        .route("/openapi.json", get(openapi::serve_document))
        .route("/docs", get(openapi::serve_docs))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(error::BODY_LIMIT))
        .layer(middleware::from_fn(request_id::assign))
        .route_layer(middleware::from_fn(observe::http_metrics))
        .with_state(upstream)
}

/// Serves the gateway and `probes` on `listener` until `shutdown`
/// completes, then lets in-flight requests finish. `/readyz` answers 503 from
/// the moment `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    upstream: Upstream,
    probes: probes::Probes,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Small replies must not wait for a delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
    });
    let app = router(upstream).merge(probes.clone().routes());
    let shutdown = async move {
        shutdown.await;
        probes.drain();
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of the table is served in every profile: a request
    /// without a key reaches its handler (401), a method no operation of the
    /// path names is a 405, and a path no operation names a 404.
    #[tokio::test]
    async fn the_router_serves_every_operation_and_nothing_else() {
        use axum::body::Body;
        use axum::http::{Request, StatusCode};
        use profiles::Profile;
        use tower::ServiceExt;

        let unused = tower::service_fn(|_: http::Request<tonic::body::Body>| async {
            Err::<http::Response<tonic::body::Body>, _>(UpstreamError::new("no upstream here"))
        });
        let app = router(Upstream::new(GrpcService::new(unused)));
        let status = |method: &str, path: String| {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let app = app.clone();
            async move { app.oneshot(request).await.unwrap().status() }
        };
        for base in [Paygate::BASE, FourGeeks::BASE, Epoch::BASE] {
            for op in operations::OPERATIONS {
                let path = format!("{base}{}", op.path.replace("{id}", "x_1"));
                let method = op.verb.name().to_ascii_uppercase();
                assert_eq!(
                    status(&method, path.clone()).await,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path}"
                );
            }
            let put = status("PUT", format!("{base}/customers")).await;
            assert_eq!(put, StatusCode::METHOD_NOT_ALLOWED);
            let unknown = status("GET", format!("{base}/refunds")).await;
            assert_eq!(unknown, StatusCode::NOT_FOUND);
        }
    }

    #[test]
    fn every_webhook_format_is_a_profile() {
        use profiles::Profile;
        assert_eq!(
            customerd_wire::webhooks::FORMATS,
            [Paygate::TAG, FourGeeks::TAG, Epoch::TAG]
        );
        let event = proto::pb::Event {
            id: "evt_1".into(),
            r#type: "customer.created".into(),
            ..Default::default()
        };
        for format in customerd_wire::webhooks::FORMATS {
            let body = webhook_body(format, &event).expect("a known format");
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["id"], "evt_1");
            assert_eq!(json["type"], "customer.created");
        }
        assert!(webhook_body("xml", &event).is_none());
    }
}
