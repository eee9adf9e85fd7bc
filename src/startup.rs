//! Building and running the server: bind first (so the real ports are known,
//! even for port 0), then serve until a shutdown signal.

use crate::deadline::DeadlineLayer;
use crate::observe::{self, GrpcMetricsLayer};
use crate::overload::ShedLayer;
use customerd_gateway::probes::Probes;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tonic::server::NamedService;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use customerd_gateway::{GrpcService, Upstream, UpstreamError};
use http::{HeaderName, HeaderValue, Method};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::auth::{self, AuthLayer, IssuedKey, KeyCache};
use crate::config::Settings;
use crate::customers::{CustomerApi, CustomerCache};
use crate::db::{self, Presence, Writer};
use crate::events::{EventApi, Hub};
use crate::payments::PaymentApi;
use crate::proto::FILE_DESCRIPTOR_SET;
use crate::proto::customers::v1::customer_service_server::CustomerServiceServer;
use crate::proto::customers::v1::event_service_server::EventServiceServer;
use crate::proto::customers::v1::payment_service_server::PaymentServiceServer;
use crate::proto::customers::v1::subscription_service_server::SubscriptionServiceServer;
use crate::proto::customers::v1::webhook_endpoint_service_server::WebhookEndpointServiceServer;
use crate::request_id::{self, MakeId};
use crate::subscriptions::SubscriptionApi;
use crate::webhooks::WebhookApi;

pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

pub struct Application {
    db: DatabaseConnection,
    presence: Option<Arc<Presence>>,
    grpc_listener: TcpListener,
    http_listener: TcpListener,
    settings: Settings,
    initial_key: Option<IssuedKey>,
}

impl Application {
    /// Connects, migrates, creates a first key on an empty database, and binds.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = db::connect(&settings.database_url, settings.db_max_connections)
            .await
            .map_err(|e| format!("cannot open database: {e}"))?;
        // Before any write: a sole server of this database must make room first.
        let presence = db::join(&settings.database_url)
            .await
            .map_err(|e| format!("cannot mark the database as served: {e}"))?;
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
            presence,
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
        report(&health, ServingStatus::Serving).await;
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;
        let cache = CustomerCache::new(self.presence.clone());
        let hub = Hub::start(self.db.clone());
        let stopping_hub = hub.clone();
        // Fires when draining begins, which then lasts at most `grace`.
        let grace = self.settings.request_timeout + DRAIN_MARGIN;
        let (draining, drain_started) = tokio::sync::oneshot::channel::<()>();
        let writer = Writer::start(self.db.clone(), hub.clone());
        crate::events::retention::start(
            self.db.clone(),
            self.settings.event_retention,
            hub.stopping(),
        );
        let webhook_settings = Arc::new(self.settings.webhooks.clone());
        let deliveries =
            crate::webhooks::worker::start(self.db.clone(), Arc::clone(&webhook_settings), &hub);
        let webhooks = WebhookEndpointServiceServer::new(WebhookApi::new(
            self.db.clone(),
            webhook_settings,
            Arc::clone(&deliveries.endpoints_changed),
        ));
        let events = EventServiceServer::new(EventApi::new(
            self.db.clone(),
            hub,
            self.settings.event_retention,
        ));
        let customers =
            CustomerServiceServer::new(CustomerApi::new(self.db.clone(), writer.clone(), cache));
        let payments = PaymentServiceServer::new(PaymentApi::new(self.db.clone(), writer.clone()));
        let subscriptions =
            SubscriptionServiceServer::new(SubscriptionApi::new(self.db.clone(), writer));

