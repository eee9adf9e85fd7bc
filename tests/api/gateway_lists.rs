//! Lists through the gateway: offset pages in the 4geeks profile, cursor walks
//! in the paygate and epoch profiles, created ranges and the epoch `filters`.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, Rest, ids, spawn_app, urlencode};

/// Creates `n` customers through the gateway, returning their ids newest first.
async fn create_many(rest: &Rest, n: usize, body: impl Fn(usize) -> Value) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(rest.create("/v1/customers", body(i)).await);
    }
    ids.reverse();
    ids
}

/// The ids the epoch list returns for a `filters` document.
async fn filtered(rest: &Rest, filters: Value, extra: &str) -> Vec<String> {
    let body = rest
        .ok(&format!(
            "/epoch/v1/customers?filters={}{extra}",
            urlencode(&filters.to_string())
        ))
        .await;
    ids(&body, "data")
}

async fn fourgeeks_offset_pages_report_totals_limit_and_offset(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let all = create_many(&rest, 23, |i| json!({"email": format!("c{i}@example.com")})).await;
    let mut seen = Vec::new();
    for (offset, size) in [(0, 10), (10, 10), (20, 3), (30, 0)] {
        let page = rest
            .ok(&format!("/4geeks/v1/customers?limit=10&offset={offset}"))
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
    let odd = rest.ok("/4geeks/v1/customers?limit=7&offset=5").await;
    assert_eq!(ids(&odd, "items"), all[5..12].to_vec());
    assert_eq!(
        (odd["limit"].clone(), odd["offset"].clone()),
        (json!(7), json!(5))
    );
}

/// Follows `starting_after` through the cursor-paged `list` (a path such as
/// `/v1/customers`) to the end, then `ending_before` back to the start.
pub async fn walk(rest: &Rest, list: &str, limit: usize, all: &[String]) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{list}?limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&starting_after={c}"));
        }
        let page = rest.ok(&path).await;
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
        let page = rest
            .ok(&format!("{list}?limit={limit}&ending_before={cursor}"))
            .await;
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
    let rest = app.rest();
    let all = create_many(&rest, 25, |i| json!({"name": format!("Customer {i}")})).await;
    walk(&rest, "/v1/customers", 10, &all).await;
    walk(&rest, "/epoch/v1/customers", 7, &all).await;
    // Defaults: 10 in paygate, 50 in epoch.
    assert_eq!(
        ids(&rest.ok("/v1/customers").await, "data"),
        all[..10].to_vec()
    );
    assert_eq!(ids(&rest.ok("/epoch/v1/customers").await, "data"), all);
}

async fn paygate_filters_by_email_and_created_range(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let all = create_many(&rest, 6, |i| {
        json!({"email": if i % 2 == 0 { "even@example.com".to_owned() } else { format!("odd{i}@example.com") }})
    })
    .await;
    let even = rest.ok("/v1/customers?email=even%40example.com").await;
    assert_eq!(
        ids(&even, "data"),
        vec![all[1].clone(), all[3].clone(), all[5].clone()]
    );

    // A customer's own rendered created_at, used as both bounds, finds it (with
    // whichever others were created within the same second).
    let target = rest.ok(&format!("/v1/customers/{}", all[2])).await;
    let at = target["created_at"].as_str().unwrap();
    let same_second = rest
        .ok(&format!(
            "/v1/customers?created[gte]={at}&created[lte]={at}&limit=100"
        ))
        .await;
    assert!(ids(&same_second, "data").contains(&all[2]), "{same_second}");

    // Unix seconds work the same, and a bound excludes what lies beyond it.
    let epoch = rest.ok(&format!("/epoch/v1/customers/{}", all[2])).await;
    let seconds = epoch["created_at"].as_i64().unwrap() / 1000;
    let by_seconds = rest
        .ok(&format!(
            "/v1/customers?created%5Bgte%5D={seconds}&created%5Blte%5D={seconds}&limit=100"
        ))
        .await;
    assert_eq!(ids(&by_seconds, "data"), ids(&same_second, "data"));
    let before = rest
        .ok(&format!("/v1/customers?created[lte]={}", seconds - 1))
        .await;
    assert!(!ids(&before, "data").contains(&all[2]));
    let after = rest
        .ok(&format!("/v1/customers?created[gte]={}", seconds + 1))
        .await;
    assert!(!ids(&after, "data").contains(&all[2]));
    let everything = rest
        .ok("/v1/customers?created[gte]=2020-01-01&created[lte]=2999-12-31T23:59:59%2B02:00")
        .await;
    assert_eq!(ids(&everything, "data"), all);
}

async fn epoch_filters_reach_the_service_and_page_with_cursors(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let plans = ["gold", "silver", "gold", "bronze", "gold", "silver"];
    let all = create_many(&rest, plans.len(), |i| {
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
        &rest,
        json!({"field": "metadata.plan", "op": "eq", "value": "gold"}),
        "",
    )
    .await;
    assert_eq!(gold, vec![customer(4), customer(2), customer(0)]);

    let nested = filtered(
        &rest,
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

    let with_phone = filtered(&rest, json!({"field": "phone", "op": "is_not_null"}), "").await;
    assert_eq!(with_phone, vec![customer(4)]);
    let nothing = filtered(&rest, json!({"or": []}), "").await;
    assert!(nothing.is_empty());
    let everything = filtered(&rest, json!({"and": []}), "").await;
    assert_eq!(everything, all);

    // created_at, by the millisecond a customer shows and by ISO text.
    let third = rest
        .ok(&format!("/epoch/v1/customers/{}", customer(2)))
        .await;
    let ms = third["created_at"].as_i64().unwrap();
    let exact = filtered(
        &rest,
        json!({"field": "created_at", "op": "eq", "value": ms}),
        "",
    )
    .await;
    assert!(exact.contains(&customer(2)), "{exact:?}");
    let not_before = filtered(
        &rest,
        json!({"field": "created_at", "op": "gte", "value": ms}),
        "",
    )
    .await;
    assert!(not_before.contains(&customer(2)) && all.starts_with(&not_before));
    let iso = rest.ok(&format!("/v1/customers/{}", customer(2))).await["created_at"].clone();
    let up_to = filtered(
        &rest,
        json!({"field": "created_at", "op": "lte", "value": iso}),
        "",
    )
    .await;
    assert!(up_to.contains(&customer(2)) && up_to.contains(&customer(0)));

    // A filtered list pages with cursors like any other.
    let first = rest
        .ok(&format!(
            "/epoch/v1/customers?limit=2&filters={}",
            urlencode(
                &json!({"field": "metadata.plan", "op": "ne", "value": "bronze"}).to_string()
            )
        ))
        .await;
    assert_eq!(ids(&first, "data"), vec![customer(5), customer(4)]);
    assert_eq!(first["has_more"], true);
    let rest = filtered(
        &rest,
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
