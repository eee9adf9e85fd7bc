//! Integration tests: a real server on real sockets against real databases.

mod helpers;

mod billing;
mod cli;
mod customers;
mod filters;
mod gateway_billing;
mod gateway_errors;
mod gateway_lists;
mod gateway_seeds;
mod gateway_standalone;
mod gateway_upstream;
mod hostile_input;
mod idempotency;
mod server;
