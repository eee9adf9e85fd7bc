//! Customers: the domain types, their storage and the `CustomerService` gRPC API.

use std::collections::{BTreeMap, BTreeSet};

use crate::paging::PageRequest;

pub mod cache;
pub mod filter;
mod input;
pub mod search;
pub mod service;
pub mod store;
pub mod texts;

pub use cache::CustomerCache;
pub use service::CustomerApi;
pub use texts::Texts;

/// A customer as stored, with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub live: bool,
    pub texts: Texts<Option<String>>,
    pub metadata: BTreeMap<String, String>,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    /// Microseconds since the Unix epoch.
    pub updated_at: i64,
}

/// A validated request to create a customer.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub texts: Texts<Option<String>>,
    pub metadata: BTreeMap<String, String>,
}

/// What an update does to one optional field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

/// What an update does to the metadata: an optional wholesale replacement, then
/// key-by-key sets and removals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataChange {
    pub replace: Option<BTreeMap<String, String>>,
    pub set: BTreeMap<String, String>,
    pub remove: BTreeSet<String>,
}

impl MetadataChange {
    pub fn is_empty(&self) -> bool {
        self.replace.is_none() && self.set.is_empty() && self.remove.is_empty()
    }
}

/// A validated update.
#[derive(Debug, Clone, Default)]
pub struct CustomerChanges {
    pub texts: Texts<Change<String>>,
    pub metadata: MetadataChange,
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub page: PageRequest,
    pub email: Option<String>,
    pub created_gte: Option<i64>,
    pub created_lte: Option<i64>,
    pub filter: Option<filter::Filter>,
}
