//! ListCustomers' filter tree, evaluated by each database.

use std::collections::HashMap;

use customerd::proto::customers::v1 as pb;
use pb::FilterOperator as Op;
use pb::customer_filter::Kind;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, reasons, spawn_app, violations};

fn cond(field: &str, op: Op, value: &str) -> pb::CustomerFilter {
    pb::CustomerFilter {
        kind: Some(Kind::Condition(pb::CustomerCondition {
            field: field.into(),
            operator: op as i32,
            value: value.into(),
            time: None,
        })),
    }
}

fn created(op: Op, time: prost_types::Timestamp) -> pb::CustomerFilter {
    pb::CustomerFilter {
        kind: Some(Kind::Condition(pb::CustomerCondition {
            field: "created_at".into(),
            operator: op as i32,
            value: String::new(),
            time: Some(time),
        })),
    }
}

fn all(filters: Vec<pb::CustomerFilter>) -> pb::CustomerFilter {
    pb::CustomerFilter {
        kind: Some(Kind::All(pb::CustomerFilterList { filters })),
    }
}

fn any(filters: Vec<pb::CustomerFilter>) -> pb::CustomerFilter {
    pb::CustomerFilter {
        kind: Some(Kind::Any(pb::CustomerFilterList { filters })),
    }
}

/// Short name, email, name, metadata.
type Person = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

struct Fixture {
    app: TestApp,
    /// Customer ids by short name.
    ids: HashMap<&'static str, String>,
    created: HashMap<&'static str, prost_types::Timestamp>,
}

