//! Webhook endpoints over REST in every profile: the secret shown once, lists
//! in the profile's envelope, updates field by field, deletes, other tenants
//! kept out, every error on the exact field, and an endpoint's deliveries.

use std::sync::Arc;
use std::time::Duration;

use customerd::auth::Mode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::gateway_lists::walk;
use crate::helpers::{Backend, Rest, eventually, ids, is_iso_second, is_millis, spawn_app};
use crate::receiver::Receiver;
use crate::webhooks::{signed_by, spawn};

const PROFILES: [&str; 3] = ["/v1", "/4geeks/v1", "/epoch/v1"];

const FORM: &str = "application/x-www-form-urlencoded";

backend_tests!(
    create_shows_the_secret_once_in_every_profile,
    endpoint_lists_page_in_each_profiles_envelope,
    updates_change_each_field_and_the_status,
    deleted_endpoints_are_gone_and_other_tenants_see_none,
    bad_endpoints_are_422s_on_the_exact_field,
    a_new_endpoint_has_no_deliveries,
    events_go_out_in_the_creating_profiles_format_and_attempts_are_listed,
);

/// A receiver at a public address, written as an IP so that no name lookup
/// is needed (the server refuses private addresses unless told otherwise).
fn public_url(path: &str) -> String {
    format!("https://93.184.215.14/hooks/{path}")
}

/// Whether `v` is an instant in the style of the profile at `base`.
fn in_profile_time(base: &str, v: &Value) -> bool {
    if base == "/epoch/v1" {
        is_millis(v)
    } else {
        is_iso_second(v)
    }
}

/// Creates an endpoint at `base`, expecting 200, and returns it.
async fn create(rest: &Rest, base: &str, body: Value) -> Value {
    let created = rest.post(&format!("{base}/webhook_endpoints"), body).await;
    assert_eq!(created.status, 200, "{base}: {}", created.body);
    created.body
}

/// `endpoint` less what only the create's reply shows.
fn without_secret(endpoint: &Value) -> Value {
    let mut endpoint = endpoint.clone();
    endpoint.as_object_mut().unwrap().remove("secret");
    endpoint
}

/// The fields every read of an endpoint shows; times checked apart.
fn settled(endpoint: &Value) -> Value {
    let mut endpoint = without_secret(endpoint);
    let object = endpoint.as_object_mut().unwrap();
    object.remove("id");
    object.remove("created_at");
    object.remove("updated_at");
    endpoint
}

async fn create_shows_the_secret_once_in_every_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let mut secrets = Vec::new();
    for base in PROFILES {
        let url = public_url("orders");
        let created = create(
            &rest,
            base,
            json!({"url": url, "enabled_events": ["customer.*", "payment.created"]}),
        )
        .await;
        let id = created["id"].as_str().unwrap();
        assert!(id.starts_with("we_"), "{created}");
        let secret = created["secret"]
            .as_str()
            .expect("the create shows the secret");
        assert!(
            secret.starts_with("whsec_") && secret.len() > 20,
            "{secret}"
        );
        secrets.push(secret.to_owned());
        assert_eq!(
            settled(&created),
            json!({
                "object": "webhook_endpoint",
                "url": url,
                "enabled_events": ["customer.*", "payment.created"],
                "description": null,
                "status": "enabled",
                "live": false,
            }),
            "{base}"
        );
        assert!(in_profile_time(base, &created["created_at"]), "{created}");
        assert_eq!(created["updated_at"], created["created_at"], "{base}");
        assert_later_reads_hide_the_secret(&rest, base, &created).await;
        secrets.extend(create_from_forms(&rest, base).await);
    }
    let mut distinct = secrets.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        secrets.len(),
        "every endpoint its own secret"
    );

    // A live key makes live endpoints.
    let live = app.rest_with(&app.key_for("acme", Mode::Live).await);
    let created = create(
        &live,
        "/v1",
        json!({"url": public_url("live"), "enabled_events": ["*"]}),
    )
    .await;
    assert_eq!(created["live"], true);
}

