//! The `customers.v1` messages and clients, from the wire crate.

pub use customerd_wire::pb;
pub use customerd_wire::proto::customers;
