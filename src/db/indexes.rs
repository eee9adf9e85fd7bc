//! The indexes that keyset pages scan, defined once: the migrations create
//! them and the stores name them (MySQL and MariaDB need the name as a hint).

use sea_orm::sea_query::{Alias, Index, IndexCreateStatement};

/// `(account_id, live, [equal…], created_at, id)` on `table`: every list is a
/// range scan of one of these, newest first, the id breaking ties so that
/// cursors are exact.
#[derive(Debug, Clone, Copy)]
pub struct KeysetIndex {
    pub name: &'static str,
    pub table: &'static str,
    /// The columns of an equality filter, between the tenant and the order.
    pub equal: &'static [&'static str],
}

impl KeysetIndex {
    pub fn create(&self) -> IndexCreateStatement {
        let mut index = Index::create();
        index.name(self.name).table(Alias::new(self.table));
        for column in ["account_id", "live"]
            .iter()
            .chain(self.equal)
            .chain(["created_at", "id"].iter())
        {
            index.col(Alias::new(*column));
        }
        index
    }
}

pub const CUSTOMERS: KeysetIndex = KeysetIndex {
    name: "customers_tenant_created_idx",
    table: "customers",
    equal: &[],
};
pub const CUSTOMERS_BY_EMAIL: KeysetIndex = KeysetIndex {
    name: "customers_tenant_email_created_idx",
    table: "customers",
    equal: &["email"],
};
pub const PAYMENTS: KeysetIndex = KeysetIndex {
    name: "payments_tenant_created_idx",
    table: "payments",
    equal: &[],
};
pub const PAYMENTS_BY_CUSTOMER: KeysetIndex = KeysetIndex {
    name: "payments_tenant_customer_created_idx",
    table: "payments",
    equal: &["customer_id"],
};
pub const SUBSCRIPTIONS: KeysetIndex = KeysetIndex {
    name: "subscriptions_tenant_created_idx",
    table: "subscriptions",
    equal: &[],
};
pub const SUBSCRIPTIONS_BY_CUSTOMER: KeysetIndex = KeysetIndex {
    name: "subscriptions_tenant_customer_created_idx",
    table: "subscriptions",
    equal: &["customer_id"],
};
pub const SUBSCRIPTIONS_BY_STATUS: KeysetIndex = KeysetIndex {
    name: "subscriptions_tenant_status_created_idx",
    table: "subscriptions",
    equal: &["status"],
};
pub const WEBHOOK_ENDPOINTS: KeysetIndex = KeysetIndex {
    name: "webhook_endpoints_tenant_created_idx",
    table: "webhook_endpoints",
    equal: &[],
};
pub const WEBHOOK_ATTEMPTS: KeysetIndex = KeysetIndex {
    name: "webhook_attempts_tenant_endpoint_created_idx",
    table: "webhook_attempts",
    equal: &["endpoint_id"],
};
