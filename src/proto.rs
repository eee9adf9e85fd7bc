//! Code generated from `proto/`, and conversions for its well-known types.

pub mod customers {
    pub mod v1 {
        tonic::include_proto!("customers.v1");
    }
}

/// The encoded descriptor set that server reflection serves.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("customers_descriptor");

/// A protobuf timestamp for microseconds since the Unix epoch.
pub fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// A row count as the `int64` the list responses carry.
pub fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
