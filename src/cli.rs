//! What each command does.

use std::process::ExitCode;

use sea_orm::DatabaseConnection;

use crate::auth::{self, KeyInfo, Mode};
use crate::ids;
use crate::proto::rfc3339;
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
            let db = db::connect(&cli.database_url, None).await?;
            db::migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Keys(command)) => {
            let db = db::connect(&cli.database_url, None).await?;
            db::migrate(&db).await?;
            keys(&db, command).await
        }
    }
}

async fn keys(db: &DatabaseConnection, command: KeysCommand) -> Result<(), StartupError> {
    match command {
        KeysCommand::Create { live, account } => {
            let mode = if live { Mode::Live } else { Mode::Test };
            let key = auth::create_key(db, &account, mode).await?;
            println!("{}", key.secret);
        }
        KeysCommand::List { account } => {
            let now = ids::now_micros();
            for key in auth::list_keys(db, account.as_deref()).await? {
                println!("{}", key_line(&key, now));
            }
        }
        KeysCommand::Revoke { key } => {
            let revoked = auth::revoke_key(db, &key).await?;
            eprintln!(
                "revoked {}; servers refuse it within their --key-cache-ttl",
                revoked.id
            );
        }
        KeysCommand::Roll { key, expires_in } => {
            let issued = auth::roll_key(db, &key, expires_in).await?;
            println!("{}", issued.secret);
        }
    }
    Ok(())
}

/// One line of `keys list`, tab-separated.
fn key_line(key: &KeyInfo, now: i64) -> String {
    let expires = key.expires_at.map_or_else(|| "never".to_owned(), rfc3339);
    [
        key.id.clone(),
        key.account_name.clone(),
        key.mode.as_str().to_owned(),
        key.prefix.clone(),
        rfc3339(key.created_at),
        expires,
        key.status(now).as_str().to_owned(),
    ]
    .join("\t")
}

async fn serve(settings: Settings) -> Result<(), StartupError> {
    let shutdown = shutdown_signal();
    let app = Application::build(settings).await?;
    if let Some(key) = app.initial_key() {
        println!(
            "Created a test API key for account '{}' (shown only once):",
            key.account_name
        );
        println!("{}", key.secret);
    }
    // On stdout so that scripts and supervisors learn the real ports (port 0
    // binds a free one).
    println!(
        "Listening: grpc={} http={}",
        app.grpc_addr(),
        app.http_addr()
    );
    app.run_until_stopped(shutdown).await
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
    let http = listener.local_addr().unwrap_or(args.http_addr);
    tracing::info!(%http, upstream = %args.upstream, "serving the REST gateway");
    // The same line as `serve` prints, without the gRPC side it does not have.
    println!("Listening: http={http}");
    customerd_gateway::serve(
        listener,
        customerd_gateway::Upstream::connected(channel),
        // The gateway alone depends on nothing it could check cheaply: an
        // unreachable upstream is answered per request with a 503.
        customerd_gateway::probes::Probes::new(|| async { true }),
        shutdown_signal(),
    )
    .await?;
    Ok(())
}
