//! Measures what the REST gateway adds to a call: the median latency of
//! `GetCustomer` over gRPC against `GET /v1/customers/{id}` through the gateway,
//! on one server started here (SQLite in a temporary file, both on loopback).
//! Also measures the gateway with an in-memory upstream connection (no TCP)
//! to compare with the loopback connection `customerd serve` uses.
//!
//!     cargo run --release --example gateway_latency -- [REQUESTS]

use std::time::{Duration, Instant};

use customerd::auth::{self, AuthLayer, Mode};
use customerd::config::Settings;
use customerd::customers::CustomerApi;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::customer_service_server::CustomerServiceServer;
use customerd::startup::Application;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Endpoint, Server};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn time_http(url: &str, key: &str, n: usize) -> Result<Duration, Failure> {
    let http = reqwest::Client::builder().http1_only().build()?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let started = Instant::now();
        let response = http.get(url).header("X-Api-Key", key).send().await?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            return Err(format!("{url} answered {status}").into());
        }
        // The first tenth warms connections and caches.
        if i >= n / 10 {
            samples.push(started.elapsed());
        }
    }
    Ok(median(samples))
}

fn with_key<T>(bearer: &MetadataValue<Ascii>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", bearer.clone());
    request
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2000);
    let db_path = std::env::temp_dir().join(format!("customerd-latency-{}.db", std::process::id()));
    let settings = Settings {
        database_url: format!("sqlite://{}?mode=rwc", db_path.display()),
        grpc_addr: "127.0.0.1:0".parse()?,
        http_addr: "127.0.0.1:0".parse()?,
        cors_allowed_origins: Vec::new(),
    };
    let app = Application::build(settings).await?;
    let (grpc_addr, http_addr) = (app.grpc_addr(), app.http_addr());
    let db = app.db().clone();
    let key = auth::create_key(&db, "bench", Mode::Test).await?.secret;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let channel = Endpoint::from_shared(format!("http://{grpc_addr}"))?
        .connect()
        .await?;
    let mut client = CustomerServiceClient::new(channel);
    let bearer: MetadataValue<Ascii> = format!("Bearer {key}").parse()?;
    let authed = |message| with_key(&bearer, message);
    let id = client
        .create_customer(with_key(
            &bearer,
            pb::CreateCustomerRequest {
                email: Some("latency@example.com".into()),
                name: Some("Latency".into()),
                metadata: [("plan".to_owned(), "gold".to_owned())].into(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .customer
        .ok_or("no customer in the reply")?
        .id;

    let mut grpc = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let started = Instant::now();
        client
            .get_customer(authed(pb::GetCustomerRequest { id: id.clone() }))
            .await?;
        if i >= n / 10 {
            grpc.push(started.elapsed());
        }
    }
    let grpc = median(grpc);
    let loopback = time_http(&format!("http://{http_addr}/v1/customers/{id}"), &key, n).await?;

    // The same gateway over an in-memory connection to an in-process server.
    let (near, far) = tokio::io::duplex(1 << 20);
    tokio::spawn(
        Server::builder()
            .layer(AuthLayer::new(db.clone()))
            .add_service(CustomerServiceServer::new(CustomerApi::new(db.clone())))
            .serve_with_incoming(tokio_stream::once(Ok::<_, std::io::Error>(far))),
    );
    let mut near = Some(near);
    let in_memory = Endpoint::from_static("http://in-process")
        .connect_with_connector(tower::service_fn(move |_| {
            let io = near.take().map(TokioIo::new);
            async move { io.ok_or_else(|| std::io::Error::other("one connection only")) }
        }))
        .await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let in_memory_addr = listener.local_addr()?;
    tokio::spawn(customerd_gateway::serve(
        listener,
        in_memory,
        std::future::pending(),
    ));
    let in_process = time_http(
        &format!("http://{in_memory_addr}/v1/customers/{id}"),
        &key,
        n,
    )
    .await?;

    println!(
        "GetCustomer, median of {n} sequential calls each (after {} warm-up):",
        n / 10
    );
    println!(
        "  gRPC direct                          {:8.1} µs",
        micros(grpc)
    );
    println!(
        "  REST gateway, loopback upstream      {:8.1} µs  (+{:.1} µs)",
        micros(loopback),
        micros(loopback) - micros(grpc)
    );
    println!(
        "  REST gateway, in-memory upstream     {:8.1} µs  (+{:.1} µs)",
        micros(in_process),
        micros(in_process) - micros(grpc)
    );

    let _ = stop.send(());
    server.await??;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    Ok(())
}
