//! Two servers on one PostgreSQL database commit changes of one tenant
//! concurrently while readers watch both servers, resume from one on the
//! other, and page through the list: every reader sees every event exactly
//! once, in the same order, and every acknowledged write has its event.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::event_service_client::EventServiceClient;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::helpers::{Backend, authed, fresh_database};
use crate::process::start_together;

const WRITERS_PER_SERVER: usize = 4;
const WRITING: Duration = Duration::from_secs(4);

async fn channel(url: String) -> Channel {
    Channel::from_shared(url).unwrap().connect().await.unwrap()
}

/// Creates customers and renames each once, until told to stop; counts the
/// acknowledged writes (each one event).
async fn writer(grpc: String, key: String, stop: Arc<AtomicBool>, acked: Arc<AtomicU64>) {
    let mut client = CustomerServiceClient::new(channel(grpc).await);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let created = client
            .create_customer(authed(&key, pb::CreateCustomerRequest::default()))
            .await
            .expect("create")
            .into_inner()
            .customer
            .unwrap();
        acked.fetch_add(1, Ordering::Relaxed);
        let rename = pb::UpdateCustomerRequest {
            id: created.id,
            customer: Some(pb::CustomerUpdate {
                name: Some(format!("renamed {n}")),
                ..Default::default()
            }),
            ..Default::default()
        };
        client
            .update_customer(authed(&key, rename))
            .await
            .expect("update");
        acked.fetch_add(1, Ordering::Relaxed);
        n += 1;
    }
}

/// Watches from the beginning of the stream on `servers[0]`, and every
/// `hop` events ends its watch and resumes after the last event it received
/// on the next server; returns the ids once it has `wanted()` of them.
async fn watcher(
    servers: Vec<String>,
    key: String,
    hop: Option<usize>,
    wanted: Arc<AtomicU64>,
    watching: tokio::sync::mpsc::Sender<()>,
) -> Vec<(i64, String)> {
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut server = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut client =
            EventServiceClient::new(channel(servers[server % servers.len()].clone()).await);
        let starting_after = seen.last().map(|(_, id)| id.clone()).unwrap_or_default();
        let mut stream = client
            .watch_events(authed(
                &key,
                pb::WatchEventsRequest {
                    starting_after,
                    types: Vec::new(),
                },
            ))
            .await
            .expect("watch")
            .into_inner();
        // The first watch starts with what commits after it began: the
        // writers wait for it.
        let _ = watching.try_send(());
        let mut this_watch = 0;
        loop {
            let target = wanted.load(Ordering::Relaxed);
            if target > 0 && seen.len() as u64 >= target {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "a watcher (hop {hop:?}, on server {}) stalled at {} of {} events",
                server % servers.len(),
                seen.len(),
                wanted.load(Ordering::Relaxed)
            );
            let Ok(next) = tokio::time::timeout(Duration::from_millis(500), stream.next()).await
            else {
                continue;
            };
            let event = next
                .expect("the watch stays open")
                .expect("an event")
                .event
                .unwrap();
            seen.push((event.sequence, event.id));
            this_watch += 1;
            if hop.is_some_and(|hop| this_watch >= hop) {
                break;
            }
        }
        server += 1;
    }
}

