//! Streams that sit idle, or that nobody reads: an idle watch sends a
//! heartbeat so proxies keep it open, and a client that stopped reading an
//! event stream keeps its connection full, yet SIGTERM still ends the server
//! within `--request-timeout` and the drain margin, with exit status 0.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::event_service_client::EventServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio_stream::StreamExt;

use crate::helpers::{Backend, authed, fresh_database, spawn_app};
use crate::process::ServerProcess;

/// A customer whose events are about 25 KB each.
fn bulky(i: usize) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        name: Some(format!("Bulky {i}")),
        description: Some("d".repeat(1000)),
        metadata: (0..50)
            .map(|k| (format!("key{k}"), "v".repeat(500)))
            .collect::<BTreeMap<_, _>>(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_cannot_hold_a_stopping_server() {
    let url = fresh_database(Backend::Sqlite).await;
    let server = ServerProcess::start(&url, &["--request-timeout", "1s"]).await;
    let key = server.first_key.clone().expect("a first key");
    // A stream of events read by nobody, through a small receive window.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.http).await.unwrap();
    let request = format!(
        "GET /v1/events/stream HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {key}\r\n\r\n",
        server.http
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // The answer's head comes once the watch is in place: events from then
    // on are streamed.
    let mut head = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the connection closed");
            head.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .expect("the stream's answer begins");
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/event-stream"), "{head}");
    let mut customers = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    // Far more than the socket buffers on both ends hold.
    for i in 0..400 {
        customers
            .create_customer(authed(&key, bulky(i)))
            .await
            .expect("created");
    }
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let stopping = Instant::now();
    let mut server = server;
    let exit = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || server.child.wait().unwrap()),
    )
    .await
    .expect("the server exits although a client stopped reading")
    .unwrap();
    let took = stopping.elapsed();
    assert_eq!(exit.code(), Some(0));
    // It waited for the stuck connection, and no longer than the bound
    // (1 s request timeout + 10 s margin).
    assert!(
        took >= Duration::from_secs(5),
        "exited after {took:?}: nothing was stuck"
    );
    assert!(took < Duration::from_secs(14), "exited after {took:?}");
    drop(stream);
}

/// After 15 s without an event a watch sends a reply without one (HAProxy
/// and other proxies end streams idle for longer than their timeouts), then
/// carries on with the next event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_watch_sends_heartbeats_and_then_events() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut watch = EventServiceClient::new(app.channel().await)
        .watch_events(authed(&app.key, pb::WatchEventsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let started = Instant::now();
    let beat = tokio::time::timeout(Duration::from_secs(20), watch.next())
        .await
        .expect("a heartbeat within 20 s")
        .expect("the watch is open")
        .expect("not an error");
    assert!(beat.event.is_none(), "{beat:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(14),
        "a heartbeat after only {waited:?}"
    );
    let created = CustomerServiceClient::new(app.channel().await)
        .create_customer(authed(&app.key, bulky(0)))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("the event")
        .unwrap()
        .unwrap();
    let event = next.event.expect("an event after the heartbeat");
    match event.object {
        Some(pb::event::Object::Customer(c)) => assert_eq!(c.id, created.id),
        other => panic!("{other:?}"),
    }
}
