//! The `customerd` binary as a user runs it: first start, keys, migrate,
//! graceful shutdown, and durability across a kill.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;

use crate::helpers::{Backend, authed, fresh_database};

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_customerd"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("GRPC_ADDR")
        .env_remove("HTTP_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    grpc: String,
    first_key: Option<String>,
}

/// Starts `customerd serve` and waits until it accepts gRPC connections.
async fn start(database_url: &str) -> Server {
    let grpc_port = free_port();
    let mut child = binary()
        .args([
            "serve",
            "--database-url",
            database_url,
            "--grpc-addr",
            &format!("127.0.0.1:{grpc_port}"),
            "--http-addr",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start customerd");
    let stdout = child.stdout.take().unwrap();
    let grpc = format!("http://127.0.0.1:{grpc_port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(channel) = tonic::transport::Endpoint::from_shared(grpc.clone())
            .unwrap()
            .connect()
            .await
        {
            drop(channel);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "customerd did not start listening"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("customerd exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What it printed before listening: the first key, if one was created.
    let lines = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut out = Vec::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            out.push(line.trim_end().to_owned());
            if line.starts_with("sk_") {
                break;
            }
            line.clear();
        }
        out
    });
    let first_key = tokio::time::timeout(Duration::from_secs(2), lines)
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|lines| lines.into_iter().find(|l| l.starts_with("sk_test_")));
    Server {
        child,
        grpc,
        first_key,
    }
}

fn keys_create(database_url: &str, extra: &[&str]) -> String {
    let output = binary()
        .args(["keys", "create", "--database-url", database_url])
        .args(extra)
        .output()
        .expect("run keys create");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
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
    let mut client = CustomerServiceClient::connect(server.grpc.clone())
        .await
        .unwrap();
    client
        .list_customers(authed(&key, pb::ListCustomersRequest::default()))
        .await
        .expect("the printed key works");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let mut again = start(&url).await;
    assert_eq!(
        again.first_key, None,
        "no second key on a database that has one"
    );
    again.child.kill().unwrap();
    again.child.wait().unwrap();
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
    let mut client = CustomerServiceClient::connect(server.grpc.clone())
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
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test]
async fn migrate_applies_and_exits_zero() {
    let url = fresh_database(Backend::Sqlite).await;
    let status = binary()
        .args(["migrate", "--database-url", &url])
        .status()
        .unwrap();
    assert!(status.success());
    // Applying again is a no-op.
    let status = binary()
        .args(["migrate", "--database-url", &url])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn unreachable_database_is_a_clear_startup_error() {
    let output = binary()
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
    let mut child = server.child;
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill() {
    let url = fresh_database(Backend::Sqlite).await;
    let key = keys_create(&url, &[]).trim().to_owned();
    let mut server = start(&url).await;
    let mut client = CustomerServiceClient::connect(server.grpc.clone())
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
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let mut restarted = start(&url).await;
    let mut client = CustomerServiceClient::connect(restarted.grpc.clone())
        .await
        .unwrap();
    for id in &ids {
        client
            .get_customer(authed(&key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .expect("every acknowledged customer is still there");
    }
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
}
