//! Payments: records of money received, optionally from a customer.

use std::collections::BTreeMap;

use crate::paging::PageRequest;

mod input;
pub mod service;
pub mod store;

pub use service::PaymentApi;

pub use crate::db::entities::payment::PaymentStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub customer: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub live: bool,
    pub created_at: i64,
}

/// A validated request to record a payment.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub customer: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct PaymentQuery {
    pub page: PageRequest,
    pub customer: Option<String>,
}
