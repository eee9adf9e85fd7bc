//! Webhooks: endpoints that receive a tenant's events as signed HTTP POSTs.
//!
//! The event log is the source: a dispatcher follows each enabled
//! endpoint's stream from its cursor and records one delivery per matching
//! event ([`dispatch`]); a worker claims due deliveries, POSTs them, and
//! records each attempt, retrying failures with exponential backoff until
//! `--webhook-max-age` ([`worker`]). Both run in every replica; row claims
//! keep two replicas from working on one endpoint's cursor or one delivery
//! at the same time.

pub mod address;
pub mod dispatch;
mod input;
pub mod secret;
pub mod service;
mod store;
pub mod worker;

use std::time::Duration;

pub use secret::SealingKey;
pub use service::WebhookApi;

use crate::db::entities::webhook_endpoint::EndpointStatus;

/// How webhooks behave, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Allow URLs that resolve to loopback, private or link-local addresses.
    pub allow_private: bool,
    /// The delay before the first retry; each later one doubles it.
    pub retry_base: Duration,
    /// How long after an event its delivery is retried before it is given up.
    pub max_age: Duration,
    /// Seals endpoint secrets at rest.
    pub key: Option<SealingKey>,
}

pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3 * 86_400);

impl Default for Settings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_base: DEFAULT_RETRY_BASE,
            max_age: DEFAULT_MAX_AGE,
            key: None,
        }
    }
}

/// A validated create request.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub enabled_events: Vec<String>,
    pub description: Option<String>,
    pub format: String,
}

/// A validated update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub url: Option<String>,
    pub enabled_events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub status: Option<EndpointStatus>,
}