async fn fixture(backend: Backend) -> Fixture {
    let app = spawn_app(backend).await;
    let people: [Person; 5] = [
        (
            "alice",
            Some("alice@example.com"),
            Some("Alice Liddell"),
            &[("tier", "gold")],
        ),
        (
            "bob",
            Some("bob@example.com"),
            Some("Bob Alison"),
            &[("tier", "silver")],
        ),
        ("carol", None, Some("Carol 50% off_sale"), &[]),
        (
            "dave",
            Some("dave@example.org"),
            None,
            &[("tier", "gold"), ("vip", "yes")],
        ),
        ("erin", Some("ERIN@EXAMPLE.COM"), Some("erin"), &[]),
    ];
    let mut client = app.customers().await;
    let mut ids = HashMap::new();
    let mut created = HashMap::new();
    for (short, email, name, metadata) in people {
        let c = client
            .create_customer(authed(
                &app.key,
                pb::CreateCustomerRequest {
                    email: email.map(Into::into),
                    name: name.map(Into::into),
                    metadata: metadata
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        ids.insert(short, c.id);
        created.insert(short, c.created_at.unwrap());
    }
    Fixture { app, ids, created }
}

impl Fixture {
    /// Short names of the customers the filter returns, newest first.
    async fn matching(&self, filter: pb::CustomerFilter) -> Vec<&'static str> {
        let page = self
            .app
            .customers()
            .await
            .list_customers(authed(
                &self.app.key,
                pb::ListCustomersRequest {
                    filter: Some(filter),
                    limit: 100,
                    ..Default::default()
                },
            ))
            .await
            .expect("filtered list succeeds")
            .into_inner();
        page.customers
            .iter()
            .map(|c| {
                *self
                    .ids
                    .iter()
                    .find(|(_, id)| **id == c.id)
                    .expect("a fixture customer")
                    .0
            })
            .collect()
    }
}

async fn filters_combine_and_or_over_fields_and_metadata(backend: Backend) {
    let f = fixture(backend).await;
    assert_eq!(
        f.matching(cond("email", Op::Eq, "bob@example.com")).await,
        vec!["bob"]
    );
    // Contains ignores ASCII case; equality does not.
    assert_eq!(
        f.matching(cond("email", Op::Contains, "EXAMPLE.com")).await,
        vec!["erin", "bob", "alice"]
    );
    assert_eq!(
        f.matching(cond("email", Op::Eq, "erin@example.com")).await,
        Vec::<&str>::new()
    );
    assert_eq!(
        f.matching(cond("name", Op::StartsWith, "ali")).await,
        vec!["alice"]
    );
    // Wildcards in the operand match literally.
    assert_eq!(
        f.matching(cond("name", Op::Contains, "50% off_")).await,
        vec!["carol"]
    );
    assert_eq!(
        f.matching(cond("name", Op::Contains, "_")).await,
        vec!["carol"]
    );
    assert_eq!(
        f.matching(cond("email", Op::IsNull, "")).await,
        vec!["carol"]
    );
    // NE matches nulls too.
    assert_eq!(
        f.matching(cond("name", Op::Ne, "erin")).await,
        vec!["dave", "carol", "bob", "alice"]
    );
    assert_eq!(
        f.matching(cond("metadata.tier", Op::Eq, "gold")).await,
        vec!["dave", "alice"]
    );
    assert_eq!(
        f.matching(cond("metadata.tier", Op::Ne, "gold")).await,
        vec!["erin", "carol", "bob"]
    );
    assert_eq!(
        f.matching(cond("metadata.vip", Op::IsNotNull, "")).await,
        vec!["dave"]
    );
    assert_eq!(
        f.matching(cond("metadata.tier", Op::IsNull, "")).await,
        vec!["erin", "carol"]
    );
    // (tier = gold AND email ends in .com) OR name contains "alison"
    let tree = any(vec![
        all(vec![
            cond("metadata.tier", Op::Eq, "gold"),
            cond("email", Op::Contains, ".com"),
        ]),
        cond("name", Op::Contains, "alison"),
    ]);
    assert_eq!(f.matching(tree).await, vec!["bob", "alice"]);
    // Created range: after alice, up to and including dave.
    let range = all(vec![
        created(Op::Gt, f.created["alice"]),
        created(Op::Lte, f.created["dave"]),
    ]);
    assert_eq!(f.matching(range).await, vec!["dave", "carol", "bob"]);
    assert_eq!(
        f.matching(created(Op::Eq, f.created["carol"])).await,
        vec!["carol"]
    );
    assert_eq!(f.matching(any(vec![])).await, Vec::<&str>::new());
    assert_eq!(f.matching(all(vec![])).await.len(), 5);
}

async fn filters_work_with_cursors_and_counts(backend: Backend) {
    let f = fixture(backend).await;
    let gold_or_null_email = any(vec![
        cond("metadata.tier", Op::Eq, "gold"),
        cond("email", Op::IsNull, ""),
    ]);
    let mut client = f.app.customers().await;
    let first = client
        .list_customers(authed(
            &f.app.key,
            pb::ListCustomersRequest {
                filter: Some(gold_or_null_email.clone()),
                limit: 2,
                include_total_count: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.total_count, Some(3));
    assert!(first.has_more);
    assert_eq!(
        first
            .customers
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        vec![f.ids["dave"].clone(), f.ids["carol"].clone()]
    );
    let second = client
        .list_customers(authed(
            &f.app.key,
            pb::ListCustomersRequest {
                filter: Some(gold_or_null_email),
                limit: 2,
                starting_after: f.ids["carol"].clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!second.has_more);
    assert_eq!(
        second
            .customers
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        vec![f.ids["alice"].clone()]
    );
}

async fn invalid_filters_name_the_offending_node(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut deep = cond("email", Op::Eq, "x@example.com");
    for _ in 0..8 {
        deep = all(vec![deep]);
    }
    let cases: Vec<(pb::CustomerFilter, Vec<(&str, &str)>)> = vec![
        (
            cond("nickname", Op::Eq, "x"),
            vec![("filter.condition.field", "UNKNOWN_FIELD")],
        ),
        (
            all(vec![
                cond("email", Op::Gt, "x"),
                any(vec![pb::CustomerFilter {
                    kind: Some(Kind::Condition(pb::CustomerCondition {
                        field: "created_at".into(),
                        operator: Op::Lt as i32,
                        value: "yesterday".into(),
                        time: None,
                    })),
                }]),
            ]),
            vec![
                ("filter.all.filters[0].condition.operator", "INVALID_VALUE"),
                (
                    "filter.all.filters[1].any.filters[0].condition.time",
                    "REQUIRED",
                ),
            ],
        ),
        (
            cond("created_at", Op::Contains, ""),
            vec![("filter.condition.operator", "INVALID_VALUE")],
        ),
        (
            cond("metadata.", Op::Eq, "x"),
            vec![("filter.condition.field", "UNKNOWN_FIELD")],
        ),
        (
            pb::CustomerFilter { kind: None },
            vec![("filter", "REQUIRED")],
        ),
        (
            deep,
            vec![(
                "filter.all.filters[0].all.filters[0].all.filters[0].all.filters[0].all.filters[0].all.filters[0].all.filters[0].all.filters[0]",
                "OUT_OF_RANGE",
            )],
        ),
        (
            any((0..51).map(|_| cond("name", Op::Eq, "x")).collect()),
            vec![("filter", "OUT_OF_RANGE")],
        ),
    ];
    let mut client = app.customers().await;
    for (filter, want) in cases {
        let err = client
            .list_customers(authed(
                &app.key,
                pb::ListCustomersRequest {
                    filter: Some(filter.clone()),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(reasons(&err), want, "{filter:?}");
        assert_eq!(violations(&err).len(), want.len());
    }
}

backend_tests!(
    filters_combine_and_or_over_fields_and_metadata,
    filters_work_with_cursors_and_counts,
    invalid_filters_name_the_offending_node,
);