/// Every later read of the endpoint `created` at `base`, in any profile,
/// shows all of it but the secret; so does the list.
async fn assert_later_reads_hide_the_secret(rest: &Rest, base: &str, created: &Value) {
    let id = created["id"].as_str().unwrap();
    let read = rest.ok(&format!("{base}/webhook_endpoints/{id}")).await;
    assert_eq!(read, without_secret(created), "{base}");
    for other in PROFILES {
        let read = rest.ok(&format!("{other}/webhook_endpoints/{id}")).await;
        assert!(read.get("secret").is_none(), "{other}: {read}");
        assert_eq!(settled(&read), settled(created), "{other}");
    }
    let list = rest.ok(&format!("{base}/webhook_endpoints")).await;
    assert!(
        items_of(&list).iter().all(|e| e.get("secret").is_none()),
        "{list}"
    );
}

/// Creates endpoints at `base` with forms as the Stripe SDKs send them,
/// lists either way; returns the secrets they show.
async fn create_from_forms(rest: &Rest, base: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    for (n, events) in [
        "enabled_events[]=customer.created&enabled_events[]=subscription.*",
        "enabled_events[0]=customer.created&enabled_events[1]=subscription.*",
    ]
    .into_iter()
    .enumerate()
    {
        let form = format!(
            "url=https%3A%2F%2F93.184.215.14%2Fhooks%2Fform{n}&{events}&description=From+a+form"
        );
        let created = rest
            .post_raw(&format!("{base}/webhook_endpoints"), &form, FORM)
            .await;
        assert_eq!(created.status, 200, "{base} {form}: {}", created.body);
        assert_eq!(
            settled(&created.body),
            json!({
                "object": "webhook_endpoint",
                "url": public_url(&format!("form{n}")),
                "enabled_events": ["customer.created", "subscription.*"],
                "description": "From a form",
                "status": "enabled",
                "live": false,
            }),
            "{base} {form}"
        );
        let secret = created.body["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{secret}");
        secrets.push(secret.to_owned());
    }
    secrets
}

async fn endpoint_lists_page_in_each_profiles_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let mut all = Vec::new();
    for i in 0..12 {
        let body = json!({"url": public_url(&i.to_string()), "enabled_events": ["*"]});
        let base = PROFILES[i % 3];
        all.push(
            create(&rest, base, body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    all.reverse();

    walk(&rest, "/v1/webhook_endpoints", 5, &all).await;
    walk(&rest, "/epoch/v1/webhook_endpoints", 4, &all).await;
    let first = rest.ok("/v1/webhook_endpoints?limit=2").await;
    assert_eq!(first["object"], "list");
    assert_eq!(first["url"], "/v1/webhook_endpoints");
    assert_eq!(first["has_more"], true);
    assert_eq!(ids(&first, "data"), all[..2].to_vec());
    // Defaults: 10 in paygate, 50 in epoch.
    assert_eq!(
        ids(&rest.ok("/v1/webhook_endpoints").await, "data"),
        all[..10].to_vec()
    );
    let epoch = rest.ok("/epoch/v1/webhook_endpoints").await;
    assert_eq!(ids(&epoch, "data"), all);
    let mut keys: Vec<&String> = epoch.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["data", "has_more", "object"]);
    assert!(is_millis(&epoch["data"][0]["created_at"]), "{epoch}");

    let mut seen = Vec::new();
    for (offset, size) in [(0, 5), (5, 5), (10, 2), (15, 0)] {
        let page = rest
            .ok(&format!(
                "/4geeks/v1/webhook_endpoints?limit=5&offset={offset}"
            ))
            .await;
        assert_eq!(page["total_items"], 12, "offset {offset}");
        assert_eq!(
            (&page["limit"], &page["offset"]),
            (&json!(5), &json!(offset))
        );
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            size,
            "offset {offset}"
        );
        seen.extend(ids(&page, "items"));
    }
    assert_eq!(seen, all, "every endpoint once, newest first");

    // Paging is the profile's: no offset where cursors page, no cursors where offsets do.
    for (path, loc) in [
        ("/v1/webhook_endpoints?offset=1", json!(["query", "offset"])),
        (
            "/4geeks/v1/webhook_endpoints?starting_after=we_0",
            json!(["query", "starting_after"]),
        ),
        ("/v1/webhook_endpoints?limit=101", json!(["query", "limit"])),
        (
            "/epoch/v1/webhook_endpoints?limit=0",
            json!(["query", "limit"]),
        ),
    ] {
        let bad = rest.get(path).await;
        assert_eq!(bad.status, 422, "{path}: {}", bad.body);
        assert_eq!(bad.body["detail"][0]["loc"], loc, "{path}");
    }
}

