//! Command line and environment configuration.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://customerd.db?mode=rwc";

/// Self-hosted Customers API: gRPC, grpc-web and vendor-compatible REST.
#[derive(Debug, Parser)]
#[command(name = "customerd", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Database to use: sqlite://FILE, postgres://… or mysql://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve gRPC, grpc-web and the REST gateway (the default).
    Serve(ServeArgs),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Apply database migrations and exit.
    Migrate,
    /// Serve only the REST gateway, forwarding to a remote gRPC server.
    Gateway(GatewayArgs),
}

#[derive(Debug, Clone, Args)]
pub struct GatewayArgs {
    /// The gRPC server to forward to, e.g. http://10.0.0.5:50051.
    #[arg(long, env = "GATEWAY_UPSTREAM")]
    pub upstream: String,

    /// Address for the REST gateway.
    #[arg(long, env = "HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a secret key and print it on stdout.
    Create {
        /// Create a live-mode key (default: test mode).
        #[arg(long)]
        live: bool,
        /// The account the key belongs to; created if it does not exist.
        #[arg(long, default_value = "default")]
        account: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address for gRPC and grpc-web.
    #[arg(long, env = "GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,

    /// Address for the REST gateway.
    #[arg(long, env = "HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,

    /// Browser origins allowed to call grpc-web (comma-separated; `*` allows any).
    #[arg(
        long = "cors-allowed-origins",
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,
}

/// Everything `serve` needs, independent of how it was given.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub cors_allowed_origins: Vec<String>,
}

impl Settings {
    pub fn new(database_url: String, serve: ServeArgs) -> Self {
        Self {
            database_url,
            grpc_addr: serve.grpc_addr,
            http_addr: serve.http_addr,
            cors_allowed_origins: serve
                .cors_allowed_origins
                .into_iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }
}
