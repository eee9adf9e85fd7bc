use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = customerd::config::Cli::parse();
    customerd::telemetry::init();
    customerd::cli::run(cli).await
}