async fn updates_change_each_field_and_the_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    for base in PROFILES {
        let created = create(
            &rest,
            base,
            json!({"url": public_url("a"), "enabled_events": ["customer.created"], "description": "First"}),
        )
        .await;
        let at = format!(
            "{base}/webhook_endpoints/{}",
            created["id"].as_str().unwrap()
        );
        let mut expected = without_secret(&created);

        let steps = [
            json!({"url": public_url("b")}),
            json!({"enabled_events": ["payment.*", "subscription.canceled"]}),
            json!({"description": "Second"}),
            json!({"description": null}),
            json!({"status": "disabled"}),
            json!({"status": "enabled", "description": "Third", "url": public_url("c")}),
            json!({}),
        ];
        for change in steps {
            let updated = rest.patch(&at, change.clone()).await;
            assert_eq!(updated.status, 200, "{base} {change}: {}", updated.body);
            for (field, value) in change.as_object().unwrap() {
                expected[field] = value.clone();
            }
            assert_eq!(
                settled(&updated.body),
                settled(&expected),
                "{base} {change}"
            );
            assert!(updated.body.get("secret").is_none(), "{}", updated.body);
            assert_eq!(updated.body["created_at"], created["created_at"]);
            assert!(in_profile_time(base, &updated.body["updated_at"]));
            assert_eq!(rest.ok(&at).await, updated.body, "{base} {change}");
        }

        // POST on the id, as Stripe-style clients update, and forms: an
        // empty value clears the description.
        let disabled = rest
            .post_raw(&at, "status=disabled&description=", FORM)
            .await;
        assert_eq!(disabled.status, 200, "{base}: {}", disabled.body);
        assert_eq!(disabled.body["status"], "disabled");
        assert_eq!(disabled.body["description"], Value::Null);
        let events = rest
            .raw(
                Method::POST,
                &at,
                "enabled_events[]=*&description=Fourth",
                FORM,
            )
            .await;
        assert_eq!(events.status, 200, "{base}: {}", events.body);
        assert_eq!(events.body["enabled_events"], json!(["*"]));
        assert_eq!(events.body["description"], "Fourth");
        assert_eq!(events.body["status"], "disabled");
        assert_eq!(events.body["url"], public_url("c"));
        let json_post = rest.post(&at, json!({"status": "enabled"})).await;
        assert_eq!(json_post.status, 200, "{base}: {}", json_post.body);
        assert_eq!(json_post.body["status"], "enabled");
    }
}

async fn deleted_endpoints_are_gone_and_other_tenants_see_none(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let other_account = app.rest_with(&app.key_for("globex", Mode::Test).await);
    let live_same_account = app.rest_with(&app.key_for("acme", Mode::Live).await);
    for base in PROFILES {
        let created = create(
            &rest,
            base,
            json!({"url": public_url("mine"), "enabled_events": ["*"]}),
        )
        .await;
        let id = created["id"].as_str().unwrap();
        let at = format!("{base}/webhook_endpoints/{id}");

        for stranger in [&other_account, &live_same_account] {
            for reply in [
                stranger.get(&at).await,
                stranger.patch(&at, json!({"status": "disabled"})).await,
                stranger
                    .post(&at, json!({"url": public_url("theirs")}))
                    .await,
                stranger.delete(&at).await,
                stranger.get(&format!("{at}/deliveries")).await,
            ] {
                assert_eq!(reply.status, 404, "{base}: {}", reply.body);
                assert_eq!(reply.body["error"]["type"], "not_found", "{}", reply.body);
            }
            let list = stranger.ok(&format!("{base}/webhook_endpoints")).await;
            let items = list.get("data").or(list.get("items")).unwrap();
            assert_eq!(items, &json!([]), "{base}: {list}");
        }
        assert_eq!(rest.ok(&at).await, without_secret(&created), "untouched");

        let deleted = rest.delete(&at).await;
        assert_eq!(deleted.status, 200, "{base}: {}", deleted.body);
        if base == "/epoch/v1" {
            // The epoch profile answers a delete with the object as it was.
            assert_eq!(deleted.body, without_secret(&created));
        } else {
            assert_eq!(
                deleted.body,
                json!({"id": id, "object": "webhook_endpoint", "deleted": true})
            );
        }
        for reply in [
            rest.get(&at).await,
            rest.delete(&at).await,
            rest.patch(&at, json!({"description": "back?"})).await,
            rest.get(&format!("{at}/deliveries")).await,
        ] {
            assert_eq!(reply.status, 404, "{base}: {}", reply.body);
            assert_eq!(reply.body["error"]["type"], "not_found", "{}", reply.body);
        }
        let list = rest.ok(&format!("{base}/webhook_endpoints")).await;
        let items = list.get("data").or(list.get("items")).unwrap();
        assert_eq!(items, &json!([]), "{base}: {list}");
    }
    let never = rest
        .get("/v1/webhook_endpoints/we_000000000000000000000000")
        .await;
    assert_eq!(never.status, 404, "{}", never.body);
}

