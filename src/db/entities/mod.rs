//! SeaORM entities, one module per table.

pub mod account;
pub mod api_key;
pub mod customer;
pub mod customer_count;
pub mod customer_metadata;
pub mod event;
pub mod event_stream;
pub mod idempotency_key;
pub mod payment;
pub mod subscription;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
