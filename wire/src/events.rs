//! Event types, as the service writes them and the gateway documents them.

pub const CUSTOMER_CREATED: &str = "customer.created";
pub const CUSTOMER_UPDATED: &str = "customer.updated";
pub const CUSTOMER_DELETED: &str = "customer.deleted";
pub const PAYMENT_CREATED: &str = "payment.created";
pub const PAYMENT_UPDATED: &str = "payment.updated";
pub const SUBSCRIPTION_CREATED: &str = "subscription.created";
pub const SUBSCRIPTION_CANCELED: &str = "subscription.canceled";

/// Every event type.
pub const TYPES: [&str; 7] = [
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_DELETED,
    PAYMENT_CREATED,
    PAYMENT_UPDATED,
    SUBSCRIPTION_CREATED,
    SUBSCRIPTION_CANCELED,
];