/// The `loc` of every problem of a 422.
fn locs(reply: &crate::helpers::Reply) -> Vec<Value> {
    assert_eq!(reply.status, 422, "{}", reply.body);
    reply.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["loc"].clone())
        .collect()
}

async fn bad_endpoints_are_422s_on_the_exact_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let fine = public_url("fine");
    for base in PROFILES {
        let collection = format!("{base}/webhook_endpoints");
        assert_bad_creates_are_refused(&rest, &collection, &fine).await;
        let at = format!(
            "{collection}/{}",
            create(&rest, base, json!({"url": fine, "enabled_events": ["*"]})).await["id"]
                .as_str()
                .unwrap()
        );
        assert_bad_updates_are_refused(&rest, &at, &fine).await;
    }
    assert_eq!(
        items_of(&rest.ok("/epoch/v1/webhook_endpoints").await).len(),
        3,
        "only the three accepted endpoints exist"
    );
}

/// Creates at `collection` that break the gateway's checks of the body's
/// shape or the service's rules are refused, each on its field.
async fn assert_bad_creates_are_refused(rest: &Rest, collection: &str, fine: &str) {
    // The gateway's own checks of the body's shape, all at once.
    let shapes = rest
        .post(
            collection,
            json!({"enabled_events": "customer.created", "description": 5, "colour": "red"}),
        )
        .await;
    assert_eq!(
        shapes.body,
        json!({"detail": [
            {"loc": ["body", "url"], "msg": "field required", "type": "value_error.missing"},
            {"loc": ["body", "enabled_events"], "msg": "value is not a valid list", "type": "type_error.list"},
            {"loc": ["body", "description"], "msg": "str type expected", "type": "type_error.str"},
            {"loc": ["body", "colour"], "msg": "extra fields not permitted", "type": "value_error.extra"},
        ]}),
        "{collection}"
    );
    let typed = rest
        .post(
            collection,
            json!({"url": 5, "enabled_events": ["customer.created", 7]}),
        )
        .await;
    assert_eq!(
        locs(&typed),
        [json!(["body", "url"]), json!(["body", "enabled_events", 1])],
        "{collection}"
    );
    let form = rest
        .post_raw(collection, "enabled_events[]=*&description=x", FORM)
        .await;
    assert_eq!(locs(&form), [json!(["body", "url"])], "{collection}");

    // The service's rules, each on its field.
    for (body, field) in [
        (json!({"url": "ftp://x", "enabled_events": ["*"]}), "url"),
        (
            json!({"url": "http://127.0.0.1:9/", "enabled_events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://10.1.2.3/hook", "enabled_events": ["*"]}),
            "url",
        ),
        (json!({"url": fine, "enabled_events": []}), "enabled_events"),
    ] {
        let refused = rest.post(collection, body.clone()).await;
        assert_eq!(
            locs(&refused),
            [json!(["body", field])],
            "{collection} {body}"
        );
    }
    let unknown_type = rest
        .post(
            collection,
            json!({"url": fine, "enabled_events": ["customer.created", "customer.exploded"]}),
        )
        .await;
    assert_eq!(
        locs(&unknown_type),
        [json!(["body", "enabled_events"])],
        "{}",
        unknown_type.body
    );
}

