//! The `customerd` binary as a user runs it: first start, keys, migrate,
//! graceful shutdown, and durability across a kill.

use std::process::Command;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;

use crate::helpers::{Backend, authed, fresh_database};
use crate::process::{ServerProcess, customerd, run_ok};

async fn start(database_url: &str) -> ServerProcess {
    ServerProcess::start(database_url, &[]).await
}

fn keys_create(database_url: &str, extra: &[&str]) -> String {
    let mut args = vec!["keys", "create"];
    args.extend_from_slice(extra);
    run_ok(database_url, &args)
}

#[tokio::test]
async fn first_start_prints_a_working_test_key_once() {
    let url = fresh_database(Backend::Sqlite).await;
    let mut server = start(&url).await;
    let key = server
        .first_key
        .clone()
        .expect("a key printed on first start");
    assert!(key.starts_with("sk_test_") && key.len() == 48, "{key}");
    let mut client = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    client
        .list_customers(authed(&key, pb::ListCustomersRequest::default()))
        .await
        .expect("the printed key works");
    server.kill();

    let mut again = start(&url).await;
    assert_eq!(
        again.first_key, None,
        "no second key on a database that has one"
    );
    again.kill();
}

#[tokio::test]
async fn keys_create_prints_exactly_one_key_per_mode() {
    let url = fresh_database(Backend::Sqlite).await;
    let test = keys_create(&url, &[]);
    assert_eq!(test.lines().count(), 1, "{test:?}");
    assert!(test.trim().starts_with("sk_test_"));
    let live = keys_create(&url, &["--live", "--account", "globex"]);
    assert_eq!(live.lines().count(), 1, "{live:?}");
    assert!(live.trim().starts_with("sk_live_"));

    let mut server = start(&url).await;
    assert_eq!(server.first_key, None);
    let mut client = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    let created = client
        .create_customer(authed(live.trim(), pb::CreateCustomerRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert!(created.live);
    let err = client
        .get_customer(authed(
            test.trim(),
            pb::GetCustomerRequest { id: created.id },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    server.kill();
}

#[tokio::test]
async fn migrate_applies_and_exits_zero() {
    let url = fresh_database(Backend::Sqlite).await;
    let status = customerd()
        .args(["migrate", "--database-url", &url])
        .status()
        .unwrap();
    assert!(status.success());
    // Applying again is a no-op.
    let status = customerd()
        .args(["migrate", "--database-url", &url])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn unreachable_database_is_a_clear_startup_error() {
    let output = customerd()
        .args([
            "serve",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot open database"), "{stderr}");
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero() {
    let url = fresh_database(Backend::Sqlite).await;
    let server = start(&url).await;
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut server = server;
    let exit = tokio::task::spawn_blocking(move || server.child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill() {
    let url = fresh_database(Backend::Sqlite).await;
    let key = keys_create(&url, &[]).trim().to_owned();
    let mut server = start(&url).await;
    let mut client = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let c = client
            .create_customer(authed(
                &key,
                pb::CreateCustomerRequest {
                    email: Some(format!("durable{i}@example.com")),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        ids.push(c.id);
    }
    // SIGKILL: no chance to flush or checkpoint.
    server.kill();

    let mut restarted = start(&url).await;
    let mut client = CustomerServiceClient::connect(restarted.grpc_url())
        .await
        .unwrap();
    for id in &ids {
        client
            .get_customer(authed(&key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .expect("every acknowledged customer is still there");
    }
    restarted.kill();
}
