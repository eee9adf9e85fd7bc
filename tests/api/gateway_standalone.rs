//! `customerd gateway --upstream` as a user runs it: the built binary in front
//! of a separately started server.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use customerd::proto::customers::v1 as pb;
use serde_json::json;

use crate::helpers::{Backend, authed, http_client, send, spawn_app};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn standalone_gateway_forwards_to_a_remote_server_and_stops_on_sigterm() {
    let app = spawn_app(Backend::Sqlite).await;
    let http_addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_customerd"))
        .args([
            "gateway",
            "--upstream",
            &app.grpc_url(),
            "--http-addr",
            &http_addr,
        ])
        .env_remove("DATABASE_URL")
        .env_remove("HTTP_ADDR")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start customerd gateway");
    let base = format!("http://{http_addr}");
    let http = http_client();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the gateway did not start listening"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("customerd gateway exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let created = send(
        http.post(format!("{base}/4geeks/v1/customers"))
            .header("X-Api-Key", &app.key)
            .json(&json!({"email": "remote@example.com", "name": "Remote"})),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let stored = app
        .customers()
        .await
        .get_customer(authed(&app.key, pb::GetCustomerRequest { id: id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(stored.email.as_deref(), Some("remote@example.com"));
    let listed = send(
        http.get(format!("{base}/v1/customers"))
            .header("Authorization", format!("Bearer {}", app.key)),
    )
    .await;
    assert_eq!(listed.body["data"][0]["id"], json!(id));
    let unknown_key = send(
        http.get(format!("{base}/v1/customers"))
            .header("X-Api-Key", "sk_test_unknown"),
    )
    .await;
    assert_eq!(unknown_key.status, 401);

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the gateway did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
}

#[test]
fn standalone_gateway_rejects_a_bad_upstream_url() {
    let output = Command::new(env!("CARGO_BIN_EXE_customerd"))
        .args([
            "gateway",
            "--upstream",
            "not a url",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid --upstream 'not a url'"),
        "{stderr}"
    );
}
