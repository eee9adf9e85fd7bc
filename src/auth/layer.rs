//! A tower layer that authenticates every `customers.v1` call once, before any
//! handler runs, and attaches the caller's [`Tenant`](super::Tenant).

use customerd_wire::headers::presented_key;
use http::{Request, Response};
use tonic::Status;

use super::KeyCache;
use crate::guard::{BoxFuture, Guard, GuardLayer, Inner};

/// Paths under this prefix need a key; health and reflection do not.
const PROTECTED_PREFIX: &str = "/customers.v1.";

/// The layer that authenticates calls.
pub type AuthLayer = GuardLayer<Authenticate>;

impl AuthLayer {
    pub fn new(keys: KeyCache) -> Self {
        GuardLayer::with(Authenticate { keys })
    }
}

#[derive(Clone)]
pub struct Authenticate {
    keys: KeyCache,
}

impl<S, ReqBody, ResBody> Guard<S, ReqBody, ResBody> for Authenticate
where
    S: Inner<ReqBody, ResBody> + Clone,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    fn call(
        &self,
        inner: &mut S,
        mut req: Request<ReqBody>,
    ) -> BoxFuture<Response<ResBody>, S::Error> {
        if !req.uri().path().starts_with(PROTECTED_PREFIX) {
            return Box::pin(inner.call(req));
        }
        // The clone is not ready; the instance that was polled ready serves this call.
        let clone = inner.clone();
        let mut inner = std::mem::replace(inner, clone);
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
