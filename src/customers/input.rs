//! Turns `customers.v1` requests into validated domain values, reporting every
//! problem with the field path a client sent.

use std::collections::BTreeMap;

use crate::error::{Reason, Result};
use crate::proto::customers::v1 as pb;
use crate::validation::{EMAIL_MAX, METADATA_MAX_KEYS, Violations, shown};

use super::{Change, CustomerChanges, ListQuery, MetadataChange, NewCustomer, Texts};
use crate::paging::{self, PageRequest, PageStart};
use customerd_wire::limits::{SEARCH_PAGE_DEFAULT, SEARCH_PAGE_MAX, SEARCH_QUERY_MAX};

pub fn new_customer(req: pb::CreateCustomerRequest) -> Result<NewCustomer> {
    let mut v = Violations::default();
    let texts = Texts::of_create(&req);
    texts.check(&mut v, "");
    let metadata: BTreeMap<String, String> = req.metadata.into_iter().collect();
    v.metadata("metadata", &metadata);
    v.finish(NewCustomer { texts, metadata })
}

/// Without a mask, a value present replaces the stored one and absence keeps it.
fn unmasked_change(value: Option<String>) -> Change<String> {
    value.map_or(Change::Keep, Change::Set)
}

/// With a mask, only named fields change, and a named field without a value is cleared.
fn masked_change(named: bool, value: Option<String>) -> Change<String> {
    match (named, value) {
        (false, _) => Change::Keep,
        (true, Some(v)) => Change::Set(v),
        (true, None) => Change::Clear,
    }
}

pub fn customer_changes(req: &pb::UpdateCustomerRequest) -> Result<CustomerChanges> {
    let mut v = Violations::default();
    let fields = req.customer.clone().unwrap_or_default();
    let texts = Texts::of_update(&fields);
    texts.check(&mut v, "customer.");
    let given: BTreeMap<String, String> = fields.metadata.into_iter().collect();
    let paths: Vec<String> = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();

    if paths.is_empty() {
        let mut metadata = MetadataChange::default();
        for (key, value) in given {
            if value.is_empty() {
                metadata.remove.insert(key);
            } else {
                v.metadata_entry("customer.metadata", &key, &value);
                metadata.set.insert(key, value);
            }
        }
        return v.finish(CustomerChanges {
            texts: texts.map(|_, value| unmasked_change(value)),
            metadata,
        });
    }

    let has = |name: &str| paths.iter().any(|p| p == name);
    let texts = texts.map(|name, value| masked_change(has(name), value));
    let mut metadata = MetadataChange::default();
    for path in &paths {
        match path.as_str() {
            text if Texts::<()>::NAMES.contains(&text) => {}
            "metadata" => {
                let replacement: BTreeMap<String, String> = given
                    .iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(k, value)| (k.clone(), value.clone()))
                    .collect();
                if replacement.len() > METADATA_MAX_KEYS {
                    v.over_limit(
                        "customer.metadata",
                        Reason::TooManyKeys,
                        METADATA_MAX_KEYS,
                        format!("must have at most {METADATA_MAX_KEYS} keys"),
                    );
                }
                for (k, value) in &replacement {
                    v.metadata_entry("customer.metadata", k, value);
                }
                metadata.replace = Some(replacement);
            }
            other => match other.strip_prefix("metadata.") {
                Some(key) => match given.get(key).filter(|value| !value.is_empty()) {
                    Some(value) => {
                        v.metadata_entry("customer.metadata", key, value);
                        metadata.set.insert(key.to_owned(), value.clone());
                    }
                    None => {
                        v.text("update_mask", key);
                        if key.is_empty() {
                            v.add(
                                "update_mask",
                                Reason::UnknownField,
                                "'metadata.' must name a key",
                            );
                        }
                        metadata.remove.insert(key.to_owned());
                    }
                },
                None => v.add(
                    "update_mask",
                    Reason::UnknownField,
                    format!("unknown field path '{}'", shown(other)),
                ),
            },
        }
    }
    v.finish(CustomerChanges { texts, metadata })
}

