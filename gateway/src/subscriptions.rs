//! Subscriptions in REST form: the create body bound into a `customers.v1`
//! request, and the subscription object every profile writes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::body::{Body, Bound};
use crate::customers::CustomerRef;
use crate::objects::{Time, TimeStyle, enum_name, metadata, status_schema, time};
use crate::payments::{CUSTOMER_OF_THE_KEY, expand_schema};
use std::sync::LazyLock;

use crate::proto::pb;
use customerd_wire::limits::PLAN_MAX;
use customerd_wire::statuses::Status;

/// A subscription's `status` on the wire, and the `status` filter of lists.
pub fn statuses() -> &'static [(&'static str, pb::SubscriptionStatus)] {
    pb::SubscriptionStatus::table()
}

/// The statuses a new subscription may have: not `canceled`.
pub fn new_statuses() -> &'static [(&'static str, pb::SubscriptionStatus)] {
    static NEW: LazyLock<Vec<(&'static str, pb::SubscriptionStatus)>> = LazyLock::new(|| {
        statuses()
            .iter()
            .copied()
            .filter(|(_, s)| *s != pb::SubscriptionStatus::Canceled)
            .collect()
    });
    &NEW
}

/// `POST /subscriptions`: `customer` and `plan` required; `status` (default
/// `active`) and `metadata` optional, null meaning not given. The values'
/// rules (the customer exists, plan length, metadata limits) are the service's.
pub fn create_request(body: Body, mut expand: Vec<String>) -> Bound<pb::CreateSubscriptionRequest> {
    let mut f = body.fields();
    // Expansions may come in the body as well as in the query.
    let expanded = f.doc(expand_schema).string_list("expand");
    expand.extend(expanded.into_option().unwrap_or_default());
    let customer = f
        .doc(|| json!({ "minLength": 1, "description": CUSTOMER_OF_THE_KEY }))
        .string("customer");
    let customer = f.required("customer", customer);
    let plan = f
        .doc(|| json!({ "minLength": 1, "maxLength": PLAN_MAX }))
        .string("plan");
    let plan = f.required("plan", plan);
    let status = f.doc(
        || json!({ "description": "Default `active`; a new subscription cannot be `canceled`." }),
    );
    let status = status.choice("status", new_statuses()).into_option();
    let metadata = f.new_metadata("metadata");
    f.bind(pb::CreateSubscriptionRequest {
        customer: customer.unwrap_or_default(),
        plan: plan.unwrap_or_default(),
        status: status.unwrap_or(pb::SubscriptionStatus::Unspecified) as i32,
        metadata,
        validate_only: false,
        expand,
    })
}

/// The `status` filter of a list: any status, `UNSPECIFIED` when not given.
pub fn status_filter(status: Option<pb::SubscriptionStatus>) -> i32 {
    status.unwrap_or(pb::SubscriptionStatus::Unspecified) as i32
}

/// The subscription object, the same fields in every profile.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Subscription", deny_unknown_fields)]
pub struct SubscriptionJson<'a> {
    #[schemars(extend("example" = "sub_0123456789abcdef01234567"))]
    id: &'a str,
    #[schemars(extend("enum" = ["subscription"]))]
    object: &'static str,
    /// The subscribed customer's id (kept after the customer is deleted). With `expand[]=customer`, the customer object while it exists.
    customer: CustomerRef<'a>,
    plan: &'a str,
    #[schemars(schema_with = "status_schema::<pb::SubscriptionStatus>")]
    status: Option<&'static str>,
    metadata: BTreeMap<&'a str, &'a str>,
    /// True for live-mode objects, false for test mode.
    live: bool,
    #[schemars(required)]
    created_at: Option<Time>,
    /// When it was canceled; null while it is not.
    canceled_at: Option<Time>,
}

impl<'a> SubscriptionJson<'a> {
    pub fn new(s: &'a pb::Subscription, style: TimeStyle) -> Self {
        Self {
            id: &s.id,
            object: "subscription",
            customer: CustomerRef::new(&s.customer, s.expanded_customer.as_ref(), style),
            plan: &s.plan,
            status: enum_name(statuses(), s.status),
            metadata: metadata(&s.metadata),
            live: s.live,
            created_at: time(s.created_at.as_ref(), style),
            canceled_at: time(s.canceled_at.as_ref(), style),
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
    fn binds_the_body_and_refuses_canceled_as_a_new_status() {
        let req = create_request(body(
            r#"{"customer": "cus_1", "plan": "pro", "status": "past_due", "metadata": {"seats": "3"}}"#,
        ), Vec::new()).into_result()
        .unwrap();
        assert_eq!(req.status, pb::SubscriptionStatus::PastDue as i32);
        assert_eq!(req.metadata.get("seats").map(String::as_str), Some("3"));
        let Err(ApiError::Invalid(p)) =
            create_request(body(r#"{"plan": null, "status": "canceled"}"#), Vec::new())
                .into_result()
        else {
            panic!("problems expected");
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!([
                {"loc": ["body", "customer"], "msg": "field required", "type": "value_error.missing"},
                {"loc": ["body", "plan"], "msg": "field required", "type": "value_error.missing"},
                {"loc": ["body", "status"], "msg": "value is not a valid enumeration member; permitted: 'active', 'trialing', 'past_due'", "type": "type_error.enum"},
            ])
        );
    }

    #[test]
    fn canceled_at_is_null_until_canceled() {
        let mut s = pb::Subscription {
            id: "sub_1".into(),
            customer: "cus_1".into(),
            plan: "pro".into(),
            status: pb::SubscriptionStatus::Active as i32,
            created_at: Some(prost_types::Timestamp {
                seconds: 1_705_312_800,
                nanos: 0,
            }),
            ..Default::default()
        };
        let json = serde_json::to_value(SubscriptionJson::new(&s, TimeStyle::Iso)).unwrap();
        assert_eq!(json["canceled_at"], serde_json::Value::Null);
        assert_eq!(json["created_at"], "2024-01-15T10:00:00Z");
        s.status = pb::SubscriptionStatus::Canceled as i32;
        s.canceled_at = s.created_at;
        let json = serde_json::to_value(SubscriptionJson::new(&s, TimeStyle::Millis)).unwrap();
        assert_eq!(json["status"], "canceled");
        assert_eq!(json["canceled_at"], 1_705_312_800_000_i64);
    }
}