/// Updates of the endpoint `at` (at `fine`, for every event) that break the
/// create's rules, or set a status that is no status, are refused on their
/// field and change nothing.
async fn assert_bad_updates_are_refused(rest: &Rest, at: &str, fine: &str) {
    for (body, field) in [
        (json!({"status": "paused"}), "status"),
        (json!({"status": null}), "status"),
        (json!({"url": null}), "url"),
        (json!({"url": "http://127.0.0.1:9/"}), "url"),
        (json!({"url": "ftp://x"}), "url"),
        (json!({"enabled_events": []}), "enabled_events"),
        (json!({"enabled_events": "*"}), "enabled_events"),
        (json!({"secret": "whsec_mine"}), "secret"),
    ] {
        let refused = rest.patch(at, body.clone()).await;
        assert_eq!(locs(&refused), [json!(["body", field])], "{at} {body}");
    }
    let paused = rest.patch(at, json!({"status": "paused"})).await;
    assert_eq!(
        paused.body["detail"][0],
        json!({"loc": ["body", "status"], "msg": "value is not a valid enumeration member; permitted: 'enabled', 'disabled'", "type": "type_error.enum"})
    );
    let form_status = rest.post_raw(at, "status=paused", FORM).await;
    assert_eq!(locs(&form_status), [json!(["body", "status"])]);
    // Nothing refused changed anything.
    let unchanged = rest.ok(at).await;
    assert_eq!(
        (
            &unchanged["url"],
            &unchanged["status"],
            &unchanged["enabled_events"]
        ),
        (&json!(fine), &json!("enabled"), &json!(["*"]))
    );
}

/// The items of a list answer, whatever the profile's envelope.
fn items_of(list: &Value) -> &Vec<Value> {
    list.get("data")
        .or_else(|| list.get("items"))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("not a list: {list}"))
}

async fn a_new_endpoint_has_no_deliveries(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    for base in PROFILES {
        let created = create(
            &rest,
            base,
            json!({"url": public_url("quiet"), "enabled_events": ["*"]}),
        )
        .await;
        let id = created["id"].as_str().unwrap();
        let path = format!("{base}/webhook_endpoints/{id}/deliveries");
        let expected = match base {
            "/v1" => json!({"object": "list", "url": path, "has_more": false, "data": []}),
            "/4geeks/v1" => json!({"items": [], "total_items": 0, "limit": 10, "offset": 0}),
            _ => json!({"object": "list", "data": [], "has_more": false}),
        };
        assert_eq!(rest.ok(&path).await, expected, "{base}");
        let for_one_event = rest
            .ok(&format!("{path}?event=evt_000000000000000000000000"))
            .await;
        assert_eq!(for_one_event, expected, "{base}");
        let unknown = rest.get(&format!("{path}?colour=red")).await;
        assert_eq!(locs(&unknown), [json!(["query", "colour"])]);
    }
}

/// Lists `path` until `done` holds of its items, or panics after 10 s.
async fn listed_until(rest: &Rest, path: &str, done: impl Fn(&[Value]) -> bool) -> Value {
    eventually(Duration::from_secs(10), path, async || {
        let list = rest.ok(path).await;
        if done(items_of(&list)) {
            Ok(list)
        } else {
            Err(list)
        }
    })
    .await
}

