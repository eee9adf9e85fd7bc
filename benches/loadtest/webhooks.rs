//! The webhook phase: commit-to-receiver latency of paced creates, and how
//! many events per second one server delivers to a fast receiver when a
//! backlog is due at once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use customerd::db::entities::{event_stream, webhook_endpoint};
use customerd::proto::customers::v1 as pb;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::{Database, EVENT_WRITES, Failure, Placement, Server, customerd, latency_of};

/// Events the throughput run delivers.
const BACKLOG: usize = 5000;

/// What the webhook phase measured on one backend.
pub struct WebhookFigures {
    /// Commit to receiver: p50, p99 (ms), deliveries.
    pub latency: (f64, f64, usize),
    /// Events delivered per second from a backlog, and how many.
    pub per_second: f64,
    pub delivered: usize,
}

/// One delivery as the receiver saw it: when, and the event's `created_at`
/// (milliseconds, the `epoch` format's).
struct Arrival {
    at_micros: i64,
    created_ms: i64,
}

/// A receiver that answers 204 at once and reports every arrival.
async fn receiver() -> Result<(SocketAddr, mpsc::UnboundedReceiver<Arrival>), Failure> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (sender, arrivals) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    // The request line, then headers up to the blank line.
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let header = line.trim_end().to_ascii_lowercase();
                        if header.is_empty() {
                            break;
                        }
                        if let Some(value) = header.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let at_micros = customerd::ids::now_micros();
                    let created_ms = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["created_at"].as_i64())
                        .unwrap_or(0);
                    let _ = sender.send(Arrival {
                        at_micros,
                        created_ms,
                    });
                    let reply = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((addr, arrivals))
}

fn authed<T>(key: &str, message: T) -> Result<tonic::Request<T>, Failure> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse()?);
    Ok(request)
}

async fn create_endpoint(grpc: SocketAddr, key: &str, url: String) -> Result<String, Failure> {
    let mut client = pb::webhook_endpoint_service_client::WebhookEndpointServiceClient::connect(
        format!("http://{grpc}"),
    )
    .await?;
    let request = pb::CreateWebhookEndpointRequest {
        url,
        enabled_events: vec!["customer.created".into()],
        format: "epoch".into(),
        ..Default::default()
    };
    let reply = client
        .create_webhook_endpoint(authed(key, request)?)
        .await?
        .into_inner();
    Ok(reply.webhook_endpoint.ok_or("an endpoint")?.id)
}

async fn creates(grpc: SocketAddr, key: &str, count: usize) -> Result<(), Failure> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{grpc}"))?
        .connect()
        .await?;
    let tasks: Vec<_> = (0..32)
        .map(|t| {
            let mut client =
                pb::customer_service_client::CustomerServiceClient::new(channel.clone());
            let key = key.to_owned();
            tokio::spawn(async move {
                for _ in (t..count).step_by(32) {
                    client
                        .create_customer(authed(&key, super::create_message())?)
                        .await?;
                }
                Ok::<(), Failure>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}

pub async fn phase(
    database: &Database,
    placement: Placement,
    key: &str,
) -> Result<Option<WebhookFigures>, Failure> {
    if let Ok(only) = std::env::var("LOADTEST_ONLY")
        && !only
            .split('|')
            .any(|part| "webhooks".contains(part) || part.contains("webhooks"))
    {
        return Ok(None);
    }
    let label = database.label;
    let mut command = customerd(&database.url);
    command.env("WEBHOOK_ALLOW_PRIVATE", "true");
    let server = Server::start(placement.server_command(command))?;
    let (addr, mut arrivals) = receiver().await?;
    let url = format!("http://{addr}/hooks");

    // Latency: one endpoint, creates one at a time.
    let endpoint = create_endpoint(server.grpc, key, url.clone()).await?;
    let (latencies, measured) = mpsc::unbounded_channel();
    let forward = tokio::spawn(async move {
        let mut seen = 0;
        while seen < EVENT_WRITES {
            let Some(arrival) = arrivals.recv().await else {
                break;
            };
            seen += 1;
            let _ = latencies.send(arrival.at_micros - arrival.created_ms * 1000);
        }
        arrivals
    });
    super::paced_creates(server.grpc, key).await?;
    let latency = latency_of(measured, EVENT_WRITES).await;
    let mut arrivals = forward.await?;

    // Throughput: the same endpoint, once a backlog is due at once.
    let db = customerd::db::connect(&database.url, None).await?;
    // Paused while the backlog is written, then due all at once.
    webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Status, Expr::value("disabled"))
        .filter(webhook_endpoint::Column::Id.eq(endpoint.as_str()))
        .exec(&db)
        .await?;
    creates(server.grpc, key, BACKLOG).await?;
    let stream = event_stream::Entity::find()
        .one(&db)
        .await?
        .ok_or("the stream exists")?;
    while arrivals.try_recv().is_ok() {}
    let started = Instant::now();
    webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Status, Expr::value("enabled"))
        .col_expr(
            webhook_endpoint::Column::Cursor,
            Expr::value(stream.seq - BACKLOG as i64),
        )
        .filter(webhook_endpoint::Column::Id.eq(endpoint.as_str()))
        .exec(&db)
        .await?;
    let mut delivered = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while delivered < BACKLOG {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some(_)) => delivered += 1,
            _ => break,
        }
    }
    let took = started.elapsed();
    db.close().await?;
    // Stopping the server blocks this thread until it has drained: the
    // clients' connections must be closed first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(server);
    let per_second = delivered as f64 / took.as_secs_f64();
    eprintln!(
        "  {label}: webhooks: commit to receiver p50 {:.2} ms p99 {:.2} ms ({} deliveries); \
         {delivered} backlogged events delivered in {took:.2?} ({per_second:.0}/s)",
        latency.0, latency.1, latency.2
    );
    Ok(Some(WebhookFigures {
        latency,
        per_second,
        delivered,
    }))
}
