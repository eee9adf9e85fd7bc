//! Load shedding: at most `--max-concurrent-requests` API calls run at once;
//! one beyond that is refused at once with RESOURCE_EXHAUSTED and a
//! `retry-after` of one second (429 with `Retry-After` through the REST
//! gateway), never queued. Health checks and reflection are never shed.

use std::sync::Arc;

use http::{HeaderValue, Request, Response};
use tokio::sync::Semaphore;
use tonic::Status;

use crate::guard::{BoxFuture, Guard, GuardLayer, Inner};

/// The calls shedding applies to: those of the `customers.v1` services.
const SHED_PREFIX: &str = "/customers.v1.";

/// How long a refused caller is told to wait, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The layer that sheds calls beyond its limit.
pub type ShedLayer = GuardLayer<Shed>;

impl ShedLayer {
    pub fn new(limit: usize) -> Self {
        GuardLayer::with(Shed {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        })
    }
}

#[derive(Clone)]
pub struct Shed {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl<S, ReqBody, ResBody> Guard<S, ReqBody, ResBody> for Shed
where
    S: Inner<ReqBody, ResBody>,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    fn call(&self, inner: &mut S, req: Request<ReqBody>) -> BoxFuture<Response<ResBody>, S::Error> {
        if !req.uri().path().starts_with(SHED_PREFIX) {
            return Box::pin(inner.call(req));
        }
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            let limit = self.limit;
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
        let future = inner.call(req);
        Box::pin(async move {
            let response = future.await;
            drop(permit);
            response
        })
    }
}
