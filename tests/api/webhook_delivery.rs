//! Webhook delivery across processes: two replicas on one PostgreSQL never
//! attempt one delivery at the same time and deliver every event, and a
//! delivery whose server is killed mid-POST is attempted again, not lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use customerd::config::Settings;
use customerd::db::entities::webhook_delivery::DeliveryState;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::webhook_endpoint_service_client::WebhookEndpointServiceClient;
use tonic::transport::Channel;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, eventually, fresh_database, spawn_app_on};
use crate::process::{ServerProcess, run_ok};
use crate::receiver::Receiver;
use crate::webhooks::{create_endpoint, deliveries, scheduled, signed_by};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn two_replicas_never_attempt_one_delivery_at_once() {
    let url = fresh_database(Backend::Postgres).await;
    let configure = |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.retry_base = Duration::from_millis(100);
    };
    let first = spawn_app_on(url.clone(), configure).await;
    let second = spawn_app_on(url, configure).await;
    // Every event whose id ends in an even digit fails its first attempt;
    // every answer takes a while, so claims overlap in time.
    let fails_first = |event: &str| event.ends_with(['0', '2', '4', '6', '8']);
    let receiver = Receiver::with(Arc::new(move |event, before| {
        let status = if before == 0 && fails_first(event) {
            500
        } else {
            200
        };
        (status, Duration::from_millis(30))
    }))
    .await;
    let endpoint = create_endpoint(&first, &receiver.url(), &["*"]).await;
    let created = create_from_both(&first, &second).await;
    // Every event delivered, and sent exactly as often as the receiver asked.
    let complete = |all: &[crate::receiver::Received]| {
        let mut ids: Vec<&str> = all.iter().map(|r| r.event.as_str()).collect();
        ids.sort();
        ids.dedup();
        let failed_first = ids.iter().filter(|id| fails_first(id)).count();
        ids.len() == created && all.len() == created + failed_first
    };
    let got = receiver
        .wait_for(Duration::from_secs(60), "every event delivered", complete)
        .await;
    // Each delivery ends with its delivered attempt recorded; one no longer
    // pending is never claimed again, so nothing can be sent after this.
    all_recorded_delivered(&first.db, &endpoint.id, created).await;
    let got_after = receiver.received();
    assert_eq!(
        got_after.len(),
        got.len(),
        "an event was sent again after delivery"
    );
    for request in &got_after {
        assert_eq!(
            request.overlapping, 0,
            "{} attempted twice at once",
            request.event
        );
        assert!(signed_by(request, &endpoint.secret));
    }
    for event in got_after.iter().map(|r| &r.event) {
        let times = got_after.iter().filter(|r| &r.event == event).count();
        let expected = if fails_first(event) { 2 } else { 1 };
        assert_eq!(times, expected, "{event} sent {times} times");
    }
    // Each attempt recorded once, by whichever replica made it.
    let attempts = deliveries(&second, &endpoint.id).await;
    assert_eq!(attempts.len(), got_after.len());
}

/// Creates 40 customers from each of three writers on each app, at once;
/// how many in all.
async fn create_from_both(first: &TestApp, second: &TestApp) -> usize {
    let mut targets = Vec::new();
    for app in [first, second] {
        targets.push((app.channel().await, app.key.clone()));
    }
    let writers: Vec<_> = targets
        .into_iter()
        .flat_map(|(channel, key)| {
            (0..3).map(move |w| {
                let (channel, key) = (channel.clone(), key.clone());
                async move {
                    let mut client = CustomerServiceClient::new(channel);
                    let mut ids = Vec::new();
                    for i in 0..40 {
                        let reply = client
                            .create_customer(authed(
                                &key,
                                pb::CreateCustomerRequest {
                                    name: Some(format!("W{w} {i}")),
                                    ..Default::default()
                                },
                            ))
                            .await
                            .expect("created");
                        ids.push(reply.into_inner().customer.unwrap().id);
                    }
                    ids
                }
            })
        })
        .map(tokio::spawn)
        .collect();
    let mut created = 0;
    for writer in writers {
        created += writer.await.unwrap().len();
    }
    created
}

/// Waits until the endpoint's `created` deliveries are all recorded as delivered.
async fn all_recorded_delivered(db: &sea_orm::DatabaseConnection, endpoint: &str, created: usize) {
    eventually(
        Duration::from_secs(20),
        "every delivery recorded as delivered",
        async || {
            let stored = scheduled(db, endpoint).await;
            let open = stored
                .iter()
                .filter(|(_, state)| *state != DeliveryState::Delivered)
                .count();
            if stored.len() == created && open == 0 {
                Ok(())
            } else {
                Err(format!("{} scheduled, {open} not delivered", stored.len()))
            }
        },
    )
    .await;
}

