//! Subscriptions: a customer's enrolment in a plan, until canceled.

use std::collections::BTreeMap;

use crate::paging::PageRequest;

mod input;
pub mod service;
pub mod store;

pub use service::SubscriptionApi;

pub use crate::db::entities::subscription::SubscriptionStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub plan: String,
    pub status: SubscriptionStatus,
    pub metadata: BTreeMap<String, String>,
    pub live: bool,
    pub created_at: i64,
    pub canceled_at: Option<i64>,
}

/// A validated request to subscribe a customer.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub customer: String,
    pub plan: String,
    pub status: SubscriptionStatus,
    pub metadata: BTreeMap<String, String>,
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct SubscriptionQuery {
    pub page: PageRequest,
    pub customer: Option<String>,
    pub status: Option<SubscriptionStatus>,
}
