//! Every optional string field the proto declares on a customer works
//! everywhere: create, get, update with and without a mask, list filters,
//! every REST profile, and the OpenAPI document. The fields are read from the
//! descriptor set, so a field added to the proto and missed anywhere fails here.

use customerd::proto::FILE_DESCRIPTOR_SET;
use customerd::proto::customers::v1 as pb;
use prost::Message;
use prost_types::FileDescriptorSet;
use prost_types::field_descriptor_proto::{Label, Type};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, spawn_app};

/// The number of every optional string field of `message`, by name.
fn text_fields(message: &str) -> Vec<(String, u32)> {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("a descriptor set");
    set.file
        .iter()
        .flat_map(|f| &f.message_type)
        .find(|m| m.name() == message)
        .unwrap_or_else(|| panic!("{message} is declared"))
        .field
        .iter()
        .filter(|f| f.r#type() == Type::String && f.proto3_optional())
        .map(|f| (f.name().to_owned(), f.number() as u32))
        .collect()
}

/// Every field of `message`: name, number, type, label, type name.
fn all_fields(message: &str) -> Vec<(String, i32, Type, Label, String)> {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("a descriptor set");
    let found = set
        .file
        .iter()
        .flat_map(|f| &f.message_type)
        .find(|m| m.name() == message)
        .unwrap_or_else(|| panic!("{message} is declared"));
    found
        .field
        .iter()
        .map(|f| {
            // A map's entry type is named after its own message.
            let type_name = f.type_name().replace(&format!(".{message}."), ".");
            (
                f.name().to_owned(),
                f.number(),
                f.r#type(),
                f.label(),
                type_name,
            )
        })
        .collect()
}

/// An expansion carries a customer as `ExpandedCustomer` (which encodes as
/// `Customer` does), so the two must keep the same fields.
#[test]
fn expanded_customer_has_every_customer_field() {
    assert_eq!(all_fields("ExpandedCustomer"), all_fields("Customer"));
}

fn number(message: &str, field: &str) -> u32 {
    text_fields(message)
        .into_iter()
        .find(|(name, _)| name == field)
        .unwrap_or_else(|| panic!("{message} has no optional string {field}"))
        .1
}

/// A message holding only the string `value` at field `number`.
fn with_text<M: Message + Default>(number: u32, value: &str) -> M {
    let mut bytes = Vec::new();
    prost::encoding::string::encode(number, &value.to_owned(), &mut bytes);
    M::decode(bytes.as_slice()).expect("a message of that shape")
}

/// The string at field `number` of a message, if it is set.
fn text_of(message: &impl Message, number: u32) -> Option<String> {
    let bytes = message.encode_to_vec();
    let mut rest = bytes.as_slice();
    let mut found = None;
    while !rest.is_empty() {
        let key = prost::encoding::decode_varint(&mut rest).expect("a key");
        let (field, wire) = ((key >> 3) as u32, key & 7);
        let len = match wire {
            0 => {
                prost::encoding::decode_varint(&mut rest).expect("a varint");
                0
            }
            1 => 8,
            5 => 4,
            2 => prost::encoding::decode_varint(&mut rest).expect("a length") as usize,
            _ => panic!("wire type {wire}"),
        };
        if wire == 2 && field == number {
            found = Some(String::from_utf8(rest[..len].to_vec()).expect("UTF-8"));
        }
        rest = &rest[len..];
    }
    found
}

fn sample(field: &str, n: usize) -> String {
    if field == "email" {
        format!("v{n}@example.com")
    } else {
        format!("{field} value {n}")
    }
}

async fn grpc_round_trip(app: &TestApp, field: &str) {
    let mut client = app.customers().await;
    let create: pb::CreateCustomerRequest =
        with_text(number("CreateCustomerRequest", field), &sample(field, 1));
    let created = client
        .create_customer(authed(&app.key, create))
        .await
        .unwrap_or_else(|e| panic!("create with {field}: {e}"))
        .into_inner()
        .customer
        .unwrap();
    let in_customer = number("Customer", field);
    assert_eq!(
        text_of(&created, in_customer),
        Some(sample(field, 1)),
        "{field}"
    );
    let id = created.id.clone();

    let update = |value: Option<String>, mask: Vec<String>| pb::UpdateCustomerRequest {
        validate_only: false,
        id: id.clone(),
        customer: Some(match value {
            Some(v) => with_text(number("CustomerUpdate", field), &v),
            None => pb::CustomerUpdate::default(),
        }),
        update_mask: (!mask.is_empty()).then_some(prost_types::FieldMask { paths: mask }),
    };
    for (request, want) in [
        (
            update(Some(sample(field, 2)), vec![]),
            Some(sample(field, 2)),
        ),
        (update(None, vec![field.to_owned()]), None),
        (
            update(Some(sample(field, 3)), vec![field.to_owned()]),
            Some(sample(field, 3)),
        ),
    ] {
        let updated = client
            .update_customer(authed(&app.key, request))
            .await
            .unwrap_or_else(|e| panic!("update of {field}: {e}"))
            .into_inner()
            .customer
            .unwrap();
        assert_eq!(text_of(&updated, in_customer), want, "{field}");
        let read = client
            .get_customer(authed(&app.key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        assert_eq!(text_of(&read, in_customer), want, "{field} read back");
    }

    let filter = pb::CustomerFilter {
        kind: Some(pb::customer_filter::Kind::Condition(
            pb::CustomerCondition {
                field: field.to_owned(),
                operator: pb::FilterOperator::Eq as i32,
                value: sample(field, 3),
                time: None,
            },
        )),
    };
    let found = client
        .list_customers(authed(
            &app.key,
            pb::ListCustomersRequest {
                filter: Some(filter),
                ..Default::default()
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("filter on {field}: {e}"))
        .into_inner()
        .customers;
    assert_eq!(
        found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()],
        "{field}"
    );
}

async fn rest_round_trip(app: &TestApp, field: &str) {
    let rest = app.rest();
    for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
        let mut body = json!({ field: sample(field, 4) });
        if base == "/4geeks/v1" && field != "email" {
            body["email"] = json!("required@example.com");
        }
        let created = rest.post(&format!("{base}/customers"), body).await;
        assert_eq!(created.status, 200, "{base} {field}: {}", created.body);
        assert_eq!(created.body[field], json!(sample(field, 4)), "{base}");
        let url = format!("{base}/customers/{}", created.body["id"].as_str().unwrap());
        let cleared = rest.patch(&url, json!({ field: null })).await;
        assert_eq!(cleared.status, 200, "{base} {field}: {}", cleared.body);
        assert_eq!(cleared.body[field], Value::Null, "{base}");
        let read = rest.get(&url).await;
        assert_eq!(read.body[field], Value::Null, "{base}");
    }
}

fn documented(field: &str) {
    let document = customerd_gateway::openapi::document();
    let schemas = &document["components"]["schemas"];
    for object in ["Customer", "EpochCustomer"] {
        assert!(
            schemas[object]["properties"][field].is_object(),
            "{object}.{field}"
        );
        assert!(
            schemas[object]["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!(field))),
            "{object} requires {field}"
        );
    }
    for body in [
        "CustomerCreate",
        "CustomerCreateEmailRequired",
        "CustomerUpdate",
    ] {
        let property = &schemas[body]["properties"][field];
        assert!(property["maxLength"].is_u64(), "{body}.{field}: {property}");
    }
}

async fn every_customer_text_field_works_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = text_fields("Customer");
    assert!(fields.len() >= 4, "{fields:?}");
    for (field, _) in &fields {
        grpc_round_trip(&app, field).await;
        rest_round_trip(&app, field).await;
        documented(field);
    }
}

backend_tests!(every_customer_text_field_works_everywhere);
