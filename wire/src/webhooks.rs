//! Webhook facts the service and the gateway share: the formats an endpoint
//! can be sent events in, and the signature header.

/// The REST profiles whose JSON an endpoint can receive; the first is the
/// default of an endpoint created over gRPC without one.
pub const FORMATS: [&str; 3] = ["paygate", "4geeks", "epoch"];

/// `Customerd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "customerd-signature";

/// The prefix of an endpoint's signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
