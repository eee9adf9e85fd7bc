//! Cursor pagination costs the same at any depth; offset pagination does not.
//!
//!     cargo bench --bench pagination                 # SQLite, 100,000 customers
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
//!       BENCH_CUSTOMERS=200000 cargo bench --bench pagination
//!
//! Seeds one tenant with BENCH_CUSTOMERS customers (in a database that must be
//! empty or not yet exist), starts the real server on a free port, then times
//! ListCustomers over gRPC (limit 10): the first page, the page after a cursor
//! 10,000 deep (page 1,001), after one near the end, and the same depths by
//! offset. Prints the median and 95th percentile of each.

use std::time::{Duration, Instant};

use customerd::auth::{self, Mode};
use customerd::config::Settings;
use customerd::db::entities::customer;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::startup::Application;
use sea_orm::{ActiveValue::Set, EntityTrait};
use tonic::transport::Channel;

const ROUNDS: usize = 300;

fn request(
    key: &str,
    message: pb::ListCustomersRequest,
) -> tonic::Request<pb::ListCustomersRequest> {
    let mut req = tonic::Request::new(message);
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("ascii key"),
    );
    req
}

async fn time(
    client: &mut CustomerServiceClient<Channel>,
    key: &str,
    message: pb::ListCustomersRequest,
) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let page = client
            .list_customers(request(key, message.clone()))
            .await
            .expect("list succeeds")
            .into_inner();
        samples.push(start.elapsed());
        assert_eq!(page.customers.len(), 10);
    }
    samples.sort();
    (samples[ROUNDS / 2], samples[ROUNDS * 95 / 100])
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        let path = std::env::temp_dir().join(customerd::ids::random_token("customerd-bench-", 6));
        format!("sqlite://{}.db?mode=rwc", path.display())
    });
    let app = Application::build(Settings::local(url.clone()))
        .await
        .expect("server starts");
    let db = app.db().clone();
    let key = auth::create_key(&db, "bench", Mode::Test)
        .await
        .expect("key");
    let seeded = Instant::now();
    let base = customerd::ids::now_micros() - n as i64 * 1000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let rows = chunk.iter().map(|i| customer::ActiveModel {
            id: Set(customerd::ids::customer_id()),
            account_id: Set(key.account_id.clone()),
            live: Set(false),
            email: Set(Some(format!("c{i}@example.com"))),
            name: Set(Some(format!("Customer {i}"))),
            created_at: Set(base + *i as i64 * 1000),
            updated_at: Set(base + *i as i64 * 1000),
            ..Default::default()
        });
        customer::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await
            .expect("seed");
    }
    eprintln!(
        "seeded {n} customers into {url} in {:.1?}",
        seeded.elapsed()
    );

    let addr = app.grpc_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let mut client = CustomerServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");

    // The ids at the cursor depths, found by walking once with a large limit.
    let mut ids = Vec::with_capacity(n);
    let mut after = String::new();
    while ids.len() < n {
        let page = client
            .list_customers(request(
                &key.secret,
                pb::ListCustomersRequest {
                    limit: 1000,
                    starting_after: after.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("walk")
            .into_inner();
        ids.extend(page.customers.into_iter().map(|c| c.id));
        match ids.last() {
            Some(last) if page.has_more => after = last.clone(),
            _ => break,
        }
    }
    assert_eq!(ids.len(), n, "every customer listed once");

    let limit = 10;
    let deep = 10_000.min(n - 20);
    let deepest = n - 20;
    let cases = [
        (
            "first page",
            pb::ListCustomersRequest {
                limit,
                ..Default::default()
            },
        ),
        (
            "cursor, 10,000 deep",
            pb::ListCustomersRequest {
                limit,
                starting_after: ids[deep - 1].clone(),
                ..Default::default()
            },
        ),
        (
            "cursor, near the end",
            pb::ListCustomersRequest {
                limit,
                starting_after: ids[deepest - 1].clone(),
                ..Default::default()
            },
        ),
        (
            "offset, 10,000 deep",
            pb::ListCustomersRequest {
                limit,
                offset: deep as i32,
                ..Default::default()
            },
        ),
        (
            "offset, near the end",
            pb::ListCustomersRequest {
                limit,
                offset: deepest as i32,
                ..Default::default()
            },
        ),
    ];
    println!("ListCustomers, limit 10, {n} customers, {ROUNDS} calls each");
    println!("{:<24} {:>12} {:>12}", "page", "median", "p95");
    for (name, message) in cases {
        let (median, p95) = time(&mut client, &key.secret, message).await;
        println!(
            "{name:<24} {:>10.0}µs {:>10.0}µs",
            median.as_micros(),
            p95.as_micros()
        );
    }
    let _ = stop.send(());
    let _ = server.await;
}
