//! What the server's own tower layers share: a layer hands each service it
//! wraps a copy of its [`Guard`], and the wrapped service gives every call to
//! that guard along with the inner service, to answer or pass on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

/// A guarded call's answer.
pub type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// What a layer does with each call: answer it itself, or (as well) pass it
/// to `inner`, which has been polled ready.
pub trait Guard<S, ReqBody, ResBody>: Clone
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    fn call(&self, inner: &mut S, req: Request<ReqBody>) -> BoxFuture<Response<ResBody>, S::Error>;
}

/// A service a guard can wrap: it, and the futures of its calls, can move
/// between threads.
pub trait Inner<ReqBody, ResBody>:
    Service<Request<ReqBody>, Response = Response<ResBody>, Future: Send + 'static> + Send + 'static
{
}

impl<S, ReqBody, ResBody> Inner<ReqBody, ResBody> for S where
    S: Service<Request<ReqBody>, Response = Response<ResBody>, Future: Send + 'static>
        + Send
        + 'static
{
}

/// The layer of a [`Guard`].
#[derive(Clone, Default)]
pub struct GuardLayer<G> {
    guard: G,
}

impl<G> GuardLayer<G> {
    pub fn with(guard: G) -> Self {
        Self { guard }
    }
}

impl<S, G: Clone> Layer<S> for GuardLayer<G> {
    type Service = Guarded<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// A service behind a [`Guard`].
#[derive(Clone)]
pub struct Guarded<S, G> {
    inner: S,
    guard: G,
}

impl<S, G, ReqBody, ResBody> Service<Request<ReqBody>> for Guarded<S, G>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    G: Guard<S, ReqBody, ResBody>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        self.guard.call(&mut self.inner, req)
    }
}
