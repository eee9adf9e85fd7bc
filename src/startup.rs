//! Building and running the server: bind first (so the real ports are known,
//! even for port 0), then serve until a shutdown signal.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::auth::{self, AuthLayer, IssuedKey};
use crate::config::Settings;
use crate::customers::CustomerApi;
use crate::db;
use crate::payments::PaymentApi;
use crate::proto::FILE_DESCRIPTOR_SET;
use crate::proto::customers::v1::customer_service_server::CustomerServiceServer;
use crate::proto::customers::v1::payment_service_server::PaymentServiceServer;
use crate::proto::customers::v1::subscription_service_server::SubscriptionServiceServer;
use crate::request_id::{self, MakeId};
use crate::subscriptions::SubscriptionApi;

pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

pub struct Application {
    db: DatabaseConnection,
    grpc_listener: TcpListener,
    http_listener: TcpListener,
    settings: Settings,
    initial_key: Option<IssuedKey>,
}

impl Application {
    /// Connects, migrates, creates a first key on an empty database, and binds.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = db::connect(&settings.database_url)
            .await
            .map_err(|e| format!("cannot open database: {e}"))?;
        db::migrate(&db)
            .await
            .map_err(|e| format!("cannot migrate database: {e}"))?;
        let initial_key = auth::ensure_initial_key(&db)
            .await
            .map_err(|e| format!("cannot create the first API key: {e}"))?;
        let grpc_listener = TcpListener::bind(settings.grpc_addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.grpc_addr))?;
        let http_listener = TcpListener::bind(settings.http_addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.http_addr))?;
        Ok(Self {
            db,
            grpc_listener,
            http_listener,
            settings,
            initial_key,
        })
    }

    /// The address gRPC is really served on.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_listener
            .local_addr()
            .unwrap_or(self.settings.grpc_addr)
    }

    /// The address the REST gateway is really served on.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_listener
            .local_addr()
            .unwrap_or(self.settings.http_addr)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The key created because the database had none, if that happened.
    pub fn initial_key(&self) -> Option<&IssuedKey> {
        self.initial_key.as_ref()
    }

    /// Serves gRPC and the REST gateway until `shutdown` completes. The gateway
    /// drains its in-flight requests first, then gRPC drains and stops, so no
    /// gateway request loses its upstream mid-way.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_serving::<CustomerServiceServer<CustomerApi>>()
            .await;
        health
            .set_serving::<PaymentServiceServer<PaymentApi>>()
            .await;
        health
            .set_serving::<SubscriptionServiceServer<SubscriptionApi>>()
            .await;
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;
        let customers = CustomerServiceServer::new(CustomerApi::new(self.db.clone()));
        let payments = PaymentServiceServer::new(PaymentApi::new(self.db.clone()));
        let subscriptions = SubscriptionServiceServer::new(SubscriptionApi::new(self.db.clone()));

        let request_id_header = HeaderName::from_static(request_id::HEADER);
        let (grpc_addr, http_addr) = (self.grpc_addr(), self.http_addr());
        let Self {
            db,
            grpc_listener,
            http_listener,
            settings,
            ..
        } = self;
        let upstream = upstream_endpoint(Endpoint::from_shared(format!(
            "http://{}",
            loopback_for(grpc_addr)
        ))?)
        .connect_lazy();
        let (gateway_done, gateway_stopped) = tokio::sync::oneshot::channel::<()>();
        let gateway = async move {
            let served = customerd_gateway::serve(http_listener, upstream, shutdown).await;
            let _ = gateway_done.send(());
            served.map_err(StartupError::from)
        };
        let grpc_shutdown = async move {
            let _ = gateway_stopped.await;
        };
        tracing::info!(grpc = %grpc_addr, http = %http_addr, "serving gRPC, grpc-web and the REST gateway");
        // Small replies must not wait for a delayed ACK.
        let incoming = TcpIncoming::from(grpc_listener).with_nodelay(Some(true));
        let grpc = Server::builder()
            .accept_http1(true)
            .timeout(Duration::from_secs(60))
            .layer(cors(&settings.cors_allowed_origins))
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(SetRequestIdLayer::new(request_id_header.clone(), MakeId))
            .layer(PropagateRequestIdLayer::new(request_id_header))
            .layer(
                TraceLayer::new_for_grpc()
                    .make_span_with(request_id::span)
                    // Client mistakes are not server faults; internal errors
                    // are logged at ERROR where they are mapped to a status.
                    .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
            )
            .layer(AuthLayer::new(db.clone()))
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(customers)
            .add_service(payments)
            .add_service(subscriptions)
            .serve_with_incoming_shutdown(incoming, grpc_shutdown);
        let grpc = async move { grpc.await.map_err(StartupError::from) };
        tokio::try_join!(grpc, gateway)?;
        db.close().await?;
        Ok(())
    }
}

/// How the gateway reaches a gRPC server: the same settings in `serve` and in
/// `customerd gateway`.
pub fn upstream_endpoint(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
}

/// An address this process can connect to for a listener bound to `addr`
/// (a wildcard address becomes loopback).
fn loopback_for(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// CORS for grpc-web: only the configured origins may call from a browser.
fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let header = HeaderName::from_static;
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header("content-type"),
            header("authorization"),
            header("x-api-key"),
            header("x-grpc-web"),
            header("x-user-agent"),
            header("grpc-timeout"),
            header("x-request-id"),
            header("connect-protocol-version"),
            header("connect-timeout-ms"),
        ])
        .expose_headers([
            header("grpc-status"),
            header("grpc-message"),
            header("grpc-status-details-bin"),
            header("x-request-id"),
        ])
        .max_age(Duration::from_secs(600))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: draining in-flight calls");
}
