//! Command line and environment configuration.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://customerd.db?mode=rwc";
/// How long a key lookup is trusted: the longest a revoked key keeps working.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(5);

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
    /// List keys, one per line: id, account, mode, the first 12 characters of
    /// the secret, created, expires, and status (active, expired or revoked).
    List {
        /// Only the keys of this account.
        #[arg(long)]
        account: Option<String>,
    },
    /// Refuse a key from now on (within --key-cache-ttl on running servers).
    Revoke {
        /// The key's id (key_…) or its secret.
        key: String,
    },
    /// Print a new secret for the key's account and mode; the old key keeps
    /// working until --expires-in has passed.
    Roll {
        /// The key's id (key_…) or its secret.
        key: String,
        /// How long the old key stays valid, e.g. 24h, 30m, 0s (at once).
        #[arg(long, default_value = "24h", value_parser = parse_duration)]
        expires_in: Duration,
    },
}

/// A duration such as `500ms`, `5s`, `30m`, `24h`, `7d` or `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("'{text}' is not a duration such as 500ms, 5s, 30m, 24h or 7d");
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit_end = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .map_or(rest.len(), |i| digits + i);
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        let unit = match &rest[digits..unit_end] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return Err(invalid()),
        };
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or_else(invalid)?;
        total = total.checked_add(part).ok_or_else(invalid)?;
        rest = &rest[unit_end..];
    }
    Ok(total)
}

/// A secret given on the command line; never shown by `Debug`.
#[derive(Clone)]
pub struct SecretText(String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

fn parse_secret(text: &str) -> Result<SecretText, String> {
    Ok(SecretText(text.to_owned()))
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

    /// How long a key lookup is reused; a revoked key keeps working at most this long.
    #[arg(long, env = "KEY_CACHE_TTL", default_value = "5s", value_parser = parse_duration)]
    pub key_cache_ttl: Duration,

    /// Database connections to keep at most (default: 4 for SQLite, 10 otherwise).
    #[arg(long, env = "DB_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_connections: Option<u32>,

    /// API calls served at once; more are refused at once (RESOURCE_EXHAUSTED / 429).
    #[arg(
        long,
        env = "MAX_CONCURRENT_REQUESTS",
        default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_concurrent_requests: u32,

    /// The longest a call may run: a gRPC caller's `grpc-timeout` is capped at it,
    /// and REST calls get it. Past it the call is answered DEADLINE_EXCEEDED (503).
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// How long events are kept; resuming after an older one is refused
    /// (FAILED_PRECONDITION / 410).
    #[arg(long, env = "EVENT_RETENTION", default_value = "30d", value_parser = parse_duration)]
    pub event_retention: Duration,

    /// Allow webhook URLs that resolve to loopback, private, link-local or
    /// unspecified addresses (refused by default, when created and when sent).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,

    /// The delay before a failed webhook delivery's first retry; each later
    /// retry waits about twice as long as the one before (at most 6 h).
    #[arg(long, env = "WEBHOOK_RETRY_BASE", default_value = "30s", value_parser = parse_duration)]
    pub webhook_retry_base: Duration,

    /// How long after its event a failing webhook delivery is retried before
    /// it is given up.
    #[arg(long, env = "WEBHOOK_MAX_AGE", default_value = "3d", value_parser = parse_duration)]
    pub webhook_max_age: Duration,

    /// Seals webhook endpoint secrets at rest (any long random string; keep it
    /// as safe as the database). Without it, secrets are stored as issued.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub secret_key: Option<SecretText>,
}

pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_EVENT_RETENTION: Duration = Duration::from_secs(30 * 86_400);

/// Enough to keep every core and database connection busy, few enough that
/// a burst is refused rather than left to queue on the pool.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 1024;

/// Everything `serve` needs, independent of how it was given.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub cors_allowed_origins: Vec<String>,
    pub key_cache_ttl: Duration,
    /// `None`: the backend's default.
    pub db_max_connections: Option<u32>,
    pub max_concurrent_requests: u32,
    pub request_timeout: Duration,
    pub event_retention: Duration,
    pub webhooks: crate::webhooks::Settings,
}

impl Settings {
    /// Defaults for `database_url`, listening on free loopback ports.
    pub fn local(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            cors_allowed_origins: Vec::new(),
            key_cache_ttl: DEFAULT_KEY_CACHE_TTL,
            db_max_connections: None,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            event_retention: DEFAULT_EVENT_RETENTION,
            webhooks: crate::webhooks::Settings::default(),
        }
    }

    pub fn new(database_url: String, serve: ServeArgs) -> Self {
        Self {
            database_url,
            key_cache_ttl: serve.key_cache_ttl,
            db_max_connections: serve.db_max_connections,
            max_concurrent_requests: serve.max_concurrent_requests,
            request_timeout: serve.request_timeout,
            event_retention: serve.event_retention,
            webhooks: crate::webhooks::Settings {
                allow_private: serve.webhook_allow_private,
                retry_base: serve.webhook_retry_base,
                max_age: serve.webhook_max_age,
                key: serve
                    .secret_key
                    .as_ref()
                    .map(|k| k.0.trim())
                    .filter(|k| !k.is_empty())
                    .map(crate::webhooks::SealingKey::from_text),
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_units_operators_write() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        for bad in ["", "5", "s", "5x", "-1s", "1.5h", "99999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
