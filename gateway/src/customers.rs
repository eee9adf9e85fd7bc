//! Customers in REST form: request bodies bound into `customers.v1` requests,
//! and the customer object every profile writes.

use std::collections::BTreeMap;

use prost::Message;
use prost_types::FieldMask;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::body::{Body, Bound, Field};
use crate::body_schema;
use crate::objects::{Time, TimeStyle, metadata, time};
use crate::proto::pb;

macro_rules! rest {
    ($($field:ident: $max:expr, $rule:ident;)*) => {
        /// `POST /customers`: every field optional and nullable (null = not
        /// given), except `email` when `email_required` (the 4geeks profile).
        /// Metadata values must be strings: null removes a key only in an update.
        pub fn create_request(
            body: Body,
            email_required: bool,
        ) -> Bound<pb::CreateCustomerRequest> {
            struct Given {
                $($field: Field<String>,)*
            }
            let mut f = body.fields();
            let mut given = Given {
                $($field: f
                    .doc(|| text_schema($max, stringify!($rule), email_required))
                    .string(stringify!($field)),)*
            };
            if email_required {
                given.email = f.required("email", given.email).map_or(Field::Absent, Field::Value);
            }
            let metadata = f.new_metadata("metadata");
            f.bind(pb::CreateCustomerRequest {
                $($field: given.$field.into_option(),)*
                metadata,
                validate_only: false,
            })
        }

        /// `PATCH /customers/{id}`: a field omitted keeps its value, null clears it;
        /// `metadata` merges key by key (null or "" removes a key) and
        /// `"metadata": null` clears it all. Bound as an update mask.
        pub fn update_request(id: String, body: Body) -> Bound<pb::UpdateCustomerRequest> {
            let mut f = body.fields();
            let mut paths = Vec::new();
            let mut named = |name: &str, field: Field<String>| match field {
                Field::Absent | Field::Invalid => None,
                Field::Null => {
                    paths.push(name.to_owned());
                    None
                }
                Field::Value(value) => {
                    paths.push(name.to_owned());
                    Some(value)
                }
            };
            $(let $field = named(
                stringify!($field),
                f.doc(|| text_schema($max, stringify!($rule), false)).string(stringify!($field)),
            );)*
            let mut metadata = BTreeMap::new();
            match f.doc(|| body_schema::metadata(true)).string_map("metadata") {
                Field::Absent | Field::Invalid => {}
                Field::Null => paths.push("metadata".to_owned()),
                Field::Value(entries) => {
                    for (key, value) in entries {
                        paths.push(format!("metadata.{key}"));
                        if let Some(value) = value {
                            metadata.insert(key, value);
                        }
                    }
                }
            }
            f.bind(pb::UpdateCustomerRequest {
                id,
                customer: Some(pb::CustomerUpdate {
                    $($field,)*
                    metadata,
                }),
                update_mask: (!paths.is_empty()).then_some(FieldMask { paths }),
                validate_only: false,
            })
        }

        /// The customer object, the same fields in every profile.
        #[derive(Debug, Serialize, JsonSchema)]
        #[schemars(rename = "Customer", deny_unknown_fields)]
        pub struct CustomerJson<'a> {
            #[schemars(extend("example" = "cus_0123456789abcdef01234567"))]
            id: &'a str,
            #[schemars(extend("enum" = ["customer"]))]
            object: &'static str,
            $($field: Option<&'a str>,)*
            metadata: BTreeMap<&'a str, &'a str>,
            /// True for live-mode objects, false for test mode.
            live: bool,
            #[schemars(required)]
            created_at: Option<Time>,
            #[schemars(required)]
            updated_at: Option<Time>,
        }

        impl<'a> CustomerJson<'a> {
            pub fn new(c: &'a pb::Customer, style: TimeStyle) -> Self {
                Self {
                    id: &c.id,
                    object: "customer",
                    $($field: c.$field.as_deref(),)*
                    metadata: metadata(&c.metadata),
                    live: c.live,
                    created_at: time(c.created_at.as_ref(), style),
                    updated_at: time(c.updated_at.as_ref(), style),
                }
            }
        }
    };
}

customerd_wire::customer_texts!(rest);

