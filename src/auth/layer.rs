//! A tower layer that authenticates every `customers.v1` call once, before any
//! handler runs, and attaches the caller's [`Tenant`](super::Tenant).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use customerd_wire::headers::presented_key;
use http::{Request, Response};
use tonic::Status;
use tower::{Layer, Service};

use super::KeyCache;

/// Paths under this prefix need a key; health and reflection do not.
const PROTECTED_PREFIX: &str = "/customers.v1.";

#[derive(Clone)]
pub struct AuthLayer {
    keys: KeyCache,
}

impl AuthLayer {
    pub fn new(keys: KeyCache) -> Self {
        Self { keys }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            keys: self.keys.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    keys: KeyCache,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S>
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

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        if !req.uri().path().starts_with(PROTECTED_PREFIX) {
            return Box::pin(self.inner.call(req));
        }
        // The clone is not ready; the instance that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let keys = self.keys.clone();
        let key = presented_key(req.headers());
        Box::pin(async move {
            let Some(key) = key else {
                return Ok(Status::unauthenticated(
                    "missing API key: send 'authorization: Bearer <key>' or 'x-api-key: <key>'",
                )
                .into_http());
            };
            // A key that cannot be read cannot match one either.
            match keys.tenant(key.secret().unwrap_or_default()).await {
                Ok(Some(tenant)) => {
                    req.extensions_mut().insert(tenant);
                    inner.call(req).await
                }
                Ok(None) => Ok(Status::unauthenticated("invalid API key").into_http()),
                Err(err) => Ok(Status::from(err).into_http()),
            }
        })
    }
}
