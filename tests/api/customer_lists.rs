//! ListCustomers over gRPC: cursors forward and back, offsets, and the email
//! and created-range filters paged with cursors, on every backend.

use customerd::proto::customers::v1 as pb;

use crate::backend_tests;
use crate::customers::create;
use crate::helpers::{Backend, TestApp, authed, spawn_app};

/// Lists with the app's key.
pub async fn list(app: &TestApp, req: pb::ListCustomersRequest) -> pb::ListCustomersResponse {
    app.customers()
        .await
        .list_customers(authed(&app.key, req))
        .await
        .expect("list succeeds")
        .into_inner()
}

/// Creates `n` customers, returning their ids newest first.
async fn create_many(app: &TestApp, n: usize, email: impl Fn(usize) -> String) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let c = create(
            app,
            pb::CreateCustomerRequest {
                email: Some(email(i)),
                name: Some(format!("Customer {i}")),
                ..Default::default()
            },
        )
        .await;
        ids.push(c.id);
    }
    ids.reverse();
    ids
}

pub fn ids(resp: &pb::ListCustomersResponse) -> Vec<String> {
    resp.customers.iter().map(|c| c.id.clone()).collect()
}

async fn list_walks_forward_and_back_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let expected = create_many(&app, 25, |i| format!("c{i}@example.com")).await;

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = list(
            &app,
            pb::ListCustomersRequest {
                limit: 10,
                starting_after: cursor.clone(),
                include_total_count: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(page.total_count, Some(25));
        seen.extend(ids(&page));
        pages.push((page.customers.len(), page.has_more));
        if !page.has_more {
            break;
        }
        cursor = page.customers.last().unwrap().id.clone();
    }
    assert_eq!(pages, vec![(10, true), (10, true), (5, false)]);
    assert_eq!(seen, expected, "every customer once, newest first");

    // And back again from the oldest.
    let mut back = Vec::new();
    let mut cursor = expected.last().unwrap().clone();
    let mut back_pages = Vec::new();
    loop {
        let page = list(
            &app,
            pb::ListCustomersRequest {
                limit: 10,
                ending_before: cursor.clone(),
                ..Default::default()
            },
        )
        .await;
        let page_ids = ids(&page);
        back_pages.push((page_ids.len(), page.has_more));
        back.splice(0..0, page_ids);
        if !page.has_more {
            break;
        }
        cursor = page.customers.first().unwrap().id.clone();
    }
    assert_eq!(back_pages, vec![(10, true), (10, true), (4, false)]);
    assert_eq!(back, expected[..24].to_vec());

    // Offset pagination sees the same order.
    let page = list(
        &app,
        pb::ListCustomersRequest {
            limit: 10,
            offset: 20,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&page), expected[20..].to_vec());
    assert!(!page.has_more);
}

async fn list_filters_by_email_and_created_range_with_cursors(backend: Backend) {
    let app = spawn_app(backend).await;
    // Every third customer shares one address.
    let all = create_many(&app, 12, |i| {
        if i % 3 == 0 {
            "shared@example.com".to_owned()
        } else {
            format!("other{i}@example.com")
        }
    })
    .await;
    let shared: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(pos, _)| (11 - pos) % 3 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(shared.len(), 4);

    let first = list(
        &app,
        pb::ListCustomersRequest {
            limit: 2,
            email: Some("shared@example.com".into()),
            include_total_count: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&first), shared[..2].to_vec());
    assert!(first.has_more);
    assert_eq!(first.total_count, Some(4));
    let second = list(
        &app,
        pb::ListCustomersRequest {
            limit: 2,
            email: Some("shared@example.com".into()),
            starting_after: shared[1].clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&second), shared[2..].to_vec());
    assert!(!second.has_more);

    // The created range of the 4th..9th newest customers, walked with a cursor.
    let mut client = app.customers().await;
    let mut created = Vec::new();
    for id in &all {
        let c = client
            .get_customer(authed(&app.key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        created.push(c.created_at.unwrap());
    }
    let range = pb::ListCustomersRequest {
        limit: 4,
        created_lte: Some(created[3]),
        created_gte: Some(created[8]),
        ..Default::default()
    };
    let page1 = list(&app, range.clone()).await;
    assert_eq!(ids(&page1), all[3..7].to_vec());
    assert!(page1.has_more);
    let page2 = list(
        &app,
        pb::ListCustomersRequest {
            starting_after: all[6].clone(),
            ..range.clone()
        },
    )
    .await;
    assert_eq!(ids(&page2), all[7..9].to_vec());
    assert!(!page2.has_more);
    let back = list(
        &app,
        pb::ListCustomersRequest {
            ending_before: all[7].clone(),
            ..range
        },
    )
    .await;
    assert_eq!(ids(&back), all[3..7].to_vec());
    assert!(!back.has_more);
}

backend_tests!(
    list_walks_forward_and_back_exactly_once,
    list_filters_by_email_and_created_range_with_cursors,
);