/// What the document says of a customer's text field of `rule` beyond its
/// type: its limit, and for `email` that it is an address.
fn text_schema(max: usize, rule: &str, required: bool) -> Value {
    if rule != "email" {
        return json!({ "maxLength": max });
    }
    let description = match required {
        true => "A valid email address (required).",
        false => "A valid email address.",
    };
    json!({ "maxLength": max, "format": "email", "description": description })
}

/// Where an object names its customer: the id, or with `expand[]=customer`
/// the customer object in the profile's format.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(inline)]
pub enum CustomerRef<'a> {
    Id(&'a str),
    Object(#[schemars(with = "CustomerJson<'static>")] serde_json::Value),
}

impl<'a> CustomerRef<'a> {
    pub fn new(id: &'a str, expanded: Option<&pb::ExpandedCustomer>, style: TimeStyle) -> Self {
        match expanded {
            // `ExpandedCustomer` has `Customer`'s fields, number for number.
            Some(e) => match pb::Customer::decode(e.encode_to_vec().as_slice()) {
                Ok(c) => Self::Object(
                    serde_json::to_value(CustomerJson::new(&c, style)).unwrap_or_default(),
                ),
                Err(_) => Self::Id(id),
            },
            None => Self::Id(id),
        }
    }
}

/// The reply to a delete in the paygate and 4geeks profiles.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted<'a> {
    pub id: &'a str,
    pub object: &'static str,
    #[schemars(extend("enum" = [true]))]
    pub deleted: bool,
}

impl<'a> Deleted<'a> {
    pub fn customer(c: &'a pb::Customer) -> Self {
        Self {
            id: &c.id,
            object: "customer",
            deleted: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn body(json: &str) -> Body {
        Body::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn update_mask_says_what_changes() {
        let req = update_request(
            "cus_1".into(),
            body(r#"{"name": "Jane Doe", "phone": null, "metadata": {"vip": "true", "old": null, "gone": ""}}"#),
        )
        .into_result()
        .unwrap();
        let mut paths = req.update_mask.unwrap().paths;
        paths.sort();
        assert_eq!(
            paths,
            [
                "metadata.gone",
                "metadata.old",
                "metadata.vip",
                "name",
                "phone"
            ]
        );
        let fields = req.customer.unwrap();
        assert_eq!(fields.name.as_deref(), Some("Jane Doe"));
        assert_eq!(fields.phone, None);
        assert_eq!(fields.metadata.get("vip").map(String::as_str), Some("true"));
        assert_eq!(fields.metadata.get("gone").map(String::as_str), Some(""));
        assert!(!fields.metadata.contains_key("old"));
    }

    #[test]
    fn metadata_null_clears_and_empty_body_changes_nothing() {
        let req = update_request("cus_1".into(), body(r#"{"metadata": null}"#))
            .into_result()
            .unwrap();
        assert_eq!(req.update_mask.unwrap().paths, ["metadata"]);
        let req = update_request("cus_1".into(), body("{}"))
            .into_result()
            .unwrap();
        assert_eq!(req.update_mask, None);
        assert_eq!(req.customer, Some(pb::CustomerUpdate::default()));
    }

    #[test]
    fn email_required_only_where_asked() {
        assert!(create_request(body("{}"), false).into_result().is_ok());
        let Err(ApiError::Invalid(p)) =
            create_request(body(r#"{"email": null}"#), true).into_result()
        else {
            panic!("email is required");
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!([{"loc": ["body", "email"], "msg": "field required", "type": "value_error.missing"}])
        );
        let Err(ApiError::Invalid(p)) = create_request(body(r#"{"email": 1}"#), true).into_result()
        else {
            panic!("email must be a string");
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, "type_error.str");
    }

    #[test]
    fn null_metadata_values_only_mean_something_in_updates() {
        let Err(ApiError::Invalid(p)) =
            create_request(body(r#"{"metadata": {"a": null}}"#), false).into_result()
        else {
            panic!("null is not a metadata value");
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!([{"loc": ["body", "metadata", "a"], "msg": "none is not an allowed value", "type": "type_error.none.not_allowed"}])
        );
    }
}
