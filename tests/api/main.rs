//! Integration tests: a real server on real sockets against real databases.

// Requests are built with `..Default::default()` even where every field is
// given, so that a field added to the proto does not break them.
#![allow(clippy::needless_update)]

mod contract;
mod helpers;
mod probes;
mod process;
mod receiver;

mod billing;
mod billing_deletion;
mod billing_validation;
mod cli;
mod concurrent_start;
mod contention;
mod customer_access;
mod customer_cache;
mod customer_fields;
mod customer_lists;
mod customer_validation;
mod customers;
mod deadline;
mod event_order;
mod event_watch;
mod events;
mod expand;
mod filters;
mod gateway_billing;
mod gateway_billing_lists;
mod gateway_billing_validation;
mod gateway_errors;
mod gateway_events;
mod gateway_forms;
mod gateway_lists;
mod gateway_query_errors;
mod gateway_seeds;
mod gateway_standalone;
mod gateway_upstream;
mod gateway_webhooks;
mod grouped_writes;
mod hostile_input;
mod idempotency;
mod keys;
mod metrics;
mod migrations;
mod overload;
mod scale_out;
mod search;
mod server;
mod stream_liveness;
mod validate_only;
mod webhook_delivery;
mod webhook_receivers;
mod webhook_safety;
mod webhooks;
