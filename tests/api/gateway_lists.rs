//! Lists through the gateway: offset pages in the 4geeks profile, cursor walks
//! in the paygate and epoch profiles, created ranges and the epoch `filters`.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, http_client, send, spawn_app};

/// Creates `n` customers through the gateway, returning their ids newest first.
async fn create_many(app: &TestApp, n: usize, body: impl Fn(usize) -> Value) -> Vec<String> {
    let http = http_client();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let reply = send(
            http.post(format!("{}/v1/customers", app.http_url()))
                .header("X-Api-Key", &app.key)
                .json(&body(i)),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    ids.reverse();
    ids
}

async fn get(app: &TestApp, path_and_query: &str) -> Value {
    let reply = send(
        http_client()
            .get(format!("{}{path_and_query}", app.http_url()))
            .header("X-Api-Key", &app.key),
    )
    .await;
    assert_eq!(reply.status, 200, "{path_and_query}: {}", reply.body);
    reply.body
}

fn ids(list: &Value, envelope: &str) -> Vec<String> {
    list[envelope]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The ids the epoch list returns for a `filters` document.
async fn filtered(app: &TestApp, filters: Value, extra: &str) -> Vec<String> {
    let body = get(
        app,
        &format!(
            "/epoch/v1/customers?filters={}{extra}",
            encode(&filters.to_string())
        ),
    )
    .await;
    ids(&body, "data")
}

async fn fourgeeks_offset_pages_report_totals_limit_and_offset(backend: Backend) {
    let app = spawn_app(backend).await;
    let all = create_many(&app, 23, |i| json!({"email": format!("c{i}@example.com")})).await;
    let mut seen = Vec::new();
    for (offset, size) in [(0, 10), (10, 10), (20, 3), (30, 0)] {
        let page = get(
            &app,
            &format!("/4geeks/v1/customers?limit=10&offset={offset}"),
        )
        .await;
        assert_eq!(page["total_items"], 23, "offset {offset}");
        assert_eq!(page["limit"], 10, "offset {offset}");
        assert_eq!(page["offset"], offset, "offset {offset}");
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            size,
            "offset {offset}"
        );
        seen.extend(ids(&page, "items"));
    }
    assert_eq!(seen, all, "every customer once, newest first");
    let odd = get(&app, "/4geeks/v1/customers?limit=7&offset=5").await;
    assert_eq!(ids(&odd, "items"), all[5..12].to_vec());
    assert_eq!(
        (odd["limit"].clone(), odd["offset"].clone()),
        (json!(7), json!(5))
    );
}

/// Follows `starting_after` through the cursor-paged `list` (a path such as
/// `/v1/customers`) to the end, then `ending_before` back to the start.
pub async fn walk(app: &TestApp, list: &str, limit: usize, all: &[String]) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{list}?limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&starting_after={c}"));
        }
        let page = get(app, &path).await;
        let page_ids = ids(&page, "data");
        seen.extend(page_ids.clone());
        let expect_more = seen.len() < all.len();
        assert_eq!(page["has_more"], expect_more, "{path}");
        if !expect_more {
            break;
        }
        cursor = page_ids.last().cloned();
    }
    assert_eq!(seen, all, "{list}: every object exactly once, newest first");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), all.len());

    let mut back: Vec<String> = Vec::new();
    let mut cursor = all.last().unwrap().clone();
    loop {
        let page = get(app, &format!("{list}?limit={limit}&ending_before={cursor}")).await;
        let page_ids = ids(&page, "data");
        back.splice(0..0, page_ids.clone());
        if page["has_more"] == false {
            break;
        }
        cursor = page_ids.first().unwrap().clone();
    }
    assert_eq!(back, all[..all.len() - 1].to_vec(), "{list}: walking back");
}

async fn cursor_pagination_walks_every_customer_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let all = create_many(&app, 25, |i| json!({"name": format!("Customer {i}")})).await;
    walk(&app, "/v1/customers", 10, &all).await;
    walk(&app, "/epoch/v1/customers", 7, &all).await;
    // Defaults: 10 in paygate, 50 in epoch.
    assert_eq!(
        ids(&get(&app, "/v1/customers").await, "data"),
        all[..10].to_vec()
    );
    assert_eq!(ids(&get(&app, "/epoch/v1/customers").await, "data"), all);
}

