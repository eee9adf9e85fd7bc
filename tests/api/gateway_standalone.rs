//! `customerd gateway --upstream` as a user runs it: the built binary in front
//! of a separately started server.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, Rest, eventually, spawn_app};
use crate::process::{customerd, spawn_listening};

#[tokio::test]
async fn standalone_gateway_forwards_to_a_remote_server_and_stops_on_sigterm() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut cmd = customerd();
    cmd.args([
        "gateway",
        "--upstream",
        &app.grpc_url(),
        "--http-addr",
        "127.0.0.1:0",
    ]);
    let (mut child, listening) = spawn_listening(cmd).await;
    let base = format!(
        "http://{}",
        listening.http.expect("the gateway reports its address")
    );

    let rest = Rest::new(base, Some(&app.key));
    let created = rest
        .clone()
        .x_api_key()
        .post(
            "/4geeks/v1/customers",
            json!({"email": "remote@example.com", "name": "Remote"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let stored = app.get_customer(&id).await.unwrap();
    assert_eq!(stored.email.as_deref(), Some("remote@example.com"));
    let listed = rest.get("/v1/customers").await;
    assert_eq!(listed.body["data"][0]["id"], json!(id));
    let unknown_key = Rest::new(rest.url(""), Some("sk_test_unknown"))
        .x_api_key()
        .get("/v1/customers")
        .await;
    assert_eq!(unknown_key.status, 401);

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = eventually(Duration::from_secs(10), "the gateway stops", async || {
        child.try_wait().unwrap().ok_or("running")
    })
    .await;
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
