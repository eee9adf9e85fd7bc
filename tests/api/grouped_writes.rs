//! Concurrent writes share transactions: each is answered after its commit,
//! with its own outcome, and totals stay exact.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::event_service_client::EventServiceClient;
use prost_types::FieldMask;
use tokio::sync::Mutex;
use tonic::Code;
use tonic::transport::Channel;

use crate::backend_tests;
use crate::events::{customer_of, every_event};
use crate::helpers::{Backend, authed, eventually, fresh_database, spawn_app};
use crate::process::{ServerProcess, run_ok};

fn numbered(i: usize) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        email: Some(format!("c{i}@example.com")),
        metadata: BTreeMap::from([("n".into(), i.to_string())]),
        ..Default::default()
    }
}

/// Every customer of the key's tenant, walking the pages, and the total reported.
async fn everyone(
    client: &mut CustomerServiceClient<Channel>,
    key: &str,
) -> (Vec<pb::Customer>, i64) {
    let mut all = Vec::new();
    let mut after = String::new();
    let mut total = None;
    loop {
        let page = client
            .list_customers(authed(
                key,
                pb::ListCustomersRequest {
                    limit: 1000,
                    starting_after: after.clone(),
                    include_total_count: true,
                    ..Default::default()
                },
            ))
            .await
            .expect("list succeeds")
            .into_inner();
        total = total.or(page.total_count);
        all.extend(page.customers);
        match all.last() {
            Some(last) if page.has_more => after = last.id.clone(),
            _ => return (all, total.expect("a total was asked for")),
        }
    }
}

async fn concurrent_creates_and_deletes_keep_exact_totals(backend: Backend) {
    let app = spawn_app(backend).await;
    let channel = app.channel().await;
    let creates = (0..300).map(|i| {
        let (mut client, key) = (CustomerServiceClient::new(channel.clone()), app.key.clone());
        tokio::spawn(async move {
            client
                .create_customer(authed(&key, numbered(i)))
                .await
                .map(|r| r.into_inner().customer.unwrap().id)
        })
    });
    let mut created = BTreeSet::new();
    for create in creates.collect::<Vec<_>>() {
        created.insert(create.await.unwrap().expect("every create succeeds"));
    }
    assert_eq!(created.len(), 300);
    let mut client = CustomerServiceClient::new(channel.clone());
    let (listed, total) = everyone(&mut client, &app.key).await;
    assert_eq!(total, 300);
    assert_eq!(
        listed.iter().map(|c| c.id.clone()).collect::<BTreeSet<_>>(),
        created
    );

    let deletes = created.iter().take(40).cloned().map(|id| {
        let (mut client, key) = (CustomerServiceClient::new(channel.clone()), app.key.clone());
        tokio::spawn(async move {
            client
                .delete_customer(authed(&key, pb::DeleteCustomerRequest { id }))
                .await
        })
    });
    for delete in deletes.collect::<Vec<_>>() {
        delete.await.unwrap().expect("every delete succeeds");
    }
    let (listed, total) = everyone(&mut client, &app.key).await;
    assert_eq!((listed.len(), total), (260, 260));
    // Another tenant counts its own.
    let other = app.key_for("globex", customerd::auth::Mode::Test).await;
    client
        .create_customer(authed(&other, numbered(0)))
        .await
        .unwrap();
    assert_eq!(everyone(&mut client, &other).await.1, 1);
    assert_eq!(everyone(&mut client, &app.key).await.1, 260);
}