pub fn list_query(req: &pb::ListCustomersRequest) -> Result<ListQuery> {
    let mut v = Violations::default();
    let page = paging::parse(&mut v, req);
    if let Some(email) = &req.email {
        v.max_chars("email", email, EMAIL_MAX);
    }
    let (created_gte, created_lte) =
        v.created_range(req.created_gte.as_ref(), req.created_lte.as_ref());
    let filter = req
        .filter
        .as_ref()
        .and_then(|f| super::filter::parse(&mut v, "filter", f));
    v.finish(ListQuery {
        page,
        email: req.email.clone(),
        created_gte,
        created_lte,
        filter,
    })
}

/// A validated search request: its filter and the page it asks for.
pub fn search_query(req: &pb::SearchCustomersRequest) -> Result<ListQuery> {
    let mut v = Violations::default();
    let limit = match req.limit {
        0 => SEARCH_PAGE_DEFAULT,
        n if (1..=SEARCH_PAGE_MAX).contains(&n) => n,
        _ => {
            v.over_limit(
                "limit",
                Reason::OutOfRange,
                SEARCH_PAGE_MAX as usize,
                format!("must be between 1 and {SEARCH_PAGE_MAX}"),
            );
            SEARCH_PAGE_DEFAULT
        }
    };
    let start = if req.page.is_empty() {
        PageStart::Newest
    } else {
        match super::search::decode_page(&req.page) {
            Some((created, id)) => PageStart::AfterPosition { created, id },
            None => {
                v.add(
                    "page",
                    Reason::InvalidValue,
                    format!("'{}' is not a page token of a search", shown(&req.page)),
                );
                PageStart::Newest
            }
        }
    };
    let mut filter = None;
    if req.query.trim().is_empty() {
        v.add("query", Reason::Required, "a search needs a query");
    } else if req.query.chars().count() > SEARCH_QUERY_MAX {
        v.over_limit(
            "query",
            Reason::TooLong,
            SEARCH_QUERY_MAX,
            format!("must be at most {SEARCH_QUERY_MAX} characters"),
        );
    } else if v.text("query", &req.query) {
        match super::search::parse(&req.query) {
            Ok(parsed) => filter = Some(parsed),
            Err(err) => v.add("query", Reason::InvalidValue, err.to_string()),
        }
    }
    v.finish(ListQuery {
        page: PageRequest {
            limit: limit as u64,
            start,
            include_total: false,
        },
        email: None,
        created_gte: None,
        created_lte: None,
        filter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::FieldMask;

    fn update(fields: pb::CustomerUpdate, paths: &[&str]) -> pb::UpdateCustomerRequest {
        pb::UpdateCustomerRequest {
            id: "cus_x".into(),
            customer: Some(fields),
            update_mask: Some(FieldMask {
                paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            }),
            validate_only: false,
        }
    }

    #[test]
    fn masked_field_without_value_is_cleared_and_unmasked_field_kept() {
        let req = update(
            pb::CustomerUpdate {
                name: Some("ignored".into()),
                ..Default::default()
            },
            &["email"],
        );
        let c = customer_changes(&req).unwrap();
        assert_eq!(c.texts.email, Change::Clear);
        assert_eq!(c.texts.name, Change::Keep);
    }

    #[test]
    fn metadata_key_paths_set_or_remove() {
        let req = update(
            pb::CustomerUpdate {
                metadata: [("a".to_owned(), "1".to_owned())].into(),
                ..Default::default()
            },
            &["metadata.a", "metadata.b"],
        );
        let c = customer_changes(&req).unwrap();
        assert_eq!(c.metadata.set.get("a").map(String::as_str), Some("1"));
        assert!(c.metadata.remove.contains("b"));
        assert!(c.metadata.replace.is_none());
    }

    #[test]
    fn unknown_mask_path_is_reported() {
        let req = update(pb::CustomerUpdate::default(), &["nickname"]);
        let err = customer_changes(&req).unwrap_err();
        assert!(matches!(err, crate::error::Error::Invalid(v) if v[0].field == "update_mask"));
    }
}
