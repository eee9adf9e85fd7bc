//! Prometheus metrics at `GET /metrics` (HTTP port): calls by transport,
//! method and code, their durations, and the database pool.
//!
//! gRPC calls are counted where they arrive over the network (the REST
//! gateway's calls inside the process are counted once, as HTTP requests,
//! by the gateway); a unary call's code is its `grpc-status` header, which
//! tonic sends with every error, and OK otherwise.

use std::sync::OnceLock;
use std::time::Instant;

use http::{Request, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};
use tonic::Code;

use crate::guard::{BoxFuture, Guard, GuardLayer, Inner};

pub use customerd_gateway::observe::{DURATION, REQUESTS, record};

/// Seconds; from a cached read to a slow search.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
                .expect("buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            handle
        })
        .clone()
}

/// The text `/metrics` answers, with the pool's state as of now.
pub fn render(handle: &PrometheusHandle, db: &DatabaseConnection) -> String {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_mysql_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = idle as f64;
    metrics::gauge!("customerd_db_connections", "state" => "idle").set(idle);
    metrics::gauge!("customerd_db_connections", "state" => "in_use")
        .set((f64::from(size) - idle).max(0.0));
    handle.render()
}

/// Counts and times the gRPC calls that arrive over the network.
pub type GrpcMetricsLayer = GuardLayer<CountCalls>;

#[derive(Clone, Default)]
pub struct CountCalls;

impl<S, ReqBody, ResBody> Guard<S, ReqBody, ResBody> for CountCalls
where
    S: Inner<ReqBody, ResBody>,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    fn call(&self, inner: &mut S, req: Request<ReqBody>) -> BoxFuture<Response<ResBody>, S::Error> {
        // `/package.Service/Method`, without the leading slash.
        let method = req.uri().path().trim_start_matches('/').to_owned();
        let started = Instant::now();
        let future = inner.call(req);
        Box::pin(async move {
            let response = future.await?;
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i32>().ok())
                .map_or(Code::Ok, Code::from_i32);
            record("grpc", method, format!("{code:?}"), started.elapsed());
            Ok(response)
        })
    }
}