async fn a_delivery_killed_mid_flight_is_attempted_again(backend: Backend) {
    let url = fresh_database(backend).await;
    let key = run_ok(&url, &["keys", "create"]).trim().to_owned();
    // The first attempt never gets its answer; later ones do at once.
    let receiver = Receiver::with(Arc::new(|_, before| {
        if before == 0 {
            (200, Duration::from_secs(120))
        } else {
            (200, Duration::ZERO)
        }
    }))
    .await;
    let flags = ["--webhook-allow-private"];
    let mut server = ServerProcess::start(&url, &flags).await;
    let channel = server.channel().await;
    let endpoint = subscribe_and_create(channel, &key, receiver.url(), "customer.created").await;
    let first = receiver
        .wait_for(Duration::from_secs(10), "the first attempt", |r| {
            !r.is_empty()
        })
        .await;
    server.kill();
    let restarted = ServerProcess::start(&url, &flags).await;
    let killed_at = Instant::now();
    // Attempted again once the dead server's claim lapses.
    let got = receiver
        .wait_for(Duration::from_secs(60), "the attempt after the kill", |r| {
            r.len() >= 2
        })
        .await;
    assert!(killed_at.elapsed() < Duration::from_secs(45));
    assert_eq!(got[1].event, first[0].event);
    assert_eq!(got[1].body, first[0].body);
    assert!(signed_by(&got[1], &endpoint.secret));
    let channel = restarted.channel().await;
    let attempts = recorded_attempts(channel, &key, &endpoint.id).await;
    // The killed attempt left no record; the one after it is the second.
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].attempt, 2);
    assert!(attempts[0].delivered);
    // Recorded as delivered, the delivery is no longer pending, and so never
    // claimed again (the killed server's claim died with it).
    let db = customerd::db::connect(&url, None).await.unwrap();
    assert_eq!(
        scheduled(&db, &endpoint.id).await,
        [(first[0].event.clone(), DeliveryState::Delivered)]
    );
    db.close().await.ok();
    assert_eq!(receiver.received().len(), 2);
}

/// Subscribes `url` to `events`, then creates a customer.
async fn subscribe_and_create(
    channel: Channel,
    key: &str,
    url: String,
    events: &str,
) -> pb::WebhookEndpoint {
    let endpoint = WebhookEndpointServiceClient::new(channel.clone())
        .create_webhook_endpoint(authed(
            key,
            pb::CreateWebhookEndpointRequest {
                url,
                enabled_events: vec![events.into()],
                ..Default::default()
            },
        ))
        .await
        .expect("endpoint created")
        .into_inner()
        .webhook_endpoint
        .unwrap();
    CustomerServiceClient::new(channel)
        .create_customer(authed(
            key,
            pb::CreateCustomerRequest {
                name: Some("Webhook subject".into()),
                ..Default::default()
            },
        ))
        .await
        .expect("created");
    endpoint
}

/// The endpoint's recorded attempts, once there is one.
async fn recorded_attempts(
    channel: Channel,
    key: &str,
    endpoint: &str,
) -> Vec<pb::WebhookDelivery> {
    let mut client = WebhookEndpointServiceClient::new(channel);
    eventually(Duration::from_secs(10), "an attempt recorded", async || {
        let attempts = client
            .list_webhook_deliveries(authed(
                key,
                pb::ListWebhookDeliveriesRequest {
                    webhook_endpoint: endpoint.to_owned(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .deliveries;
        if attempts.is_empty() {
            Err(attempts)
        } else {
            Ok(attempts)
        }
    })
    .await
}

backend_tests!(a_delivery_killed_mid_flight_is_attempted_again);

/// SIGTERM while an attempt is under way: the server waits for its answer
/// and records it before exiting, so nothing is sent again after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_records_the_attempts_under_way() {
    let url = fresh_database(Backend::Sqlite).await;
    let key = run_ok(&url, &["keys", "create"]).trim().to_owned();
    let receiver = Receiver::with(Arc::new(|_, _| (200, Duration::from_secs(2)))).await;
    let flags = ["--webhook-allow-private"];
    let server = ServerProcess::start(&url, &flags).await;
    let channel = server.channel().await;
    let endpoint = subscribe_and_create(channel, &key, receiver.url(), "*").await;
    receiver
        .wait_for(Duration::from_secs(10), "the attempt", |r| !r.is_empty())
        .await;
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let mut server = server;
    let exit = tokio::task::spawn_blocking(move || server.child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0));
    let restarted = ServerProcess::start(&url, &flags).await;
    let channel = restarted.channel().await;
    let attempts = recorded_attempts(channel, &key, &endpoint.id).await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].attempt, 1);
    assert!(attempts[0].delivered);
    assert_eq!(receiver.received().len(), 1);
}
