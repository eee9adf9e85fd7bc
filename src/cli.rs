//! What each command does.

use std::process::ExitCode;

use crate::auth::{self, Mode};
use tokio::net::TcpListener;
use tonic::transport::Endpoint;

use crate::config::{Cli, Command, GatewayArgs, KeysCommand, Settings};
use crate::db;
use crate::startup::{Application, StartupError, shutdown_signal};

pub async fn run(cli: Cli) -> ExitCode {
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("customerd: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> Result<(), StartupError> {
    match cli.command {
        None => serve(Settings::new(cli.database_url, cli.serve)).await,
        Some(Command::Serve(args)) => serve(Settings::new(cli.database_url, args)).await,
        Some(Command::Gateway(args)) => gateway(args).await,
        Some(Command::Migrate) => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Create { live, account })) => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let mode = if live { Mode::Live } else { Mode::Test };
            let key = auth::create_key(&db, &account, mode).await?;
            println!("{}", key.secret);
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> Result<(), StartupError> {
    let app = Application::build(settings).await?;
    if let Some(key) = app.initial_key() {
        println!(
            "Created a test API key for account '{}' (shown only once):",
            key.account_name
        );
        println!("{}", key.secret);
    }
    app.run_until_stopped(shutdown_signal()).await
}

/// The REST gateway alone, in front of a remote gRPC server. The connection is
/// made lazily, so the gateway starts (and answers 503) while the upstream is down.
async fn gateway(args: GatewayArgs) -> Result<(), StartupError> {
    let endpoint = Endpoint::from_shared(args.upstream.clone())
        .map_err(|e| format!("invalid --upstream '{}': {e}", args.upstream))?;
    let channel = crate::startup::upstream_endpoint(endpoint).connect_lazy();
    let listener = TcpListener::bind(args.http_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.http_addr))?;
    tracing::info!(
        http = %listener.local_addr().unwrap_or(args.http_addr),
        upstream = %args.upstream,
        "serving the REST gateway"
    );
    customerd_gateway::serve(listener, channel, shutdown_signal()).await?;
    Ok(())
}
