//! `GET /healthz` and `GET /readyz` on the HTTP port, for load balancers and
//! orchestrators: alive while the process runs; ready while it is not
//! draining and what it depends on answers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

type Check = dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync;

type Render = dyn Fn() -> String + Send + Sync;

/// What `/readyz` asks: the draining flag, then the dependency check; and
/// what `/metrics` answers, where the process keeps metrics.
#[derive(Clone)]
pub struct Probes {
    draining: Arc<AtomicBool>,
    dependency: Arc<Check>,
    metrics: Option<Arc<Render>>,
}

impl Probes {
    /// Ready unless draining and while `dependency` (e.g. a database ping)
    /// answers true.
    pub fn new<F, Fut>(dependency: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Self {
            draining: Arc::new(AtomicBool::new(false)),
            dependency: Arc::new(move || Box::pin(dependency())),
            metrics: None,
        }
    }

    /// Serves `GET /metrics` (Prometheus text) from `render`.
    pub fn with_metrics(self, render: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self {
            metrics: Some(Arc::new(render)),
            ..self
        }
    }

    /// From now on `/readyz` answers 503: the process is shutting down.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// `/healthz`, `/readyz` and, with metrics, `/metrics`.
    pub fn routes(self) -> Router {
        let mut router = Router::new();
        if let Some(render) = self.metrics.clone() {
            router = router.route(
                "/metrics",
                get(move || {
                    let text = render();
                    async move {
                        ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
                            .into_response()
                    }
                }),
            );
        }
        router
            .route("/healthz", get(|| async { plain(StatusCode::OK, "ok") }))
            .route(
                "/readyz",
                get(move || {
                    let probes = self.clone();
                    async move {
                        if probes.draining() {
                            plain(StatusCode::SERVICE_UNAVAILABLE, "draining")
                        } else if (probes.dependency)().await {
                            plain(StatusCode::OK, "ready")
                        } else {
                            plain(StatusCode::SERVICE_UNAVAILABLE, "dependency unavailable")
                        }
                    }
                }),
            )
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
