//! Every request the seed documents show, sent as shown (only the base URL and
//! key change), with the response checked field by field against the document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, JSON, is_iso_second, is_millis, send, spawn_app};

fn is_customer_id(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.starts_with("cus_") && s.len() == 28)
}

/// The body `customer` minus the fields that differ per run, after checking them.
fn without_generated(mut customer: Value, time_check: fn(&Value) -> bool) -> Value {
    assert!(is_customer_id(&customer["id"]), "{customer}");
    assert!(time_check(&customer["created_at"]), "{customer}");
    assert!(time_check(&customer["updated_at"]), "{customer}");
    let obj = customer.as_object_mut().unwrap();
    for generated in ["id", "created_at", "updated_at"] {
        obj.remove(generated);
    }
    customer
}

/// PayGate (001) and Shika Creators (002) document the same calls.
async fn paygate_documented_calls_answer_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();

    // Create a Customer: the curl example verbatim.
    let created = rest
        .post_raw(
            "/v1/customers",
            r#"{
"email": "customer@example.com",
"name": "John Doe",
"phone": "0241234567",
"metadata": {
"user_id": "123"
}
}"#,
            JSON,
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.header("content-type"), Some("application/json"));
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["created_at"], created.body["updated_at"]);
    assert_eq!(
        without_generated(created.body.clone(), is_iso_second),
        json!({
            "object": "customer",
            "email": "customer@example.com",
            "name": "John Doe",
            "phone": "0241234567",
            "description": null,
            "metadata": {"user_id": "123"},
            "live": false,
        })
    );

    // Retrieve a Customer.
    let fetched = rest.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, created.body);

    // Update a Customer: omitted fields keep, metadata merges.
    let updated = rest
        .patch_raw(
            &format!("/v1/customers/{id}"),
            r#"{
"name": "Jane Doe",
"metadata": {
"vip": "true"
}
}"#,
            JSON,
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["id"], json!(id));
    assert_eq!(updated.body["created_at"], created.body["created_at"]);
    assert_eq!(
        without_generated(updated.body.clone(), is_iso_second),
        json!({
            "object": "customer",
            "email": "customer@example.com",
            "name": "Jane Doe",
            "phone": "0241234567",
            "description": null,
            "metadata": {"user_id": "123", "vip": "true"},
            "live": false,
        })
    );

    // List Customers.
    let listed = rest.get("/v1/customers?limit=10").await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.body,
        json!({
            "object": "list",
            "url": "/v1/customers",
            "has_more": false,
            "data": [updated.body],
        })
    );

    // Delete a Customer.
    let deleted = rest.delete(&format!("/v1/customers/{id}")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(
        deleted.body,
        json!({"id": id, "object": "customer", "deleted": true})
    );
    let gone = rest.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body,
        json!({"error": {"type": "not_found", "message": format!("no such customer: '{id}'")}})
    );
}

async fn fourgeeks_documented_calls_answer_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest().x_api_key();

    // The list example's second customer, created first so it comes second.
    let jane = rest
        .post_raw(
            "/4geeks/v1/customers",
            r#"{"email": "jane@example.com", "name": "Jane Smith"}"#,
            JSON,
        )
        .await;
    assert_eq!(jane.status, 200, "{}", jane.body);

    // Create Customer: the fetch example's body, JSON.stringify'd.
    let john = rest
        .post_raw(
            "/4geeks/v1/customers",
            r#"{"email":"customer@example.com","name":"John Doe","phone":"+1234567890","description":"Premium customer"}"#,
            JSON,
        )
        .await;
    assert_eq!(john.status, 200, "{}", john.body);
    assert_eq!(
        without_generated(john.body.clone(), is_iso_second),
        json!({
            "object": "customer",
            "email": "customer@example.com",
            "name": "John Doe",
            "phone": "+1234567890",
            "description": "Premium customer",
            "metadata": {},
            "live": false,
        })
    );

    // List Customers with limit 5: the documented envelope and nulls.
    let listed = rest.get("/4geeks/v1/customers?limit=5&offset=0").await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.body,
        json!({
            "items": [john.body, jane.body],
            "total_items": 2,
            "limit": 5,
            "offset": 0,
        })
    );
    assert_eq!(listed.body["items"][1]["phone"], Value::Null);
    assert_eq!(listed.body["items"][1]["description"], Value::Null);

    // Defaults: limit 10, offset 0.
    let defaults = rest.get("/4geeks/v1/customers").await;
    assert_eq!(defaults.body["limit"], 10);
    assert_eq!(defaults.body["offset"], 0);

    // The documented 422, exactly.
    let missing = rest
        .post_raw("/4geeks/v1/customers", r#"{"name": "John Doe"}"#, JSON)
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.body,
        json!({"detail": [{"loc": ["body", "email"], "msg": "field required", "type": "value_error.missing"}]})
    );

    let id = john.body["id"].as_str().unwrap();
    let deleted = rest.delete(&format!("/4geeks/v1/customers/{id}")).await;
    assert_eq!(
        deleted.body,
        json!({"id": id, "object": "customer", "deleted": true})
    );
}

