//! The event log over gRPC: one event per change, written with it, with exact
//! payloads; one gap-free order per (account, mode); list, get and watch.

use std::collections::BTreeMap;
use std::time::Duration;

use customerd::auth::Mode;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::SubscriptionStatus::Active;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::event_service_client::EventServiceClient;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::backend_tests;
use crate::billing::{pay, subscribe};
use crate::helpers::{Backend, TestApp, authed, spawn_app};
use crate::webhooks::create_customer;

pub(crate) async fn events(app: &TestApp) -> EventServiceClient<Channel> {
    EventServiceClient::new(app.channel().await)
}

/// Every event of the key's stream, oldest first, paging through the list.
pub(crate) async fn all_events(app: &TestApp, key: &str) -> Vec<pb::Event> {
    every_event(events(app).await, key, 3).await
}

/// Every event of the key's stream, oldest first, paging through the list
/// `page_size` events at a time.
pub(crate) async fn every_event(
    mut client: EventServiceClient<Channel>,
    key: &str,
    page_size: i32,
) -> Vec<pb::Event> {
    let mut all = Vec::new();
    let mut starting_after = String::new();
    loop {
        let page = client
            .list_events(authed(
                key,
                pb::ListEventsRequest {
                    limit: page_size,
                    starting_after: starting_after.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("listed")
            .into_inner();
        starting_after = page.events.last().map(|e| e.id.clone()).unwrap_or_default();
        all.extend(page.events);
        if !page.has_more {
            break;
        }
    }
    all.reverse();
    all
}

fn with_origin<T>(
    key: &str,
    message: T,
    request_id: &str,
    idempotency_key: Option<&str>,
) -> tonic::Request<T> {
    let mut request = authed(key, message);
    request
        .metadata_mut()
        .insert("x-request-id", request_id.parse().unwrap());
    if let Some(k) = idempotency_key {
        request
            .metadata_mut()
            .insert("idempotency-key", k.parse().unwrap());
    }
    request
}

/// The next event a watch delivers, within a few seconds.
pub(crate) async fn next(stream: &mut tonic::Streaming<pb::WatchEventsResponse>) -> pb::Event {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream is open")
        .expect("an event, not an error")
        .event
        .expect("the event is set")
}

pub(crate) async fn watch(
    app: &TestApp,
    key: &str,
    request: pb::WatchEventsRequest,
) -> tonic::Streaming<pb::WatchEventsResponse> {
    events(app)
        .await
        .watch_events(authed(key, request))
        .await
        .expect("watching")
        .into_inner()
}

pub(crate) fn customer_of(event: &pb::Event) -> &pb::Customer {
    match &event.object {
        Some(pb::event::Object::Customer(c)) => c,
        other => panic!("{}: not a customer: {other:?}", event.r#type),
    }
}

/// The event log's common checks: ids, mode, time, and one gap-free order.
fn assert_stream(log: &[pb::Event], types: &[&str]) {
    let logged: Vec<&str> = log.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(logged, types);
    let sequences: Vec<i64> = log.iter().map(|e| e.sequence).collect();
    assert_eq!(
        sequences,
        (1..=types.len() as i64).collect::<Vec<_>>(),
        "one gap-free order"
    );
    for event in log {
        assert!(
            event.id.starts_with("evt_") && event.id.len() == 28,
            "{}",
            event.id
        );
        assert!(!event.live);
        assert!(event.created_at.is_some());
    }
}

async fn customer_changes_are_events_with_their_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = &app.key;
    let mut customers = app.customers().await;
    let create = pb::CreateCustomerRequest {
        email: Some("ada@example.com".into()),
        name: Some("Ada".into()),
        metadata: BTreeMap::from([("plan".into(), "pro".into())]),
        ..Default::default()
    };
    let origin = with_origin(key, create.clone(), "req-create", Some("idem-1"));
    let created = customers.create_customer(origin).await.unwrap();
    let created = created.into_inner().customer.unwrap();
    // The same key again: the first answer, and no second event.
    let replay = with_origin(key, create, "req-replay", Some("idem-1"));
    let replayed = customers.create_customer(replay).await.unwrap();
    assert_eq!(replayed.into_inner().customer.unwrap().id, created.id);
    let update = |name: &str| pb::UpdateCustomerRequest {
        id: created.id.clone(),
        customer: Some(pb::CustomerUpdate {
            name: Some(name.into()),
            metadata: BTreeMap::from([("plan".into(), "team".into())]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let origin = with_origin(key, update("Ada Lovelace"), "req-update", None);
    let updated = customers.update_customer(origin).await.unwrap();
    let updated = updated.into_inner().customer.unwrap();
    // Changing nothing is no event.
    let unchanged = authed(key, update("Ada Lovelace"));
    customers.update_customer(unchanged).await.unwrap();

    let log = all_events(&app, key).await;
    assert_stream(&log, &["customer.created", "customer.updated"]);
    // customer.created: the customer as answered, and the request behind it.
    assert_eq!(customer_of(&log[0]), &created);
    let request = log[0].request.clone().unwrap();
    assert_eq!(request.id.as_deref(), Some("req-create"));
    assert_eq!(request.idempotency_key.as_deref(), Some("idem-1"));
    assert!(log[0].previous.is_none() && log[0].changed_fields.is_none());
    // customer.updated: after, and the earlier values of what changed.
    assert_eq!(customer_of(&log[1]), &updated);
    let Some(pb::event::Previous::PreviousCustomer(before)) = &log[1].previous else {
        panic!("no previous customer: {:?}", log[1]);
    };
    let changed = &log[1].changed_fields.as_ref().unwrap().paths;
    assert_eq!(changed, &["name", "metadata"]);
    assert_eq!(before.name.as_deref(), Some("Ada"));
    assert_eq!(before.metadata.get("plan").map(String::as_str), Some("pro"));
    let request = log[1].request.as_ref().unwrap();
    assert_eq!(request.id.as_deref(), Some("req-update"));
    assert_eq!(request.idempotency_key, None);

    // GetEvent answers each as listed.
    let mut client = events(&app).await;
    for event in &log {
        let id = event.id.clone();
        let got = client.get_event(authed(key, pb::GetEventRequest { id }));
        assert_eq!(&got.await.unwrap().into_inner().event.unwrap(), event);
    }
}

async fn payments_and_subscriptions_are_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = create_customer(&app, "Ada").await;
    let payment = pay(&app, &app.key, Some(&customer.id), 1200).await;
    let subscription = subscribe(&app, &app.key, &customer.id, "pro", Active).await;
    let cancel = pb::CancelSubscriptionRequest {
        id: subscription.id.clone(),
    };
    let mut subscriptions = app.subscriptions().await;
    subscriptions
        .cancel_subscription(authed(&app.key, cancel))
        .await
        .unwrap();

    let log = all_events(&app, &app.key).await;
    assert_stream(
        &log,
        &[
            "customer.created",
            "payment.created",
            "subscription.created",
            "subscription.canceled",
        ],
    );
    assert_eq!(log[1].object, Some(pb::event::Object::Payment(payment)));
    let created = Some(pb::event::Object::Subscription(subscription.clone()));
    assert_eq!(log[2].object, created);
    let Some(pb::event::Object::Subscription(canceled)) = &log[3].object else {
        panic!("{:?}", log[3]);
    };
    assert_eq!(canceled.id, subscription.id);
    assert_eq!(canceled.status, pb::SubscriptionStatus::Canceled as i32);
    assert!(canceled.canceled_at.is_some());
}

async fn a_deletion_is_the_events_of_its_cascade(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = &app.key;
    let customer = create_customer(&app, "Ada").await;
    let payment = pay(&app, &app.key, Some(&customer.id), 1200).await;
    let subscription = subscribe(&app, &app.key, &customer.id, "pro", Active).await;
    let mut customers = app.customers().await;
    // As it is when deleted.
    let get = pb::GetCustomerRequest {
        id: customer.id.clone(),
    };
    let got = customers.get_customer(authed(key, get)).await.unwrap();
    let last = got.into_inner().customer.unwrap();
    let delete = pb::DeleteCustomerRequest {
        id: customer.id.clone(),
    };
    let origin = with_origin(key, delete, "req-delete", None);
    customers.delete_customer(origin).await.unwrap();

    let log = all_events(&app, key).await;
    assert_stream(
        &log,
        &[
            "customer.created",
            "payment.created",
            "subscription.created",
            "subscription.canceled",
            "payment.updated",
            "customer.deleted",
        ],
    );
    // The subscription canceled, the payment detached (its customer is the
    // previous attribute), then the customer as it was.
    let Some(pb::event::Object::Subscription(cascaded)) = &log[3].object else {
        panic!("{:?}", log[3]);
    };
    assert_eq!(cascaded.id, subscription.id);
    assert_eq!(cascaded.status, pb::SubscriptionStatus::Canceled as i32);
    let Some(pb::event::Object::Payment(detached)) = &log[4].object else {
        panic!("{:?}", log[4]);
    };
    assert_eq!(detached.id, payment.id);
    assert_eq!(detached.customer, None);
    assert_eq!(log[4].changed_fields.as_ref().unwrap().paths, ["customer"]);
    let Some(pb::event::Previous::PreviousPayment(attached)) = &log[4].previous else {
        panic!("{:?}", log[4]);
    };
    assert_eq!(attached.customer.as_deref(), Some(customer.id.as_str()));
    assert_eq!(customer_of(&log[5]), &last);
    for cascaded in &log[3..] {
        let request = cascaded.request.as_ref().unwrap();
        assert_eq!(request.id.as_deref(), Some("req-delete"));
    }
}

/// A deletion that detaches 1,100 payments, so that one transaction writes
/// 1,101 events (several insert statements on SQLite and MySQL, one on
/// PostgreSQL): every event is written, in one gap-free order, the cascade's
/// events one run of numbers ending with the customer's.
async fn a_large_cascade_keeps_its_events_in_order(backend: Backend) {
    const PAYMENTS: usize = 1_100;
    let app = spawn_app(backend).await;
    let customer = create_customer(&app, "Ada").await;
    let mut payers = Vec::new();
    for worker in 0..8 {
        let mut client = app.payments().await;
        let (key, customer) = (app.key.clone(), customer.id.clone());
        payers.push(tokio::spawn(async move {
            for n in (worker..PAYMENTS).step_by(8) {
                let request = pb::CreatePaymentRequest {
                    customer: Some(customer.clone()),
                    amount: 100 + n as i64,
                    currency: "USD".into(),
                    ..Default::default()
                };
                client
                    .create_payment(authed(&key, request))
                    .await
                    .expect("payment created");
            }
        }));
    }
    for payer in payers {
        payer.await.unwrap();
    }
    let delete = pb::DeleteCustomerRequest {
        id: customer.id.clone(),
    };
    let mut customers = app.customers().await;
    customers
        .delete_customer(with_origin(&app.key, delete, "req-delete", None))
        .await
        .unwrap();

    let log = every_event(events(&app).await, &app.key, 500).await;
    let mut types = vec!["customer.created"];
    types.extend(["payment.created"; PAYMENTS]);
    types.extend(["payment.updated"; PAYMENTS]);
    types.push("customer.deleted");
    assert_stream(&log, &types);
    let cascade = &log[1 + PAYMENTS..];
    let mut detached: Vec<&str> = cascade[..PAYMENTS]
        .iter()
        .map(|event| match &event.object {
            Some(pb::event::Object::Payment(payment)) => {
                assert_eq!(payment.customer, None);
                payment.id.as_str()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let mut paid: Vec<&str> = log[1..=PAYMENTS]
        .iter()
        .map(|event| match &event.object {
            Some(pb::event::Object::Payment(payment)) => payment.id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    detached.sort_unstable();
    paid.sort_unstable();
    assert_eq!(detached, paid, "each payment detached once");
    assert_eq!(customer_of(&log[log.len() - 1]).id, customer.id);
    for event in cascade {
        let request = event.request.as_ref().unwrap();
        assert_eq!(request.id.as_deref(), Some("req-delete"));
    }
}

async fn streams_are_kept_apart_by_account_and_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.key_for("globex", Mode::Test).await;
    let live = app.key_for("acme", Mode::Live).await;
    // Watching before the writes: each watcher sees its own stream only.
    let mut theirs_live = watch(&app, &other, pb::WatchEventsRequest::default()).await;
    let mut live_mode = watch(&app, &live, pb::WatchEventsRequest::default()).await;
    let mut customers = app.customers().await;
    let mut created = Vec::new();
    for key in [&app.key, &app.key, &other] {
        let reply = customers
            .create_customer(authed(key, pb::CreateCustomerRequest::default()))
            .await
            .unwrap();
        created.push(reply.into_inner().customer.unwrap().id);
    }
    let watched = next(&mut theirs_live).await;
    assert_eq!(customer_of(&watched).id, created[2]);
    assert_eq!(watched.sequence, 1);
    let quiet = Duration::from_millis(300);
    assert!(
        tokio::time::timeout(quiet, theirs_live.next())
            .await
            .is_err(),
        "another account's events reached a watcher"
    );
    assert!(
        tokio::time::timeout(quiet, live_mode.next()).await.is_err(),
        "test-mode events reached a live-mode watcher"
    );
    let mine = all_events(&app, &app.key).await;
    let theirs = all_events(&app, &other).await;
    assert_eq!(mine.len(), 2);
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].sequence, 1, "each stream numbers its own events");
    assert!(all_events(&app, &live).await.is_empty());
    let status = events(&app)
        .await
        .get_event(authed(
            &other,
            pb::GetEventRequest {
                id: mine[0].id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    // Nor can another account resume after one of them.
    let status = events(&app)
        .await
        .watch_events(authed(
            &other,
            pb::WatchEventsRequest {
                starting_after: mine[0].id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

/// One page of the app's key's events.
async fn list(
    app: &TestApp,
    request: pb::ListEventsRequest,
) -> Result<pb::ListEventsResponse, tonic::Status> {
    let reply = events(app)
        .await
        .list_events(authed(&app.key, request))
        .await?;
    Ok(reply.into_inner())
}

async fn lists_filter_and_page_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(create_customer(&app, &format!("customer {n}")).await.id);
    }
    app.customers()
        .await
        .delete_customer(authed(
            &app.key,
            pb::DeleteCustomerRequest { id: ids[0].clone() },
        ))
        .await
        .unwrap();
    let log = all_events(&app, &app.key).await;
    assert_eq!(log.len(), 4);
    // (request, the ids of its page, whether it has more where that is checked)
    let pages = [
        (
            pb::ListEventsRequest {
                types: vec!["customer.deleted".into()],
                ..Default::default()
            },
            vec![&log[3].id],
            None,
        ),
        (
            pb::ListEventsRequest {
                types: vec!["customer.*".into()],
                limit: 2,
                ..Default::default()
            },
            vec![&log[3].id, &log[2].id],
            Some(true),
        ),
        // Newer than the first: the page just above it, newest first.
        (
            pb::ListEventsRequest {
                ending_before: log[0].id.clone(),
                limit: 2,
                ..Default::default()
            },
            vec![&log[2].id, &log[1].id],
            Some(true),
        ),
    ];
    for (request, expected, has_more) in pages {
        let page = list(&app, request.clone()).await.unwrap();
        let listed: Vec<&String> = page.events.iter().map(|e| &e.id).collect();
        assert_eq!(listed, expected, "{request:?}");
        if let Some(has_more) = has_more {
            assert_eq!(page.has_more, has_more, "{request:?}");
        }
    }
    assert_bad_lists_are_refused(&app).await;
}

/// Lists of an unknown type or too many events, and cursors that are no
/// event id or no event of the stream, are refused.
async fn assert_bad_lists_are_refused(app: &TestApp) {
    for (request, field) in [
        (
            pb::ListEventsRequest {
                types: vec!["invoice.*".into()],
                ..Default::default()
            },
            "types",
        ),
        (
            pb::ListEventsRequest {
                limit: 1001,
                ..Default::default()
            },
            "limit",
        ),
    ] {
        let status = list(app, request).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(field), "{status:?}");
    }
    let status = list(
        app,
        pb::ListEventsRequest {
            starting_after: "evt_nope".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        status.code(),
        tonic::Code::InvalidArgument,
        "not an event id"
    );
    let recent = format!(
        "evt_{:012x}000000000000",
        customerd::ids::now_micros() / 1000
    );
    let status = list(
        app,
        pb::ListEventsRequest {
            starting_after: recent,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

/// Writes of several accounts that commit together each take their own
/// stream's numbers: every stream stays gap-free, one event per write.
async fn streams_written_together_stay_gap_free(backend: Backend) {
    const ACCOUNTS: usize = 4;
    const WRITES: usize = 30;
    let app = spawn_app(backend).await;
    let mut keys = vec![app.key.clone()];
    for n in 1..ACCOUNTS {
        keys.push(app.key_for(&format!("tenant-{n}"), Mode::Test).await);
    }
    let channel = app.channel().await;
    let mut writers = Vec::new();
    for key in &keys {
        for n in 0..WRITES {
            let mut client = CustomerServiceClient::new(channel.clone());
            let key = key.clone();
            writers.push(tokio::spawn(async move {
                let request = pb::CreateCustomerRequest {
                    name: Some(format!("writer {n}")),
                    ..Default::default()
                };
                let reply = client.create_customer(authed(&key, request)).await;
                (
                    key,
                    reply.expect("created").into_inner().customer.unwrap().id,
                )
            }));
        }
    }
    let mut created: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for writer in writers {
        let (key, id) = writer.await.unwrap();
        created.entry(key).or_default().push(id);
    }
    for (key, mut ids) in created {
        let log = all_events(&app, &key).await;
        let sequences: Vec<i64> = log.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, (1..=WRITES as i64).collect::<Vec<_>>());
        let mut logged: Vec<String> = log.iter().map(|e| customer_of(e).id.clone()).collect();
        logged.sort();
        ids.sort();
        assert_eq!(logged, ids, "one event per acknowledged create");
    }
}

backend_tests!(
    streams_written_together_stay_gap_free,
    customer_changes_are_events_with_their_requests,
    payments_and_subscriptions_are_events,
    a_deletion_is_the_events_of_its_cascade,
    a_large_cascade_keeps_its_events_in_order,
    streams_are_kept_apart_by_account_and_mode,
    lists_filter_and_page_both_ways,
);