/// Updates that break a rule after writing, creates that reuse a key with
/// other parameters, and good creates, all at once.
async fn failing_writes_leave_the_rest_of_their_group_committed(backend: Backend) {
    let app = spawn_app(backend).await;
    let channel = app.channel().await;
    let mut client = CustomerServiceClient::new(channel.clone());
    let target = client
        .create_customer(authed(&app.key, numbered(0)))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
        .id;
    let mut keyed = authed(&app.key, numbered(1));
    keyed
        .metadata_mut()
        .insert("idempotency-key", "k-1".parse().unwrap());
    client.create_customer(keyed).await.unwrap();

    let mut tasks = Vec::new();
    for i in 0..120 {
        let (mut client, key, target) = (
            CustomerServiceClient::new(channel.clone()),
            app.key.clone(),
            target.clone(),
        );
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                0 => {
                    let too_many = (0..51).map(|k| (format!("k{k}"), "v".into())).collect();
                    let err = client
                        .update_customer(authed(
                            &key,
                            pb::UpdateCustomerRequest {
                                validate_only: false,
                                id: target,
                                customer: Some(pb::CustomerUpdate {
                                    metadata: too_many,
                                    ..Default::default()
                                }),
                                update_mask: Some(FieldMask {
                                    paths: vec!["metadata".into()],
                                }),
                            },
                        ))
                        .await
                        .unwrap_err();
                    assert_eq!(err.code(), Code::InvalidArgument);
                    None
                }
                1 => {
                    let mut reused = authed(&key, numbered(1000 + i));
                    reused
                        .metadata_mut()
                        .insert("idempotency-key", "k-1".parse().unwrap());
                    let err = client.create_customer(reused).await.unwrap_err();
                    assert_eq!(err.code(), Code::FailedPrecondition);
                    None
                }
                _ => Some(
                    client
                        .create_customer(authed(&key, numbered(i)))
                        .await
                        .expect("a good create succeeds")
                        .into_inner()
                        .customer
                        .unwrap()
                        .id,
                ),
            }
        }));
    }
    let mut good = BTreeSet::new();
    for task in tasks {
        good.extend(task.await.unwrap());
    }
    assert_eq!(good.len(), 40);
    let (listed, total) = everyone(&mut client, &app.key).await;
    assert_eq!(total, 42);
    let ids: BTreeSet<_> = listed.iter().map(|c| c.id.clone()).collect();
    assert!(good.is_subset(&ids));
    let kept = listed.iter().find(|c| c.id == target).unwrap();
    assert_eq!(kept.metadata, BTreeMap::from([("n".into(), "0".into())]));
}

/// Creates customers with 32 writers at once until 300 or more are
/// acknowledged, then kills the server mid-stream; returns what was
/// acknowledged, as id -> number.
async fn create_until_killed(mut server: ServerProcess, key: &str) -> BTreeMap<String, usize> {
    let channel = server.channel().await;
    let acknowledged = Arc::new(Mutex::new(BTreeMap::new()));
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let (mut client, key) = (CustomerServiceClient::new(channel.clone()), key.to_owned());
            let acknowledged = Arc::clone(&acknowledged);
            tokio::spawn(async move {
                for n in 0.. {
                    let i = w * 1_000_000 + n;
                    match client.create_customer(authed(&key, numbered(i))).await {
                        Ok(reply) => {
                            let id = reply.into_inner().customer.unwrap().id;
                            acknowledged.lock().await.insert(id, i);
                        }
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Kill it mid-stream, once plenty has been acknowledged.
    eventually(
        Duration::from_secs(60),
        "creates are acknowledged",
        async || match acknowledged.lock().await.len() {
            n if n >= 300 => Ok(()),
            n => Err(n),
        },
    )
    .await;
    server.kill();
    for writer in writers {
        writer.await.unwrap();
    }
    acknowledged.lock().await.clone()
}

async fn acknowledged_creates_survive_a_kill_whole(backend: Backend) {
    let url = fresh_database(backend).await;
    let key = run_ok(&url, &["keys", "create"]).trim().to_owned();
    let server = ServerProcess::start(&url, &[]).await;
    let acknowledged = create_until_killed(server, &key).await;

    let restarted = ServerProcess::start(&url, &[]).await;
    let mut client = CustomerServiceClient::connect(restarted.grpc_url())
        .await
        .unwrap();
    let (listed, total) = everyone(&mut client, &key).await;
    assert_eq!(total, listed.len() as i64, "the total counts what is there");
    let stored: BTreeMap<_, _> = listed.iter().map(|c| (c.id.clone(), c)).collect();
    for (id, i) in &acknowledged {
        let customer = stored.get(id).expect("every acknowledged create is there");
        assert_eq!(
            customer.metadata.get("n"),
            Some(&i.to_string()),
            "with its metadata"
        );
    }
    for customer in &listed {
        assert_eq!(
            customer.metadata.len(),
            1,
            "no customer without its metadata"
        );
    }
    // Neither a customer without its event nor an event without its
    // customer, and the stream has no gap.
    let events = EventServiceClient::connect(restarted.grpc_url())
        .await
        .unwrap();
    let log = every_event(events, &key, 1000).await;
    let mut created = BTreeMap::new();
    for event in &log {
        assert_eq!(event.r#type, "customer.created");
        let customer = customer_of(event);
        assert!(created.insert(customer.id.clone(), customer).is_none());
    }
    let sequences: Vec<i64> = log.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=listed.len() as i64).collect::<Vec<_>>());
    assert_eq!(created.len(), listed.len(), "one event per stored customer");
    for customer in &listed {
        assert_eq!(
            created.get(&customer.id),
            Some(&customer),
            "its event holds it"
        );
    }
}

backend_tests!(
    concurrent_creates_and_deletes_keep_exact_totals,
    failing_writes_leave_the_rest_of_their_group_committed,
    acknowledged_creates_survive_a_kill_whole,
);
