//! Watching the event log over gRPC: backfill then live without a gap or a
//! repeat, resuming, refusals, slow readers, shutdown and retention.

use std::time::Duration;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::event_service_client::EventServiceClient;
use tokio_stream::StreamExt;

use crate::backend_tests;
use crate::events::{all_events, customer_of, events, next, watch};
use crate::helpers::{Backend, authed, spawn_app};
use crate::webhooks::create_customer;

async fn a_watch_resumes_then_follows_live_without_gap_or_repeat(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..3 {
        create_customer(&app, &format!("before {n}")).await;
    }
    let log = all_events(&app, &app.key).await;
    // From after the first: the two others, then what commits next.
    let mut resumed = watch(
        &app,
        &app.key,
        pb::WatchEventsRequest {
            starting_after: log[0].id.clone(),
            ..Default::default()
        },
    )
    .await;
    // Without a position: only what commits after it began.
    let mut fresh = watch(&app, &app.key, pb::WatchEventsRequest::default()).await;
    // Only deletions.
    let mut deletions = watch(
        &app,
        &app.key,
        pb::WatchEventsRequest {
            types: vec!["customer.deleted".into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(next(&mut resumed).await.id, log[1].id);
    assert_eq!(next(&mut resumed).await.id, log[2].id);
    // Concurrent creates: each watcher sees each once, in stream order.
    let mut creates = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (url, key) = (app.grpc_url(), app.key.clone());
        creates.spawn(async move {
            let mut client = CustomerServiceClient::connect(url).await.unwrap();
            let request = pb::CreateCustomerRequest {
                name: Some(format!("live {n}")),
                ..Default::default()
            };
            let reply = client.create_customer(authed(&key, request)).await.unwrap();
            reply.into_inner().customer.unwrap()
        });
    }
    let created = creates.join_all().await;
    let mut seen_resumed = Vec::new();
    let mut seen_fresh = Vec::new();
    for _ in 0..created.len() {
        seen_resumed.push(next(&mut resumed).await);
        seen_fresh.push(next(&mut fresh).await);
    }
    let sequences = |events: &[pb::Event]| events.iter().map(|e| e.sequence).collect::<Vec<_>>();
    assert_eq!(sequences(&seen_resumed), (4..=11).collect::<Vec<_>>());
    assert_eq!(sequences(&seen_fresh), (4..=11).collect::<Vec<_>>());
    let mut names: Vec<String> = seen_fresh
        .iter()
        .map(|e| customer_of(e).name.clone().unwrap())
        .collect();
    names.sort();
    let mut wanted: Vec<String> = created.iter().map(|c| c.name.clone().unwrap()).collect();
    wanted.sort();
    assert_eq!(names, wanted);
    app.customers()
        .await
        .delete_customer(authed(
            &app.key,
            pb::DeleteCustomerRequest {
                id: created[0].id.clone(),
            },
        ))
        .await
        .unwrap();
    let deleted = next(&mut deletions).await;
    assert_eq!(deleted.r#type, "customer.deleted");
    assert_eq!(customer_of(&deleted).id, created[0].id);
    assert_eq!(next(&mut fresh).await.sequence, 12);
}

async fn resuming_from_unknown_or_pruned_positions_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    create_customer(&app, "one").await;
    let mut client = events(&app).await;
    let watch_after = |id: &str| pb::WatchEventsRequest {
        starting_after: id.into(),
        ..Default::default()
    };
    // Recent, but never an event of this stream.
    let unknown = format!(
        "evt_{:012x}000000000000",
        customerd::ids::now_micros() / 1000
    );
    let status = client
        .watch_events(authed(&app.key, watch_after(&unknown)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    // Made before the retention horizon (30 days by default): pruned.
    let old = format!(
        "evt_{:012x}000000000000",
        (customerd::ids::now_micros() / 1000) - 31 * 86_400_000
    );
    let status = client
        .watch_events(authed(&app.key, watch_after(&old)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("retention"), "{status:?}");
    let status = client
        .watch_events(authed(
            &app.key,
            pb::WatchEventsRequest {
                types: vec!["nope".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
}

backend_tests!(
    a_watch_resumes_then_follows_live_without_gap_or_repeat,
    resuming_from_unknown_or_pruned_positions_is_refused,
);

/// A watcher whose client stops reading is ended once its buffer is full
/// and stays full, with RESOURCE_EXHAUSTED after what was buffered; it
/// resumes after the last event it received and misses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_that_stops_reading_is_ended_and_can_resume() {
    const WRITERS: usize = 8;
    const EVENTS: usize = WRITERS * 190;
    let app = spawn_app(Backend::Sqlite).await;
    // Small HTTP/2 windows, so the server's buffer fills after a few hundred events.
    let channel = tonic::transport::Endpoint::from_shared(app.grpc_url())
        .unwrap()
        .initial_stream_window_size(Some(65_535))
        .initial_connection_window_size(Some(65_535))
        .connect()
        .await
        .unwrap();
    let mut client = EventServiceClient::new(channel);
    let mut stalled = client
        .watch_events(authed(&app.key, pb::WatchEventsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut creates = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let (url, key) = (app.grpc_url(), app.key.clone());
        creates.spawn(async move {
            let mut client = CustomerServiceClient::connect(url).await.unwrap();
            for n in 0..EVENTS / WRITERS {
                let request = pb::CreateCustomerRequest {
                    name: Some(format!("writer {w} customer {n}")),
                    ..Default::default()
                };
                client.create_customer(authed(&key, request)).await.unwrap();
            }
        });
    }
    creates.join_all().await;
    // A time wait, as what is tested is a deadline: longer than the server
    // waits for a client to make room before it ends the watch.
    tokio::time::sleep(customerd::events::hub::SLOW_READER_GRACE + Duration::from_secs(2)).await;
    let mut received = Vec::new();
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(10), stalled.next()).await {
            Ok(Some(Ok(reply))) => received.push(reply.event.unwrap()),
            Ok(Some(Err(status))) => break status,
            other => panic!("the watch should end with a status: {other:?}"),
        }
    };
    assert_eq!(ended.code(), tonic::Code::ResourceExhausted, "{ended:?}");
    assert!(ended.message().contains("starting_after"), "{ended:?}");
    assert!(
        !received.is_empty() && received.len() < EVENTS,
        "{} events were buffered before it ended",
        received.len()
    );
    let last = received.last().unwrap().clone();
    let mut resumed = watch(
        &app,
        &app.key,
        pb::WatchEventsRequest {
            starting_after: last.id.clone(),
            ..Default::default()
        },
    )
    .await;
    while received.len() < EVENTS {
        received.push(next(&mut resumed).await);
    }
    let sequences: Vec<i64> = received.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=EVENTS as i64).collect::<Vec<_>>());
}

/// Reads a watch to its end, which must be UNAVAILABLE within 10 s.
async fn ends_unavailable(watch: &mut tonic::Streaming<pb::WatchEventsResponse>) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), watch.next()).await {
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(status))) => {
                assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
                return;
            }
            other => panic!("the watch should end with UNAVAILABLE: {other:?}"),
        }
    }
}