async fn paygate_filters_by_email_and_created_range(backend: Backend) {
    let app = spawn_app(backend).await;
    let all = create_many(&app, 6, |i| {
        json!({"email": if i % 2 == 0 { "even@example.com".to_owned() } else { format!("odd{i}@example.com") }})
    })
    .await;
    let even = get(&app, "/v1/customers?email=even%40example.com").await;
    assert_eq!(
        ids(&even, "data"),
        vec![all[1].clone(), all[3].clone(), all[5].clone()]
    );

    // A customer's own rendered created_at, used as both bounds, finds it (with
    // whichever others were created within the same second).
    let target = get(&app, &format!("/v1/customers/{}", all[2])).await;
    let at = target["created_at"].as_str().unwrap();
    let same_second = get(
        &app,
        &format!("/v1/customers?created[gte]={at}&created[lte]={at}&limit=100"),
    )
    .await;
    assert!(ids(&same_second, "data").contains(&all[2]), "{same_second}");

    // Unix seconds work the same, and a bound excludes what lies beyond it.
    let epoch = get(&app, &format!("/epoch/v1/customers/{}", all[2])).await;
    let seconds = epoch["created_at"].as_i64().unwrap() / 1000;
    let by_seconds = get(
        &app,
        &format!("/v1/customers?created%5Bgte%5D={seconds}&created%5Blte%5D={seconds}&limit=100"),
    )
    .await;
    assert_eq!(ids(&by_seconds, "data"), ids(&same_second, "data"));
    let before = get(&app, &format!("/v1/customers?created[lte]={}", seconds - 1)).await;
    assert!(!ids(&before, "data").contains(&all[2]));
    let after = get(&app, &format!("/v1/customers?created[gte]={}", seconds + 1)).await;
    assert!(!ids(&after, "data").contains(&all[2]));
    let everything = get(
        &app,
        "/v1/customers?created[gte]=2020-01-01&created[lte]=2999-12-31T23:59:59%2B02:00",
    )
    .await;
    assert_eq!(ids(&everything, "data"), all);
}

async fn epoch_filters_reach_the_service_and_page_with_cursors(backend: Backend) {
    let app = spawn_app(backend).await;
    let plans = ["gold", "silver", "gold", "bronze", "gold", "silver"];
    let all = create_many(&app, plans.len(), |i| {
        let mut body = json!({
            "email": format!("user{i}@{}", if i < 3 { "example.com" } else { "corp.test" }),
            "name": format!("User {i}"),
            "metadata": {"plan": plans[i]},
        });
        if i == 4 {
            body["phone"] = json!("+1 555 0100");
        }
        body
    })
    .await;
    // all[k] is customer number 5 - k.
    let customer = |n: usize| all[plans.len() - 1 - n].clone();

    let gold = filtered(
        &app,
        json!({"field": "metadata.plan", "op": "eq", "value": "gold"}),
        "",
    )
    .await;
    assert_eq!(gold, vec![customer(4), customer(2), customer(0)]);

    let nested = filtered(
        &app,
        json!({"and": [
            {"field": "email", "op": "contains", "value": "EXAMPLE.COM"},
            {"or": [
                {"field": "metadata.plan", "op": "eq", "value": "silver"},
                {"field": "name", "op": "starts_with", "value": "user 0"},
            ]},
        ]}),
        "",
    )
    .await;
    assert_eq!(nested, vec![customer(1), customer(0)]);

    let with_phone = filtered(&app, json!({"field": "phone", "op": "is_not_null"}), "").await;
    assert_eq!(with_phone, vec![customer(4)]);
    let nothing = filtered(&app, json!({"or": []}), "").await;
    assert!(nothing.is_empty());
    let everything = filtered(&app, json!({"and": []}), "").await;
    assert_eq!(everything, all);

    // created_at, by the millisecond a customer shows and by ISO text.
    let third = get(&app, &format!("/epoch/v1/customers/{}", customer(2))).await;
    let ms = third["created_at"].as_i64().unwrap();
    let exact = filtered(
        &app,
        json!({"field": "created_at", "op": "eq", "value": ms}),
        "",
    )
    .await;
    assert!(exact.contains(&customer(2)), "{exact:?}");
    let not_before = filtered(
        &app,
        json!({"field": "created_at", "op": "gte", "value": ms}),
        "",
    )
    .await;
    assert!(not_before.contains(&customer(2)) && all.starts_with(&not_before));
    let iso = get(&app, &format!("/v1/customers/{}", customer(2))).await["created_at"].clone();
    let up_to = filtered(
        &app,
        json!({"field": "created_at", "op": "lte", "value": iso}),
        "",
    )
    .await;
    assert!(up_to.contains(&customer(2)) && up_to.contains(&customer(0)));

    // A filtered list pages with cursors like any other.
    let first = get(
        &app,
        &format!(
            "/epoch/v1/customers?limit=2&filters={}",
            encode(&json!({"field": "metadata.plan", "op": "ne", "value": "bronze"}).to_string())
        ),
    )
    .await;
    assert_eq!(ids(&first, "data"), vec![customer(5), customer(4)]);
    assert_eq!(first["has_more"], true);
    let rest = filtered(
        &app,
        json!({"field": "metadata.plan", "op": "ne", "value": "bronze"}),
        &format!("&limit=10&starting_after={}", customer(4)),
    )
    .await;
    assert_eq!(rest, vec![customer(2), customer(1), customer(0)]);
}

backend_tests!(
    fourgeeks_offset_pages_report_totals_limit_and_offset,
    cursor_pagination_walks_every_customer_exactly_once,
    paygate_filters_by_email_and_created_range,
    epoch_filters_reach_the_service_and_page_with_cursors,
);
