//! The `customers.v1` contract as both sides of it see it: the generated
//! messages, servers and clients, the descriptor set reflection serves, and
//! the facts the service and the REST gateway must agree on (limits, header
//! names, status names, violation reasons, request ids, how instants are read and written).

pub mod events;
pub mod fields;
pub mod headers;
pub mod limits;
pub mod reasons;
pub mod request_id;
pub mod statuses;
pub mod timestamps;
#[cfg(feature = "otel")]
pub mod trace_context;
pub mod validate_only;
pub mod webhooks;

/// Code generated from `proto/`.
#[allow(clippy::all, missing_docs)]
pub mod proto {
    pub mod customers {
        pub mod v1 {
            tonic::include_proto!("customers.v1");
        }
    }
}

pub use proto::customers::v1 as pb;

/// The encoded descriptor set that server reflection serves.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("customers_descriptor");
