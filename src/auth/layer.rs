//! A tower layer that authenticates every `customers.v1` call once, before any
//! handler runs, and attaches the caller's [`Tenant`](super::Tenant).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderMap, Request, Response, header::AUTHORIZATION};
use sea_orm::DatabaseConnection;
use tonic::Status;
use tower::{Layer, Service};

use super::authenticate;

/// Paths under this prefix need a key; health and reflection do not.
const PROTECTED_PREFIX: &str = "/customers.v1.";

#[derive(Clone)]
pub struct AuthLayer {
    db: DatabaseConnection,
}

impl AuthLayer {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            db: self.db.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    db: DatabaseConnection,
}

/// The key a request presents, from `authorization: Bearer …` or `x-api-key`.
pub fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if let Some((scheme, token)) = value.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
            && !token.trim().is_empty()
        {
            return Some(token.trim().to_owned());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
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
        let db = self.db.clone();
        let key = presented_key(req.headers());
        Box::pin(async move {
            let Some(key) = key else {
                return Ok(Status::unauthenticated(
                    "missing API key: send 'authorization: Bearer <key>' or 'x-api-key: <key>'",
                )
                .into_http());
            };
            match authenticate(&db, &key).await {
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