async fn epoch_documented_calls_answer_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();

    // Create a customer: every parameter optional, "string or null".
    let created = rest
        .post(
            "/epoch/v1/customers",
            json!({"name": "Ada Lovelace", "email": "ada@example.com", "phone": null, "metadata": {"plan": "gold"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        without_generated(created.body.clone(), is_millis),
        json!({
            "object": "customer",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "phone": null,
            "description": null,
            "metadata": {"plan": "gold"},
            "live": false,
        })
    );
    let ms = created.body["created_at"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now - 10_000..=now).contains(&ms), "{ms} vs {now}");

    // Get a customer.
    let fetched = rest.get(&format!("/epoch/v1/customers/{id}")).await;
    assert_eq!(fetched.body, created.body);

    // Update: null sets the field to null, omitted fields keep their value.
    let updated = rest
        .patch(
            &format!("/epoch/v1/customers/{id}"),
            json!({"email": null, "phone": "+44 20 7946 0000"}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["email"], Value::Null);
    assert_eq!(updated.body["phone"], "+44 20 7946 0000");
    assert_eq!(updated.body["name"], "Ada Lovelace");
    assert_eq!(updated.body["metadata"], json!({"plan": "gold"}));
    assert_eq!(updated.body["created_at"], created.body["created_at"]);
    assert!(updated.body["updated_at"].as_i64() >= created.body["updated_at"].as_i64());

    // List all customers: {object, data, has_more}.
    let listed = rest.get("/epoch/v1/customers").await;
    assert_eq!(
        listed.body,
        json!({"object": "list", "data": [updated.body], "has_more": false})
    );

    // Delete a customer: returns the customer object.
    let deleted = rest.delete(&format!("/epoch/v1/customers/{id}")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, updated.body, "the customer as it was");
    let gone = rest.get(&format!("/epoch/v1/customers/{id}")).await;
    assert_eq!(gone.status, 404);
}

/// Partial updates in every profile, also sent as POST the way Stripe-style clients do.
async fn updates_keep_clear_and_merge(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest().x_api_key();
    for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
        let url = format!("{base}/customers");
        let created = rest
            .post(
                &url,
                json!({
                    "email": "keep@example.com", "name": "Name", "phone": "123", "description": "desc",
                    "metadata": {"a": "1", "b": "2", "c": "3"}
                }),
            )
            .await;
        assert_eq!(created.status, 200, "{base}: {}", created.body);
        let one = format!("{url}/{}", created.body["id"].as_str().unwrap());

        let patched = rest
            .post(
                &one,
                json!({
                    "name": null, "description": "new", "metadata": {"a": null, "b": "", "d": "4"}
                }),
            )
            .await;
        assert_eq!(patched.status, 200, "{base}: {}", patched.body);
        assert_eq!(patched.body["email"], "keep@example.com", "{base}");
        assert_eq!(patched.body["name"], Value::Null, "{base}");
        assert_eq!(patched.body["phone"], "123", "{base}");
        assert_eq!(patched.body["description"], "new", "{base}");
        assert_eq!(
            patched.body["metadata"],
            json!({"c": "3", "d": "4"}),
            "{base}"
        );

        // An empty body changes nothing but still answers with the customer.
        let empty = rest.patch(&one, json!({})).await;
        assert_eq!(empty.status, 200, "{base}");
        assert_eq!(empty.body["metadata"], patched.body["metadata"], "{base}");
        assert_eq!(empty.body["email"], patched.body["email"], "{base}");

        // "metadata": null clears every key.
        let cleared = rest.patch(&one, json!({"metadata": null})).await;
        assert_eq!(cleared.body["metadata"], json!({}), "{base}");
        assert_eq!(cleared.body["description"], "new", "{base}");
    }
}

/// Data written through one profile is the same data through the others and gRPC.
async fn one_customer_seen_alike_through_every_profile_and_grpc(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let created = rest
        .clone()
        .x_api_key()
        .post(
            "/4geeks/v1/customers",
            json!({"email": "cross@example.com", "name": "Cross", "phone": "555", "description": "seen everywhere", "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();

    let paygate = rest.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(paygate.body, created.body);

    let epoch = rest.get(&format!("/epoch/v1/customers/{id}")).await;
    let grpc = app
        .customers()
        .await
        .get_customer(crate::helpers::authed(
            &app.key,
            customerd::proto::customers::v1::GetCustomerRequest { id: id.clone() },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();

    for body in [&created.body, &epoch.body] {
        assert_eq!(body["id"], json!(grpc.id));
        assert_eq!(body["email"], json!(grpc.email));
        assert_eq!(body["name"], json!(grpc.name));
        assert_eq!(body["phone"], json!(grpc.phone));
        assert_eq!(body["description"], json!(grpc.description));
        assert_eq!(body["metadata"], json!(grpc.metadata));
        assert_eq!(body["live"], json!(grpc.live));
    }
    let ts = grpc.created_at.unwrap();
    assert_eq!(
        epoch.body["created_at"],
        json!(ts.seconds * 1000 + i64::from(ts.nanos) / 1_000_000)
    );
    let iso_seconds = created.body["created_at"].as_str().unwrap();
    assert_eq!(
        epoch.body["created_at"].as_i64().unwrap() / 1000,
        ts.seconds,
        "{iso_seconds}"
    );
    assert_eq!(
        seconds_of_iso(iso_seconds),
        ts.seconds,
        "ISO and gRPC name the same second"
    );
    assert_eq!(
        without_generated(epoch.body.clone(), is_millis),
        without_generated(created.body.clone(), is_iso_second)
    );

    // Each profile's list shows it too.
    for (path, envelope) in [
        ("/v1/customers", "data"),
        ("/4geeks/v1/customers", "items"),
        ("/epoch/v1/customers", "data"),
    ] {
        let listed = rest.get(path).await;
        assert_eq!(listed.body[envelope][0]["id"], json!(id), "{path}");
    }
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ` (days from civil, Howard Hinnant's method).
fn seconds_of_iso(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

/// Live keys see live data, through the gateway as through gRPC.
async fn a_live_key_sees_only_live_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    let live_key = app.key_for("acme", customerd::auth::Mode::Live).await;
    let live = app.rest_with(&live_key).x_api_key();
    let test_customer = app
        .rest()
        .x_api_key()
        .post("/v1/customers", json!({}))
        .await;
    let live_customer = live
        .post("/epoch/v1/customers", json!({"name": "Live"}))
        .await;
    assert_eq!(live_customer.body["live"], true);
    assert_eq!(test_customer.body["live"], false);
    let id = test_customer.body["id"].as_str().unwrap();
    let hidden = live.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(hidden.status, 404);
}

/// A create retried with the same `Idempotency-Key` returns the first customer.
async fn creates_retried_with_an_idempotency_key_are_not_repeated(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let create = |body: Value, key: &str| {
        rest.request(Method::POST, "/v1/customers")
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let first = send(create(json!({"email": "once@example.com"}), "order-1001")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let retry = send(create(json!({"email": "once@example.com"}), "order-1001")).await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.body, first.body);
    let listed = rest.get("/4geeks/v1/customers").await;
    assert_eq!(listed.body["total_items"], 1);

    let changed = send(create(json!({"email": "twice@example.com"}), "order-1001")).await;
    assert_eq!(changed.status, 409, "{}", changed.body);
    assert_eq!(changed.body["error"]["type"], "conflict");

    let too_long = send(create(json!({}), &"k".repeat(256))).await;
    assert_eq!(too_long.status, 422);
    assert_eq!(
        too_long.body,
        json!({"detail": [{"loc": ["header", "idempotency-key"], "msg": "ensure this value has at most 255 characters", "type": "value_error.any_str.max_length"}]})
    );
}

backend_tests!(
    creates_retried_with_an_idempotency_key_are_not_repeated,
    paygate_documented_calls_answer_as_documented,
    fourgeeks_documented_calls_answer_as_documented,
    epoch_documented_calls_answer_as_documented,
    updates_keep_clear_and_merge,
    one_customer_seen_alike_through_every_profile_and_grpc,
    a_live_key_sees_only_live_customers,
);
