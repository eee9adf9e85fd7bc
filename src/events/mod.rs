//! Events: every change to a customer, payment or subscription, written in
//! the transaction that makes it (see [`crate::db::Tx::record`]), numbered in
//! one gap-free sequence per (account, mode) stream, and read back by list,
//! by id, or live by watchers (see [`hub`]).

pub mod hub;
pub mod log;
pub mod retention;
pub mod service;

use std::collections::BTreeSet;

use tonic::Request;

pub use hub::Hub;
pub use service::EventApi;

use crate::customers::Customer;
use crate::error::Reason;
use crate::proto::customers::v1 as pb;
use crate::validation::{Violations, shown};

pub use customerd_wire::events::{
    CUSTOMER_CREATED, CUSTOMER_DELETED, CUSTOMER_UPDATED, PAYMENT_CREATED, PAYMENT_UPDATED,
    SUBSCRIPTION_CANCELED, SUBSCRIPTION_CREATED, TYPES,
};

/// The request behind a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
}

impl Origin {
    /// The request id and idempotency key a call carries.
    pub fn of<T>(request: &Request<T>) -> Self {
        let text = |name: &str| {
            let value = request.metadata().get(name)?.to_str().ok()?.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        Self {
            request_id: text(crate::request_id::HEADER),
            idempotency_key: text(crate::idempotency::HEADER),
        }
    }
}

/// The object an event is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Customer(pb::Customer),
    Payment(pb::Payment),
    Subscription(pb::Subscription),
}

/// A change, to be written as an event by the transaction that makes it.
#[derive(Debug, Clone)]
pub struct Change {
    pub account_id: String,
    pub live: bool,
    pub kind: &'static str,
    /// The object after the change (as it was, for a deletion).
    pub object: Object,
    /// For updates: the object before, and the fields that changed.
    pub previous: Option<(Object, Vec<String>)>,
    pub origin: Origin,
}

impl Change {
    /// The event, once its id, place in the stream and time are known.
    pub fn into_event(self, id: String, sequence: i64, created_at: i64) -> pb::Event {
        let object = match self.object {
            Object::Customer(c) => pb::event::Object::Customer(c),
            Object::Payment(p) => pb::event::Object::Payment(p),
            Object::Subscription(s) => pb::event::Object::Subscription(s),
        };
        let (previous, changed_fields) = match self.previous {
            None => (None, None),
            Some((before, paths)) => (
                Some(match before {
                    Object::Customer(c) => pb::event::Previous::PreviousCustomer(c),
                    Object::Payment(p) => pb::event::Previous::PreviousPayment(p),
                    Object::Subscription(s) => pb::event::Previous::PreviousSubscription(s),
                }),
                Some(prost_types::FieldMask { paths }),
            ),
        };
        pb::Event {
            id,
            r#type: self.kind.to_owned(),
            live: self.live,
            created_at: Some(crate::proto::timestamp(created_at)),
            object: Some(object),
            previous,
            changed_fields,
            request: Some(pb::EventRequest {
                id: self.origin.request_id,
                idempotency_key: self.origin.idempotency_key,
            }),
            sequence,
        }
    }
}

/// The fields of a customer that differ between two of its states
/// (`updated_at` never counts), in object order.
pub fn customer_changes(before: &Customer, after: &Customer) -> Vec<String> {
    let mut changed: Vec<String> = before
        .texts
        .iter()
        .zip(after.texts.iter())
        .filter(|((_, a), (_, b))| a != b)
        .map(|((name, _), _)| name.to_owned())
        .collect();
    if before.metadata != after.metadata {
        changed.push("metadata".to_owned());
    }
    changed
}

/// Which event types a reader asked for: exact types, prefix patterns such
/// as `customer.*`, or `*`; none means all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Types(BTreeSet<&'static str>);

impl Types {
    /// Reads the patterns of request field `field`; an unknown type or
    /// pattern is reported to `v` (and every type is then returned).
    pub fn parse(v: &mut Violations, field: &str, patterns: &[String]) -> Self {
        let mut types = BTreeSet::new();
        for pattern in patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let matched: Vec<&'static str> = match pattern.strip_suffix('*') {
                Some("") => TYPES.to_vec(),
                Some(prefix) if prefix.ends_with('.') => TYPES
                    .iter()
                    .copied()
                    .filter(|t| t.starts_with(prefix))
                    .collect(),
                Some(_) => Vec::new(),
                None => TYPES.iter().copied().filter(|t| *t == pattern).collect(),
            };
            if matched.is_empty() {
                v.add(
                    field,
                    Reason::InvalidValue,
                    format!(
                        "unknown event type '{}': use one of {}, a prefix such as 'customer.*', or '*'",
                        shown(pattern),
                        TYPES.join(", ")
                    ),
                );
            }
            types.extend(matched);
        }
        if types.is_empty() {
            types.extend(TYPES);
        }
        Self(types)
    }

    /// The types of comma-separated patterns checked when they were stored;
    /// a pattern no longer known names nothing.
    pub fn stored(patterns: &str) -> Self {
        let patterns: Vec<String> = patterns.split(',').map(str::to_owned).collect();
        let mut ignored = Violations::default();
        let types = Self::parse(&mut ignored, "", &patterns);
        if ignored.is_empty() {
            types
        } else {
            // Only the known patterns.
            Self(
                patterns
                    .iter()
                    .flat_map(|p| {
                        let mut v = Violations::default();
                        let one = Self::parse(&mut v, "", std::slice::from_ref(p));
                        if v.is_empty() { one.0 } else { BTreeSet::new() }
                    })
                    .collect(),
            )
        }
    }

    pub fn all(&self) -> bool {
        self.0.len() == TYPES.len()
    }

    pub fn contains(&self, kind: &str) -> bool {
        self.0.contains(kind)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_known_types() {
        let parse = |patterns: &[&str]| {
            let mut v = Violations::default();
            let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
            let types = Types::parse(&mut v, "types", &patterns);
            v.finish(types)
        };
        let types = parse(&["customer.*", "payment.created"]).unwrap();
        assert!(types.contains(CUSTOMER_UPDATED) && types.contains(PAYMENT_CREATED));
        assert!(!types.contains(PAYMENT_UPDATED));
        assert!(parse(&[]).unwrap().all());
        assert!(parse(&["*"]).unwrap().all());
        for bad in ["customer", "cust*", "invoice.*", "customer.created.x", "%"] {
            assert!(parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn customer_changes_name_only_what_differs() {
        let before = Customer {
            id: "cus_1".into(),
            live: false,
            texts: crate::customers::Texts {
                email: Some("a@example.com".into()),
                name: Some("A".into()),
                ..Default::default()
            },
            metadata: Default::default(),
            created_at: 1,
            updated_at: 1,
        };
        let mut after = before.clone();
        after.texts.name = None;
        after.metadata.insert("k".into(), "v".into());
        after.updated_at = 2;
        assert_eq!(customer_changes(&before, &after), ["name", "metadata"]);
        assert!(customer_changes(&before, &before).is_empty());
    }
}
