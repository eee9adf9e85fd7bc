//! Every call has a deadline: the caller's `grpc-timeout` when it sends one,
//! never more than `--request-timeout`, which is also the deadline of the
//! REST gateway's calls (they carry none). A call past it is answered
//! DEADLINE_EXCEEDED (503 over REST) and its work is dropped.

use std::time::Duration;

use http::{HeaderMap, Request, Response};
use tonic::Status;

use crate::guard::{BoxFuture, Guard, GuardLayer, Inner};

/// The layer that bounds every call's time.
pub type DeadlineLayer = GuardLayer<Deadline>;

impl DeadlineLayer {
    pub fn new(max: Duration) -> Self {
        GuardLayer::with(Deadline { max })
    }
}

#[derive(Clone)]
pub struct Deadline {
    max: Duration,
}

/// The `grpc-timeout` header: at most 8 digits and a unit (H, M, S, m, u, n).
pub fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// How much earlier than a caller's `grpc-timeout` this layer answers.
const AHEAD_OF_TONIC: Duration = Duration::from_millis(5);

impl<S, ReqBody, ResBody> Guard<S, ReqBody, ResBody> for Deadline
where
    S: Inner<ReqBody, ResBody>,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    fn call(&self, inner: &mut S, req: Request<ReqBody>) -> BoxFuture<Response<ResBody>, S::Error> {
        // tonic's server enforces a caller's `grpc-timeout` too, outside this
        // layer and with a timer started just before this one, answering
        // CANCELLED; a caller's own deadline is therefore kept a few
        // milliseconds early, so that it is always this layer that answers.
        let (deadline, timer) = match grpc_timeout(req.headers()) {
            Some(asked) if asked < self.max => (asked, asked.saturating_sub(AHEAD_OF_TONIC)),
            _ => (self.max, self.max),
        };
        let future = inner.call(req);
        Box::pin(async move {
            match tokio::time::timeout(timer, future).await {
                Ok(response) => response,
                Err(_) => Ok(Status::deadline_exceeded(format!(
                    "the call did not finish within its deadline of {deadline:?}"
                ))
                .into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_unit_and_refuses_malformed_values() {
        let at = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("grpc-timeout", v.parse().unwrap());
            grpc_timeout(&h)
        };
        assert_eq!(at("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(at("3M"), Some(Duration::from_secs(180)));
        assert_eq!(at("5S"), Some(Duration::from_secs(5)));
        assert_eq!(at("250m"), Some(Duration::from_millis(250)));
        assert_eq!(at("7u"), Some(Duration::from_micros(7)));
        assert_eq!(at("9n"), Some(Duration::from_nanos(9)));
        for bad in ["", "S", "123456789S", "5x", "-5S", "5", "1.5S"] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }
}
