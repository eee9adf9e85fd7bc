//! Deadlines: a gRPC caller's `grpc-timeout` is honoured (and capped by
//! `--request-timeout`), and the REST gateway's calls get `--request-timeout`.

use std::time::{Duration, Instant};

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use prost::Message;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use tonic::Code;

use crate::helpers::{Backend, Rest, authed, fresh_database, http_client};
use crate::process::ServerProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_past_their_deadline_are_answered_at_it() {
    let url = fresh_database(Backend::Sqlite).await;
    let server = ServerProcess::start(&url, &["--request-timeout", "1s"]).await;
    let key = server.first_key.clone().expect("a first key");
    let mut client = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();

    // Writes wait while this lock is held.
    let db = customerd::db::connect(&url, None).await.unwrap();
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("UPDATE accounts SET name = name")
        .await
        .unwrap();

    let create = |deadline: Option<&str>| {
        let mut request = authed(
            &key,
            pb::CreateCustomerRequest {
                name: Some("Late".into()),
                ..Default::default()
            },
        );
        if let Some(deadline) = deadline {
            request
                .metadata_mut()
                .insert("grpc-timeout", deadline.parse().unwrap());
        }
        request
    };
    // The caller's deadline, as its header says: sent over grpc-web by a
    // plain HTTP client, which (unlike tonic's) leaves enforcing it to the
    // server.
    let message = pb::CreateCustomerRequest {
        name: Some("Late".into()),
        ..Default::default()
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    let started = Instant::now();
    let late = http_client()
        .post(format!(
            "{}/customers.v1.CustomerService/CreateCustomer",
            server.grpc_url()
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("authorization", format!("Bearer {key}"))
        .header("grpc-timeout", "300m")
        .body(frame)
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(late.headers()["grpc-status"], "4", "{:?}", late.headers());
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(900),
        "{took:?}"
    );

    // A longer one is capped at --request-timeout.
    let started = Instant::now();
    let capped = client
        .create_customer(create(Some("20S")))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(capped.code(), Code::DeadlineExceeded, "{capped:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // REST calls carry none: they get --request-timeout, as a 503.
    let rest = Rest::new(format!("http://{}", server.http), Some(&key));
    let started = Instant::now();
    let reply = rest.post("/v1/customers", json!({"name": "Late"})).await;
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.body["error"]["type"], "unavailable");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );

    lock.rollback().await.unwrap();
    // Reads were never held, and once the lock is gone writes pass again.
    let created = client.create_customer(create(None)).await.unwrap();
    assert!(created.into_inner().customer.is_some());
    db.close().await.ok();
}
