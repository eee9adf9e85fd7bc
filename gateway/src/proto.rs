//! The generated `customers.v1` client and message types.

#[allow(clippy::all, missing_docs)]
pub mod customers {
    pub mod v1 {
        tonic::include_proto!("customers.v1");
    }
}

pub use customers::v1 as pb;
