//! customerd: customer records served over gRPC, grpc-web and a REST gateway.

pub mod auth;
pub mod cli;
pub mod config;
pub mod customers;
pub mod db;
pub mod error;
pub mod ids;
pub mod proto;
pub mod request_id;
pub mod startup;
pub mod telemetry;
pub mod validation;
