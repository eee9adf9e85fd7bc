//! Compiles `proto/` once, with a pure-Rust protobuf compiler (no system
//! `protoc`), into the gRPC server and client code, and writes the descriptor
//! set that server reflection serves.

use std::{env, error::Error, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=../proto");
    let fds = protox::compile(
        [
            "customers/v1/customers.proto",
            "customers/v1/events.proto",
            "customers/v1/webhooks.proto",
        ],
        ["../proto"],
    )?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out.join("customers_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        // Ordered maps encode deterministically, so equal requests have equal
        // fingerprints (the service's idempotency keys rely on it).
        .btree_map(".")
        .compile_fds(fds)?;
    Ok(())
}