/// Open watches never keep a stopping server alive: on SIGTERM every gRPC
/// watch ends with UNAVAILABLE (after what was buffered for it), an event
/// stream ends with an `error` event, and the server exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_open_watches_and_the_server_exits() {
    let url = crate::helpers::fresh_database(Backend::Sqlite).await;
    let server = crate::process::ServerProcess::start(&url, &[]).await;
    let key = server.first_key.clone().expect("a first key");
    let mut watches = Vec::new();
    for _ in 0..3 {
        let channel = tonic::transport::Endpoint::from_shared(server.grpc_url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        for _ in 0..100 {
            let mut client = EventServiceClient::new(channel.clone());
            let request = authed(&key, pb::WatchEventsRequest::default());
            watches.push(client.watch_events(request).await.unwrap().into_inner());
        }
    }
    let mut customers = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    for _ in 0..5 {
        customers
            .create_customer(authed(&key, pb::CreateCustomerRequest::default()))
            .await
            .unwrap();
    }
    // One event read from each; the rest stay buffered.
    for watch in &mut watches {
        next(watch).await;
    }
    let metrics = crate::helpers::http_client()
        .get(format!("http://{}/metrics", server.http))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l == "customerd_event_watchers 300"),
        "the open watches are counted: {metrics}"
    );
    let mut sse = crate::helpers::http_client()
        .get(format!("http://{}/v1/events/stream", server.http))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    for watch in &mut watches {
        ends_unavailable(watch).await;
    }
    let mut text = String::new();
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(10), sse.chunk()).await
    {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: error"), "{text:?}");
    assert!(text.contains("unavailable"), "{text:?}");
    let mut server = server;
    let exit = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || server.child.wait().unwrap()),
    )
    .await
    .expect("the server exits within 10 s")
    .unwrap();
    assert_eq!(exit.code(), Some(0));
}

/// Retention: events older than `--event-retention` are deleted, and
/// resuming after one of them is refused (FAILED_PRECONDITION, 410 over
/// REST) rather than silently skipping what was pruned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_events_are_gone_and_resuming_after_them_is_refused() {
    let url = crate::helpers::fresh_database(Backend::Sqlite).await;
    let server = crate::process::ServerProcess::start(&url, &["--event-retention", "1s"]).await;
    let key = server.first_key.clone().expect("a first key");
    let mut customers = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    for _ in 0..3 {
        customers
            .create_customer(authed(&key, pb::CreateCustomerRequest::default()))
            .await
            .unwrap();
    }
    let mut events = EventServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    let listed = events
        .list_events(authed(&key, pb::ListEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(listed.len(), 3);
    // A time wait, as what is tested is an age: the events become older
    // than the 1 s retention.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let db = customerd::db::connect(&url, None).await.unwrap();
    let pruned = customerd::events::retention::prune(&db, Duration::from_secs(1))
        .await
        .unwrap();
    db.close().await.unwrap();
    assert_eq!(pruned, 3);
    let after = events
        .list_events(authed(&key, pb::ListEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(after.is_empty(), "{after:?}");
    let status = events
        .watch_events(authed(
            &key,
            pb::WatchEventsRequest {
                starting_after: listed[2].id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
    let gone = crate::helpers::http_client()
        .get(format!(
            "http://{}/v1/events/stream?starting_after={}",
            server.http, listed[2].id
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    // New events keep their numbers after the pruned ones.
    customers
        .create_customer(authed(&key, pb::CreateCustomerRequest::default()))
        .await
        .unwrap();
    let newest = events
        .list_events(authed(&key, pb::ListEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].sequence, 4);
}