/// The deliveries of the endpoint `id` at `base`: the retry that delivered
/// `event`, then the failed first attempt, in the profile's format.
async fn assert_attempts_listed(rest: &Rest, base: &str, id: &str, event: &str) {
    let path = format!("{base}/webhook_endpoints/{id}/deliveries");
    let list = listed_until(rest, &path, |items| {
        items.len() == 2 && items[0]["delivered"] == true
    })
    .await;
    let attempts = items_of(&list);
    let (retry, failed) = (&attempts[0], &attempts[1]);
    for (attempt, n) in [(retry, 2), (failed, 1)] {
        assert!(
            attempt["id"].as_str().unwrap().starts_with("wha_"),
            "{attempt}"
        );
        assert_eq!(attempt["object"], "webhook_delivery");
        assert_eq!(attempt["webhook_endpoint"], json!(id));
        assert_eq!(attempt["event"], json!(event));
        assert_eq!(attempt["event_type"], "customer.created");
        assert_eq!(attempt["attempt"], n);
        assert!(in_profile_time(base, &attempt["created_at"]), "{attempt}");
        assert!(attempt["duration_ms"].as_i64().unwrap() >= 0);
    }
    assert_eq!(
        (
            &retry["status_code"],
            &retry["error"],
            &retry["delivered"],
            &retry["next_retry_at"]
        ),
        (&json!(200), &Value::Null, &json!(true), &Value::Null),
        "{base}: {retry}"
    );
    assert_eq!(failed["status_code"], 500, "{base}: {failed}");
    assert_eq!(failed["delivered"], false);
    assert!(failed["error"].is_string(), "{base}: {failed}");
    if !failed["next_retry_at"].is_null() {
        assert!(in_profile_time(base, &failed["next_retry_at"]), "{failed}");
    }
    match base {
        "/v1" => assert_eq!(list["url"], json!(path)),
        "/4geeks/v1" => assert_eq!(list["total_items"], 2),
        _ => assert_eq!(list["has_more"], false),
    }
    let one = rest.ok(&format!("{path}?event={event}")).await;
    assert_eq!(items_of(&one), attempts, "{base}");
    let other = rest
        .ok(&format!("{path}?event=evt_000000000000000000000000"))
        .await;
    assert!(items_of(&other).is_empty(), "{base}: {other}");
}

async fn events_go_out_in_the_creating_profiles_format_and_attempts_are_listed(backend: Backend) {
    // Receivers on 127.0.0.1 need the server to allow private addresses.
    let app = spawn(backend, Duration::from_millis(200)).await;
    let rest = app.rest();
    let flaky = Receiver::with(Arc::new(|_, before| {
        (if before == 0 { 500 } else { 200 }, Duration::ZERO)
    }))
    .await;
    let steady = Receiver::ok().await;
    let epoch = create(
        &rest,
        "/epoch/v1",
        json!({"url": flaky.url(), "enabled_events": ["customer.created"]}),
    )
    .await;
    let fourgeeks = create(
        &rest,
        "/4geeks/v1",
        json!({"url": steady.url(), "enabled_events": ["customer.*"]}),
    )
    .await;
    let customer = rest
        .create("/v1/customers", json!({"email": "ada@example.com"}))
        .await;

    // Each endpoint gets the event as its own profile's REST API shows it.
    let sent = steady
        .wait_for(Duration::from_secs(10), "4geeks delivery", |r| {
            !r.is_empty()
        })
        .await;
    assert!(signed_by(&sent[0], fourgeeks["secret"].as_str().unwrap()));
    let body = sent[0].json();
    assert_eq!(body["data"]["object"]["id"], json!(customer));
    assert!(is_iso_second(&body["created_at"]), "{body}");
    let event = sent[0].event.clone();
    assert_eq!(body, rest.ok(&format!("/4geeks/v1/events/{event}")).await);
    let sent = flaky
        .wait_for(Duration::from_secs(10), "epoch retry", |r| r.len() >= 2)
        .await;
    assert!(signed_by(&sent[1], epoch["secret"].as_str().unwrap()));
    let body = sent[1].json();
    assert!(is_millis(&body["created_at"]), "{body}");
    assert_eq!(body, rest.ok(&format!("/epoch/v1/events/{event}")).await);

    // The failed attempt and the retry that delivered, newest first, in every profile.
    let id = epoch["id"].as_str().unwrap();
    for base in PROFILES {
        assert_attempts_listed(&rest, base, id, &event).await;
    }
    let first = rest
        .ok(&format!("/v1/webhook_endpoints/{id}/deliveries?limit=1"))
        .await;
    assert_eq!(first["has_more"], true);
    let rest_of = rest
        .ok(&format!(
            "/v1/webhook_endpoints/{id}/deliveries?starting_after={}",
            first["data"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest_of["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest_of["data"][0]["attempt"], 1);
}