        let routes = Routes::new(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(customers)
            .add_service(payments)
            .add_service(subscriptions)
            .add_service(events)
            .add_service(webhooks);
        let (grpc_addr, http_addr) = (self.grpc_addr(), self.http_addr());
        let Self {
            db,
            grpc_listener,
            http_listener,
            settings,
            ..
        } = self;
        let keys = KeyCache::new(db.clone(), settings.key_cache_ttl);
        let request_id_header = HeaderName::from_static(request_id::HEADER);
        // The calls themselves: what the REST gateway calls in this process.
        let calls = ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id_header.clone(), MakeId))
            .layer(PropagateRequestIdLayer::new(request_id_header))
            .layer(
                TraceLayer::new_for_grpc()
                    .make_span_with(request_id::span)
                    // Client mistakes are not server faults; internal errors
                    // are logged at ERROR where they are mapped to a status.
                    .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
            )
            .layer(ShedLayer::new(settings.max_concurrent_requests as usize))
            .layer(DeadlineLayer::new(settings.request_timeout))
            .layer(AuthLayer::new(keys))
            .service(routes);
        let in_process = ServiceExt::<http::Request<tonic::body::Body>>::map_err(
            calls.clone(),
            UpstreamError::new,
        )
        .map_response(|response| response.map(tonic::body::Body::new));
        let upstream = Upstream::new(GrpcService::new(in_process));
        // Over TCP, browsers' grpc-web and CORS as well.
        let network = ServiceBuilder::new()
            .layer(GrpcMetricsLayer::default())
            .layer(cors(&settings.cors_allowed_origins))
            .layer(tonic_web::GrpcWebLayer::new())
            .service(calls);
        // Ready while the database answers; from the shutdown signal on, gRPC
        // health says NOT_SERVING and `/readyz` 503 while requests drain.
        let ping = db.clone();
        let pool = db.clone();
        let metrics = observe::handle();
        let probes = Probes::new(move || {
            let db = ping.clone();
            async move { db.ping().await.is_ok() }
        })
        .with_metrics(move || observe::render(&metrics, &pool));
        let shutdown = async move {
            shutdown.await;
            tracing::info!("draining: health answers NOT_SERVING");
            report(&health, ServingStatus::NotServing).await;
            // Watches never end by themselves: they are ended (UNAVAILABLE,
            // or the end of the event stream), so clients resume elsewhere.
            stopping_hub.stop();
            let _ = draining.send(());
        };
        let (gateway_done, gateway_stopped) = tokio::sync::oneshot::channel::<()>();
        let gateway = async move {
            let served = customerd_gateway::serve(http_listener, upstream, probes, shutdown).await;
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
            // A backstop only: the deadline layer answers DEADLINE_EXCEEDED at
            // the deadline itself, so this must not race it.
            .timeout(settings.request_timeout + Duration::from_secs(1))
            .serve_with_incoming_shutdown(network, incoming, grpc_shutdown);
        let grpc = async move { grpc.await.map_err(StartupError::from) };
        // A client that stops reading must not keep the server from exiting.
        let overdue = async move {
            if drain_started.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            served = async { tokio::try_join!(grpc, gateway) } => {
                served?;
            }
            () = overdue => {
                tracing::warn!(
                    ?grace,
                    "draining took too long; closing the connections still open"
                );
            }
        }
        // Webhook attempts under way end within their timeout; recorded,
        // they are not sent again after a restart.
        deliveries
            .settled(crate::webhooks::worker::ATTEMPT_TIMEOUT + Duration::from_secs(1))
            .await;
        db.close().await?;
        Ok(())
    }
}

/// How much longer than `--request-timeout` draining may last once it has
/// begun: every call has finished or reached its deadline by then, and
/// connections still open (a client that stopped reading) are closed.
const DRAIN_MARGIN: Duration = Duration::from_secs(10);

/// The services gRPC health reports on; "" is the server as a whole.
const HEALTH_SERVICES: [&str; 6] = [
    "",
    <CustomerServiceServer<CustomerApi> as NamedService>::NAME,
    <PaymentServiceServer<PaymentApi> as NamedService>::NAME,
    <SubscriptionServiceServer<SubscriptionApi> as NamedService>::NAME,
    <EventServiceServer<EventApi> as NamedService>::NAME,
    <WebhookEndpointServiceServer<WebhookApi> as NamedService>::NAME,
];

async fn report(health: &HealthReporter, status: ServingStatus) {
    for service in HEALTH_SERVICES {
        health.set_service_status(service, status).await;
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

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, so a signal that arrives before the future is first polled (while
/// the server is still starting) is not lost to the default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = signals;
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            let terminated = async {
                match terminate.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interrupted => {},
                _ = terminated => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: draining in-flight calls");
    }
}
