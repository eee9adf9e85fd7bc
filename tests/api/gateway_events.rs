//! Events over REST in every profile: the list in the profile's envelope, one
//! event by id, and the server-sent event stream with its resume rules.

use std::time::Duration;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, http_client, spawn_app};

const PROFILES: [&str; 3] = ["/v1", "/4geeks/v1", "/epoch/v1"];

/// The items of a list answer, whatever the profile's envelope.
fn items(list: &Value) -> &Vec<Value> {
    list.get("data")
        .or_else(|| list.get("items"))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("not a list: {list}"))
}

async fn events_list_and_retrieve_in_every_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let id = rest
        .create(
            "/v1/customers",
            json!({"email": "ada@example.com", "name": "Ada"}),
        )
        .await;
    let updated = rest
        .post(
            &format!("/v1/customers/{id}"),
            json!({"name": "Ada Lovelace", "phone": "+1 555"}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    for base in PROFILES {
        let list = rest.ok(&format!("{base}/events")).await;
        let events = items(&list);
        assert_eq!(events.len(), 2, "{base}: {list}");
        let (update, create) = (&events[0], &events[1]);
        assert_eq!(update["object"], "event");
        assert_eq!(update["type"], "customer.updated");
        assert_eq!(create["type"], "customer.created");
        assert_eq!(update["data"]["object"]["name"], "Ada Lovelace");
        assert_eq!(
            update["data"]["previous_attributes"],
            json!({"name": "Ada", "phone": null}),
            "{base}: only what changed, with its earlier value"
        );
        assert!(create["data"].get("previous_attributes").is_none());
        assert_eq!(create["data"]["object"]["id"], json!(id));
        assert_eq!(update["live"], false);
        // Instants in the profile's style.
        if base == "/epoch/v1" {
            assert!(update["created_at"].is_i64(), "{update}");
            assert!(update["data"]["object"]["created_at"].is_i64());
        } else {
            assert!(update["created_at"].is_string(), "{update}");
        }
        if base == "/4geeks/v1" {
            assert_eq!(list["total_items"], 2, "{list}");
        }
        let one = rest
            .ok(&format!("{base}/events/{}", create["id"].as_str().unwrap()))
            .await;
        assert_eq!(&one, create);
        let only_created = rest
            .ok(&format!("{base}/events?type=customer.created"))
            .await;
        assert_eq!(items(&only_created).len(), 1);
        let by_prefix = rest.ok(&format!("{base}/events?type=customer.*")).await;
        assert_eq!(items(&by_prefix).len(), 2);
    }
    let missing = rest.get("/v1/events/evt_000000000000000000000000").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let bad = rest.get("/v1/events?type=invoice.*").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["detail"][0]["loc"], json!(["query", "type"]));
    let unknown_parameter = rest.get("/v1/events?colour=blue").await;
    assert_eq!(unknown_parameter.status, 422);
}

/// One server-sent event: its id, type and data.
#[derive(Debug)]
struct Sent {
    id: String,
    kind: String,
    data: Value,
}

/// Reads a `text/event-stream` response event by event.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn open(app: &TestApp, path: &str, last_event_id: Option<&str>) -> Self {
        let mut request = http_client()
            .get(format!("{}{path}", app.http_url()))
            .bearer_auth(&app.key);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("the stream opens");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and blank keep-alives skipped).
    async fn next(&mut self) -> Sent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                let Some(kind) = kind else { continue };
                return Sent {
                    id: id.unwrap_or_default(),
                    kind,
                    data: serde_json::from_str(&data).expect("data is one line of JSON"),
                };
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .expect("the stream stays readable")
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

async fn the_event_stream_sends_new_events_and_resumes(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let first = rest
        .create("/v1/customers", json!({"name": "Before"}))
        .await;
    // From now on: the customer created before is not sent.
    let mut live = SseReader::open(&app, "/epoch/v1/events/stream", None).await;
    let mut payments_only = SseReader::open(&app, "/v1/events/stream?types=payment.*", None).await;
    let second = rest.create("/v1/customers", json!({"name": "After"})).await;
    let sent = live.next().await;
    assert_eq!(sent.kind, "customer.created");
    assert!(sent.id.starts_with("evt_"));
    assert_eq!(sent.data["id"], json!(sent.id));
    assert_eq!(sent.data["type"], "customer.created");
    assert_eq!(sent.data["data"]["object"]["id"], json!(second));
    assert!(
        sent.data["created_at"].is_i64(),
        "epoch style: {:?}",
        sent.data
    );
    let payment = rest
        .create(
            "/v1/payments",
            json!({"amount": 500, "currency": "usd", "customer": second}),
        )
        .await;
    let paid = payments_only.next().await;
    assert_eq!(paid.kind, "payment.created");
    assert_eq!(paid.data["data"]["object"]["id"], json!(payment));

    // Resuming after the first event: the second, then the payment.
    let list = rest.ok("/v1/events?limit=10").await;
    let ids: Vec<&str> = items(&list)
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    let oldest = ids[2];
    let mut resumed = SseReader::open(&app, "/v1/events/stream", Some(oldest)).await;
    assert_eq!(resumed.next().await.id, ids[1]);
    assert_eq!(resumed.next().await.id, ids[0]);
    let mut by_query = SseReader::open(
        &app,
        &format!("/v1/events/stream?starting_after={oldest}"),
        None,
    )
    .await;
    assert_eq!(by_query.next().await.id, ids[1]);
    let _ = first;

    // A position older than the retention is gone; a bad filter is a 422.
    let pruned = format!(
        "evt_{:012x}000000000000",
        (customerd::ids::now_micros() / 1000) - 31 * 86_400_000
    );
    let gone = rest
        .get(&format!("/v1/events/stream?starting_after={pruned}"))
        .await;
    assert_eq!(gone.status, 410, "{}", gone.body);
    assert_eq!(gone.body["error"]["type"], "gone");
    let listed_gone = rest
        .get(&format!("/v1/events?starting_after={pruned}"))
        .await;
    assert_eq!(listed_gone.status, 410, "{}", listed_gone.body);
    let bad = rest.get("/v1/events/stream?types=nope").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let recent = format!(
        "evt_{:012x}000000000000",
        customerd::ids::now_micros() / 1000
    );
    let unknown = rest
        .get(&format!("/v1/events/stream?starting_after={recent}"))
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
}

backend_tests!(
    events_list_and_retrieve_in_every_profile,
    the_event_stream_sends_new_events_and_resumes,
);
