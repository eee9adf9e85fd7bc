//! `/healthz`, `/readyz` and gRPC health, as a load balancer sees them,
//! including while the server drains after SIGTERM.

use std::process::Command;
use std::time::Duration;

use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::helpers::{Backend, eventually, fresh_database, http_client};
use crate::process::ServerProcess;

#[tokio::test]
async fn probes_answer_and_health_turns_not_serving_on_sigterm() {
    let url = fresh_database(Backend::Sqlite).await;
    let mut server = ServerProcess::start(&url, &[]).await;
    let http = http_client();
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let reply = http
            .get(format!("http://{}{path}", server.http))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        assert_eq!(reply.text().await.unwrap(), body, "{path}");
    }

    let channel = server.channel().await;
    let mut health = HealthClient::new(channel);
    let overall = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overall.status(), ServingStatus::Serving);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "customers.v1.CustomerService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    let terminated = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let next = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await
        .expect("health changes within 10 s")
        .unwrap()
        .unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);

    // With the watcher gone, the drain ends and the process exits cleanly.
    drop(watch);
    drop(health);
    let status = eventually(Duration::from_secs(30), "the server stops", async || {
        server.child.try_wait().unwrap().ok_or("running")
    })
    .await;
    assert!(status.success(), "{status}");
}
