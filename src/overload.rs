//! Load shedding: at most `--max-concurrent-requests` API calls run at once;
//! one beyond that is refused at once with RESOURCE_EXHAUSTED and a
//! `retry-after` of one second (429 with `Retry-After` through the REST
//! gateway), never queued. Health checks and reflection are never shed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response};
use tokio::sync::Semaphore;
use tonic::Status;
use tower::{Layer, Service};

/// The calls shedding applies to: those of the `customers.v1` services.
const SHED_PREFIX: &str = "/customers.v1.";

/// How long a refused caller is told to wait, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;

#[derive(Clone)]
pub struct ShedLayer {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl ShedLayer {
    pub fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }
}

impl<S> Layer<S> for ShedLayer {
    type Service = Shed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Shed {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Shed<S> {
    inner: S,
    layer: ShedLayer,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Shed<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        if !req.uri().path().starts_with(SHED_PREFIX) {
            return Box::pin(self.inner.call(req));
        }
        let Ok(permit) = Arc::clone(&self.layer.permits).try_acquire_owned() else {
            let limit = self.layer.limit;
            let mut refused = Status::resource_exhausted(format!(
                "the server is running its limit of {limit} concurrent requests; \
                 retry after {RETRY_AFTER_SECONDS} s"
            ))
            .into_http::<ResBody>();
            refused
                .headers_mut()
                .insert("retry-after", HeaderValue::from(RETRY_AFTER_SECONDS));
            return Box::pin(async move { Ok(refused) });
        };
        let future = self.inner.call(req);
        Box::pin(async move {
            let response = future.await;
            drop(permit);
            response
        })
    }
}
