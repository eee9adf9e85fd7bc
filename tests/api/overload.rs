//! `--max-concurrent-requests`: calls beyond the limit are refused at once
//! (RESOURCE_EXHAUSTED over gRPC, 429 with `Retry-After` over REST), while
//! the admitted ones finish normally.

use std::time::{Duration, Instant};

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use tonic::Code;

use crate::helpers::{Backend, Rest, authed, fresh_database};
use crate::process::ServerProcess;

const LIMIT: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_limit_are_refused_at_once() {
    let url = fresh_database(Backend::Sqlite).await;
    let server = ServerProcess::start(&url, &["--max-concurrent-requests", "4"]).await;
    let key = server.first_key.clone().expect("a first key");
    let client = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();

    // Hold the database's write lock, so admitted creates stay in flight.
    let db = customerd::db::connect(&url, None).await.unwrap();
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("UPDATE accounts SET name = name")
        .await
        .unwrap();

    let create = |n: usize| {
        let mut client = client.clone();
        let key = key.clone();
        async move {
            let started = Instant::now();
            let reply = client
                .create_customer(authed(
                    &key,
                    pb::CreateCustomerRequest {
                        name: Some(format!("Burst {n}")),
                        ..Default::default()
                    },
                ))
                .await;
            (
                reply
                    .map(|_| ())
                    .map_err(|s| (s.code(), s.metadata().clone())),
                started.elapsed(),
            )
        }
    };
    // Twice the limit at once: whichever arrive first are admitted and stay
    // in flight; the excess is refused without waiting. The refusals are
    // the sign that the limit is taken, so they are awaited first.
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..2 * LIMIT {
        calls.spawn(create(n));
    }
    for _ in 0..LIMIT {
        let (outcome, took) = tokio::time::timeout(Duration::from_secs(20), calls.join_next())
            .await
            .expect("the excess is refused while the admitted calls wait")
            .unwrap()
            .unwrap();
        let (code, metadata) = outcome.expect_err("refused");
        assert_eq!(code, Code::ResourceExhausted);
        assert_eq!(metadata.get("retry-after").unwrap(), "1");
        assert!(took < Duration::from_millis(250), "refused after {took:?}");
    }
    assert_eq!(calls.len(), LIMIT);
    assert!(
        calls.try_join_next().is_none(),
        "the admitted calls are in flight"
    );
    let rest = Rest::new(format!("http://{}", server.http), Some(&key));
    let refused = rest.post("/v1/customers", json!({"name": "over"})).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.body["error"]["type"], "rate_limited");

    // Health checks are never shed.
    let ready = reqwest::get(format!("http://{}/readyz", server.http))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    lock.rollback().await.unwrap();
    for (outcome, _) in calls.join_all().await {
        outcome.expect("an admitted call completes");
    }
    // With the burst over, calls are admitted again.
    let after = rest.post("/v1/customers", json!({"name": "after"})).await;
    assert_eq!(after.status, 200, "{}", after.body);
    db.close().await.ok();
}