/// Pages through the list oldest to newest with `ending_before`, again and
/// again, until it has `wanted()` events.
async fn pager(grpc: String, key: String, wanted: Arc<AtomicU64>) -> Vec<(i64, String)> {
    let mut client = EventServiceClient::new(channel(grpc).await);
    let mut seen: Vec<(i64, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let target = wanted.load(Ordering::Relaxed);
        if target > 0 && seen.len() as u64 >= target {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "the pager stalled at {} events",
            seen.len()
        );
        let Some((_, last)) = seen.last().cloned() else {
            // Everything so far, walking back from the newest; appends only
            // happen above the first page, so the walk is consistent.
            let mut prefix = Vec::new();
            let mut cursor = String::new();
            loop {
                let request = pb::ListEventsRequest {
                    limit: 37,
                    starting_after: cursor.clone(),
                    ..Default::default()
                };
                let page = client
                    .list_events(authed(&key, request))
                    .await
                    .unwrap()
                    .into_inner();
                cursor = page.events.last().map(|e| e.id.clone()).unwrap_or_default();
                prefix.extend(page.events);
                if !page.has_more {
                    break;
                }
            }
            if prefix.is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen.extend(prefix.into_iter().rev().map(|e| (e.sequence, e.id)));
            continue;
        };
        let request = pb::ListEventsRequest {
            limit: 37,
            ending_before: last,
            ..Default::default()
        };
        let page = client
            .list_events(authed(&key, request))
            .await
            .unwrap()
            .into_inner();
        // Newest first; the reader walks oldest to newest. Caught up: a pause.
        if !page.has_more {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen.extend(page.events.into_iter().rev().map(|e| (e.sequence, e.id)));
    }
}

/// The readers for each server: a watcher that stays, a watcher that hops to
/// the next server every 53 events, and a pager; returned once every
/// watcher is watching.
async fn start_readers(
    urls: &[String],
    key: &str,
    wanted: &Arc<AtomicU64>,
) -> Vec<JoinHandle<Vec<(i64, String)>>> {
    let (watching, mut watchers_ready) = tokio::sync::mpsc::channel(64);
    let mut readers = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let rotated: Vec<String> = urls
            .iter()
            .cycle()
            .skip(i)
            .take(urls.len())
            .cloned()
            .collect();
        for hop in [None, Some(53)] {
            readers.push(tokio::spawn(watcher(
                rotated.clone(),
                key.to_owned(),
                hop,
                wanted.clone(),
                watching.clone(),
            )));
        }
        readers.push(tokio::spawn(pager(
            url.clone(),
            key.to_owned(),
            wanted.clone(),
        )));
    }
    for _ in 0..2 * urls.len() {
        watchers_ready.recv().await.expect("a watcher started");
    }
    readers
}

/// Runs [`WRITERS_PER_SERVER`] writers on each server for [`WRITING`];
/// returns how many writes were acknowledged.
async fn write_for_a_while(urls: &[String], key: &str) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for grpc in urls {
        for _ in 0..WRITERS_PER_SERVER {
            writers.push(tokio::spawn(writer(
                grpc.clone(),
                key.to_owned(),
                stop.clone(),
                acked.clone(),
            )));
        }
    }
    // A time wait: the load runs for a fixed while.
    tokio::time::sleep(WRITING).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("a writer finished");
    }
    acked.load(Ordering::Relaxed)
}

/// How many customers and events the database at `url` holds.
async fn stored_counts(url: &str) -> (u64, u64) {
    use customerd::db::entities::{customer, event};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = customerd::db::connect(url, None).await.unwrap();
    let customers = customer::Entity::find().count(&db).await.unwrap();
    let events = event::Entity::find().count(&db).await.unwrap();
    db.close().await.ok();
    (customers, events)
}

/// The sequence number of the newest event, as `grpc` lists it.
async fn newest_sequence(grpc: &str, key: &str) -> i64 {
    let request = pb::ListEventsRequest {
        limit: 1,
        ..Default::default()
    };
    EventServiceClient::new(channel(grpc.to_owned()).await)
        .list_events(authed(key, request))
        .await
        .unwrap()
        .into_inner()
        .events[0]
        .sequence
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn readers_on_two_servers_see_one_order_without_gap_or_repeat() {
    let url = fresh_database(Backend::Postgres).await;
    let servers = start_together(&url, 2).await;
    let key = servers
        .iter()
        .find_map(|s| s.first_key.clone())
        .expect("a first key");
    let urls: Vec<String> = servers.iter().map(|s| s.grpc_url()).collect();
    let wanted = Arc::new(AtomicU64::new(0));
    // Every watcher is watching before the first write.
    let readers = start_readers(&urls, &key, &wanted).await;
    let total = write_for_a_while(&urls, &key).await;
    // What the database holds: each customer was created and renamed once.
    let (customers, stored) = stored_counts(&url).await;
    assert_eq!(
        stored, total,
        "events stored for {total} acknowledged writes ({customers} customers)"
    );
    wanted.store(total, Ordering::Relaxed);
    let mut orders = Vec::new();
    for r in readers {
        orders.push(r.await.expect("a reader finished"));
    }
    // Nothing more than the writes: each acknowledged write is one event.
    let head = newest_sequence(&urls[0], &key).await;
    assert_eq!(head as u64, total, "one event per acknowledged write");
    let expected: Vec<i64> = (1..=total as i64).collect();
    for (i, order) in orders.iter().enumerate() {
        let sequences: Vec<i64> = order.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            sequences, expected,
            "reader {i}: every event once, in order"
        );
        assert_eq!(
            order, &orders[0],
            "reader {i} saw the same ids in the same order"
        );
    }
    eprintln!(
        "event order: {total} events from {} writers on 2 servers in {:?}, read by {} readers",
        2 * WRITERS_PER_SERVER,
        WRITING,
        orders.len()
    );
}
