use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = customerd::config::Cli::parse();
    let telemetry = customerd::telemetry::init();
    let code = customerd::cli::run(cli).await;
    telemetry.finish().await;
    code
}
