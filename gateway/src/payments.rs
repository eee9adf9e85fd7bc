//! Payments in REST form: the create body bound into a `customers.v1`
//! request, and the payment object every profile writes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::body::{Body, Bound};
use crate::customers::CustomerRef;
use crate::objects::{Time, TimeStyle, enum_name, metadata, status_schema, time};
use crate::proto::pb;
use customerd_wire::limits::DESCRIPTION_MAX;
use customerd_wire::statuses::Status;

/// A payment's `status` on the wire.
pub fn statuses() -> &'static [(&'static str, pb::PaymentStatus)] {
    pb::PaymentStatus::table()
}

/// `POST /payments`: `amount` and `currency` required; `customer`, `status`
/// (default `succeeded`), `description` and `metadata` optional, null meaning
/// not given. The values' rules (amount > 0, ISO 4217, the customer exists,
/// lengths, metadata limits) are the service's.
pub fn create_request(body: Body, mut expand: Vec<String>) -> Bound<pb::CreatePaymentRequest> {
    let mut f = body.fields();
    // Expansions may come in the body as well as in the query.
    let expanded = f.doc(expand_schema).string_list("expand");
    expand.extend(expanded.into_option().unwrap_or_default());
    let customer = f
        .doc(|| json!({ "description": CUSTOMER_OF_THE_KEY }))
        .string("customer")
        .into_option();
    let amount = f.doc(|| {
        json!({
            "minimum": 1,
            "description": "In the currency's minor unit, greater than 0. A fraction or a number beyond int64 is a 422.",
        })
    });
    let amount = amount.integer("amount");
    let amount = f.required("amount", amount);
    let currency = f.doc(|| {
        json!({
            "pattern": "^[A-Za-z]{3}$",
            "description": "ISO 4217 code, either case; stored lowercase. Three letters that are no ISO 4217 code are a 422.",
        })
    });
    let currency = currency.string("currency");
    let currency = f.required("currency", currency);
    let status = f
        .doc(|| json!({ "description": "Default `succeeded`." }))
        .choice("status", statuses())
        .into_option();
    let description = f
        .doc(|| json!({ "maxLength": DESCRIPTION_MAX, "description": "Free text." }))
        .string("description")
        .into_option();
    let metadata = f.new_metadata("metadata");
    f.bind(pb::CreatePaymentRequest {
        customer,
        amount: amount.unwrap_or_default(),
        currency: currency.unwrap_or_default(),
        status: status.unwrap_or(pb::PaymentStatus::Unspecified) as i32,
        description,
        metadata,
        validate_only: false,
        expand,
    })
}

/// What the document says of a create's `customer`.
pub const CUSTOMER_OF_THE_KEY: &str =
    "A customer of the key's account and mode; any other id is a 422.";

/// What the document says of a create's `expand` beyond its type.
pub fn expand_schema() -> Value {
    json!({
        "items": { "enum": ["customer"] },
        "description": "`customer` puts the customer object where its id would be.",
    })
}

/// The payment object, the same fields in every profile.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Payment", deny_unknown_fields)]
pub struct PaymentJson<'a> {
    #[schemars(extend("example" = "pay_0123456789abcdef01234567"))]
    id: &'a str,
    #[schemars(extend("enum" = ["payment"]))]
    object: &'static str,
    /// The customer's id; null when there is none or it was deleted. With `expand[]=customer`, the customer object.
    customer: Option<CustomerRef<'a>>,
    /// In the currency's minor unit (e.g. cents).
    #[schemars(range(min = 1))]
    amount: i64,
    /// ISO 4217 code, lowercase.
    #[schemars(regex(pattern = "^[a-z]{3}$"))]
    currency: &'a str,
    #[schemars(schema_with = "status_schema::<pb::PaymentStatus>")]
    status: Option<&'static str>,
    description: Option<&'a str>,
    metadata: BTreeMap<&'a str, &'a str>,
    /// True for live-mode objects, false for test mode.
    live: bool,
    #[schemars(required)]
    created_at: Option<Time>,
}

impl<'a> PaymentJson<'a> {
    pub fn new(p: &'a pb::Payment, style: TimeStyle) -> Self {
        Self {
            id: &p.id,
            object: "payment",
            customer: p
                .customer
                .as_deref()
                .map(|id| CustomerRef::new(id, p.expanded_customer.as_ref(), style)),
            amount: p.amount,
            currency: &p.currency,
            status: enum_name(statuses(), p.status),
            description: p.description.as_deref(),
            metadata: metadata(&p.metadata),
            live: p.live,
            created_at: time(p.created_at.as_ref(), style),
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
    fn binds_every_field_and_maps_the_status() {
        let req = create_request(body(
            r#"{"customer": "cus_1", "amount": 2500, "currency": "USD", "status": "pending", "description": "order 7", "metadata": {"order": "7"}}"#,
        ), Vec::new()).into_result()
        .unwrap();
        assert_eq!(req.customer.as_deref(), Some("cus_1"));
        assert_eq!(req.amount, 2500);
        assert_eq!(req.currency, "USD");
        assert_eq!(req.status, pb::PaymentStatus::Pending as i32);
        assert_eq!(req.description.as_deref(), Some("order 7"));
        assert_eq!(req.metadata.get("order").map(String::as_str), Some("7"));
        let nulls = create_request(body(
            r#"{"customer": null, "amount": 1, "currency": "eur", "status": null, "description": null, "metadata": null}"#,
        ), Vec::new()).into_result()
        .unwrap();
        assert_eq!(nulls.customer, None);
        assert_eq!(nulls.status, pb::PaymentStatus::Unspecified as i32);
    }

    #[test]
    fn shape_problems_are_reported_together() {
        let Err(ApiError::Invalid(p)) = create_request(
            body(r#"{"amount": 1.5, "status": "paid", "tip": 1}"#),
            Vec::new(),
        )
        .into_result() else {
            panic!("problems expected");
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!([
                {"loc": ["body", "amount"], "msg": "value is not a valid integer", "type": "type_error.integer"},
                {"loc": ["body", "currency"], "msg": "field required", "type": "value_error.missing"},
                {"loc": ["body", "status"], "msg": "value is not a valid enumeration member; permitted: 'pending', 'succeeded', 'failed', 'refunded'", "type": "type_error.enum"},
                {"loc": ["body", "tip"], "msg": "extra fields not permitted", "type": "value_error.extra"},
            ])
        );
    }

    #[test]
    fn writes_status_names_and_null_customer() {
        let p = pb::Payment {
            id: "pay_1".into(),
            amount: 5,
            currency: "usd".into(),
            status: pb::PaymentStatus::Refunded as i32,
            created_at: Some(prost_types::Timestamp {
                seconds: 1_705_312_800,
                nanos: 5_000_000,
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(PaymentJson::new(&p, TimeStyle::Millis)).unwrap(),
            serde_json::json!({"id": "pay_1", "object": "payment", "customer": null, "amount": 5, "currency": "usd", "status": "refunded", "description": null, "metadata": {}, "live": false, "created_at": 1_705_312_800_005_i64})
        );
    }
}
