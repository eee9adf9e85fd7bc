//! customerd: customer records served over gRPC, grpc-web and a REST gateway.

pub mod auth;
pub mod cli;
pub mod config;
pub mod currency;
pub mod customers;
pub mod db;
pub mod deadline;
pub mod error;
pub mod events;
pub mod expand;
pub mod guard;
pub mod idempotency;
pub mod ids;
pub mod metadata;
pub mod observe;
pub mod overload;
pub mod paging;
pub mod payments;
pub mod proto;
pub mod request_id;
pub mod startup;
pub mod subscriptions;
pub mod telemetry;
pub mod validation;
pub mod webhooks;
