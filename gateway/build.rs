//! Generates the `customers.v1` gRPC client from the service's `proto/` directory.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=../proto");
    let fds = protox::compile(["customers/v1/customers.proto"], ["../proto"])?;
    tonic_prost_build::configure()
        .build_server(false)
        .compile_fds(fds)?;
    Ok(())
}
