//! What a webhook receiver cannot make the sender do: follow a redirect,
//! read an endless answer, or show the endpoint's secret in the logs.

use std::time::Duration;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::webhook_endpoint_service_client::WebhookEndpointServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tonic::transport::Channel;

use crate::helpers::{Backend, TestApp, authed, fresh_database};
use crate::process::{customerd, run_ok, spawn_listening};
use crate::receiver::Receiver;
use crate::webhooks::{attempts_until, create_customer, create_endpoint, spawn};

/// A server that answers every request with `reply`, then `then` (bytes
/// written in a loop until the peer goes away, if not empty).
async fn answering(reply: String, then: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (reply, then) = (reply.clone(), then.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0; 64 * 1024];
                // The request is small; one read takes it.
                let _ = stream.read(&mut buffer).await;
                if stream.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
                // Paced, as a slow endless answer would come.
                while !then.is_empty() && stream.write_all(&then).await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            });
        }
    });
    format!("http://{addr}/hooks")
}

async fn first_attempt(app: &TestApp, endpoint: &str) -> pb::WebhookDelivery {
    attempts_until(app, endpoint, "an attempt recorded", |a| !a.is_empty())
        .await
        .remove(0)
}

async fn redirects_are_not_followed(backend: Backend) {
    let app = spawn(backend, Duration::from_secs(30)).await;
    let target = Receiver::ok().await;
    let redirect = answering(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n",
            target.url()
        ),
        Vec::new(),
    )
    .await;
    let endpoint = create_endpoint(&app, &redirect, &["*"]).await;
    create_customer(&app, "Redirected").await;
    let attempt = first_attempt(&app, &endpoint.id).await;
    assert_eq!(attempt.status_code, Some(307));
    assert!(!attempt.delivered);
    assert!(attempt.next_retry_at.is_some());
    // The attempt is recorded once its exchange has ended, which following
    // the redirect would have been part of; its retry is 30 s away.
    assert!(target.received().is_empty(), "the redirect was followed");
}

async fn an_endless_answer_is_read_only_in_part(backend: Backend) {
    let app = spawn(backend, Duration::from_secs(30)).await;
    let endless = answering(
        "HTTP/1.1 200 OK\r\ncontent-length: 100000000000\r\n\r\n".to_owned(),
        vec![b'x'; 256 * 1024],
    )
    .await;
    let endpoint = create_endpoint(&app, &endless, &["*"]).await;
    create_customer(&app, "Endless").await;
    let attempt = first_attempt(&app, &endpoint.id).await;
    assert_eq!(attempt.status_code, Some(200));
    assert!(attempt.delivered, "{attempt:?}");
    assert!(
        attempt.duration_ms < 5000,
        "read for {} ms",
        attempt.duration_ms
    );
}

crate::backend_tests!(
    redirects_are_not_followed,
    an_endless_answer_is_read_only_in_part
);

/// With every debug log on, a delivered endpoint's secret appears nowhere in
/// what the server writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_the_logs() {
    let url = fresh_database(Backend::Sqlite).await;
    let key = run_ok(&url, &["keys", "create"]).trim().to_owned();
    let log = std::env::temp_dir().join(customerd::ids::random_token("customerd-log-", 8));
    let server = customerd();
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(r#"log="$1"; shift; exec "$@" 2>"$log""#)
        .arg("sh")
        .arg(&log)
        .arg(server.get_program())
        .args(["serve", "--database-url", &url, "--webhook-allow-private"])
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .envs(server.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("RUST_LOG", "debug");
    let (mut child, listening) = spawn_listening(command).await;
    let grpc = format!("http://{}", listening.grpc.unwrap());
    let channel = Channel::from_shared(grpc).unwrap().connect().await.unwrap();
    let receiver = Receiver::ok().await;
    let endpoint = WebhookEndpointServiceClient::new(channel.clone())
        .create_webhook_endpoint(authed(
            &key,
            pb::CreateWebhookEndpointRequest {
                url: receiver.url(),
                enabled_events: vec!["*".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .webhook_endpoint
        .unwrap();
    CustomerServiceClient::new(channel)
        .create_customer(authed(&key, pb::CreateCustomerRequest::default()))
        .await
        .unwrap();
    receiver
        .wait_for(Duration::from_secs(10), "a delivery", |r| !r.is_empty())
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let written = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(written.contains(&endpoint.id), "debug logs were written");
    let tail = endpoint.secret.trim_start_matches("whsec_");
    assert!(!written.contains(tail), "the secret is in the logs");
    let as_bytes: String = endpoint
        .secret
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        !written.contains(&as_bytes),
        "the secret's bytes are in the logs"
    );
}
