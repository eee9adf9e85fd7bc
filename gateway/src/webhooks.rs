//! Webhook endpoints in REST form: create and update bodies bound into
//! `customers.v1` requests, and the endpoint and delivery objects every
//! profile writes.

use prost_types::FieldMask;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::body::{Body, Bound, Field, Fields};
use crate::objects::{Time, TimeStyle, enum_name, status_schema, time};
use crate::proto::pb;
use customerd_wire::limits::{DESCRIPTION_MAX, WEBHOOK_ENABLED_EVENTS_MAX, WEBHOOK_URL_MAX};
use customerd_wire::statuses::Status;

/// An endpoint's `status` on the wire.
pub fn statuses() -> &'static [(&'static str, pb::WebhookEndpointStatus)] {
    pb::WebhookEndpointStatus::table()
}

/// `POST /webhook_endpoints`: `url` and `enabled_events` required,
/// `description` optional (null meaning not given). Events are sent in the
/// JSON of `format`, the profile the endpoint is created through. The
/// values' rules (http or https, a public address, known event types,
/// lengths) are the service's.
pub fn create_request(body: Body, format: &str) -> Bound<pb::CreateWebhookEndpointRequest> {
    let mut f = body.fields();
    let url = f.doc(url_schema).string("url");
    let url = f.required("url", url);
    let enabled_events = f.doc(enabled_events_schema).string_list("enabled_events");
    let enabled_events = f.required("enabled_events", enabled_events);
    let description = f
        .doc(|| description_schema("Free text."))
        .string("description")
        .into_option();
    f.bind(pb::CreateWebhookEndpointRequest {
        url: url.unwrap_or_default(),
        enabled_events: enabled_events.unwrap_or_default(),
        description,
        format: format.to_owned(),
    })
}

/// `PATCH /webhook_endpoints/{id}`: a field omitted keeps its value;
/// `description: null` (or `description=` in a form) clears it, while
/// `url`, `enabled_events` and `status` cannot be null. Bound as an update
/// mask naming exactly the fields sent.
pub fn update_request(id: String, body: Body) -> Bound<pb::UpdateWebhookEndpointRequest> {
    let mut f = body.fields();
    let mut paths = Vec::new();
    let url = f.doc(url_schema).string("url");
    let url = present(&mut f, &mut paths, "url", url);
    let enabled_events = f.doc(enabled_events_schema).string_list("enabled_events");
    let enabled_events = present(&mut f, &mut paths, "enabled_events", enabled_events);
    let description = match f
        .doc(|| description_schema("Free text; null clears it."))
        .string("description")
    {
        Field::Absent | Field::Invalid => None,
        Field::Null => {
            paths.push("description".to_owned());
            None
        }
        Field::Value(text) => {
            paths.push("description".to_owned());
            Some(text)
        }
    };
    let status = f
        .doc(|| json!({ "description": "A disabled endpoint is sent nothing." }))
        .choice("status", statuses());
    let status = present(&mut f, &mut paths, "status", status);
    f.bind(pb::UpdateWebhookEndpointRequest {
        id,
        url,
        enabled_events: enabled_events.unwrap_or_default(),
        description,
        status: status.unwrap_or(pb::WebhookEndpointStatus::Unspecified) as i32,
        update_mask: (!paths.is_empty()).then_some(FieldMask { paths }),
    })
}

/// The value of an update's field that may be left out but not cleared:
/// null is a problem, a value goes into the mask.
fn present<T>(f: &mut Fields, paths: &mut Vec<String>, name: &str, field: Field<T>) -> Option<T> {
    match f.not_null(name, field) {
        Field::Absent | Field::Null | Field::Invalid => None,
        Field::Value(value) => {
            paths.push(name.to_owned());
            Some(value)
        }
    }
}

/// What the document says of `url` beyond its type.
fn url_schema() -> Value {
    json!({
        "maxLength": WEBHOOK_URL_MAX,
        "description": "http or https. A host that resolves to a loopback, private or link-local address is a 422 unless the server runs with `--webhook-allow-private`.",
    })
}

/// What the document says of `enabled_events` beyond its type.
fn enabled_events_schema() -> Value {
    json!({
        "minItems": 1, "maxItems": WEBHOOK_ENABLED_EVENTS_MAX,
        "description": format!("Event types ({}), prefix patterns such as `customer.*`, or `*` for all.", customerd_wire::events::TYPES.join(", ")),
    })
}

fn description_schema(description: &str) -> Value {
    json!({ "maxLength": DESCRIPTION_MAX, "description": description })
}

/// The webhook endpoint object, the same fields in every profile; `secret`
/// only in the reply to its creation.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "WebhookEndpoint", deny_unknown_fields)]
pub struct WebhookEndpointJson<'a> {
    #[schemars(extend("example" = "we_0123456789abcdef01234567"))]
    id: &'a str,
    #[schemars(extend("enum" = ["webhook_endpoint"]))]
    object: &'static str,
    url: &'a str,
    /// Event types or prefix patterns (`customer.*`); `*` for all.
    enabled_events: &'a [String],
    description: Option<&'a str>,
    #[schemars(schema_with = "status_schema::<pb::WebhookEndpointStatus>")]
    status: Option<&'static str>,
    /// True for live-mode objects, false for test mode.
    live: bool,
    #[schemars(required)]
    created_at: Option<Time>,
    #[schemars(required)]
    updated_at: Option<Time>,
    /// The signing secret: in the reply to the create only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required, regex(pattern = format!("^{}", customerd_wire::webhooks::SECRET_PREFIX)))]
    secret: Option<&'a str>,
}

impl<'a> WebhookEndpointJson<'a> {
    pub fn new(e: &'a pb::WebhookEndpoint, style: TimeStyle) -> Self {
        Self {
            id: &e.id,
            object: "webhook_endpoint",
            url: &e.url,
            enabled_events: &e.enabled_events,
            description: e.description.as_deref(),
            status: enum_name(statuses(), e.status),
            live: e.live,
            created_at: time(e.created_at.as_ref(), style),
            updated_at: time(e.updated_at.as_ref(), style),
            secret: Some(e.secret.as_str()).filter(|s| !s.is_empty()),
        }
    }
}

/// One attempt to deliver an event to an endpoint, the same fields in every profile.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "WebhookDelivery", deny_unknown_fields)]
pub struct WebhookDeliveryJson<'a> {
    #[schemars(extend("example" = "wha_0123456789abcdef01234567"))]
    id: &'a str,
    #[schemars(extend("enum" = ["webhook_delivery"]))]
    object: &'static str,
    /// The endpoint's id.
    webhook_endpoint: &'a str,
    /// The id of the event sent.
    event: &'a str,
    #[schemars(extend("enum" = customerd_wire::events::TYPES))]
    event_type: &'a str,
    /// 1 for the first attempt of this event to this endpoint.
    #[schemars(range(min = 1))]
    attempt: i32,
    /// The receiver's HTTP status; null when it did not answer.
    status_code: Option<i32>,
    /// Why the attempt failed: a timeout, a refused address, a connection error, or the status.
    error: Option<&'a str>,
    /// A 2xx answer within 10 s.
    delivered: bool,
    #[schemars(required)]
    created_at: Option<Time>,
    /// How long the receiver took.
    #[schemars(range(min = 0))]
    duration_ms: i64,
    /// When the next attempt is due; null once delivered or given up.
    next_retry_at: Option<Time>,
}

impl<'a> WebhookDeliveryJson<'a> {
    pub fn new(d: &'a pb::WebhookDelivery, style: TimeStyle) -> Self {
        Self {
            id: &d.id,
            object: "webhook_delivery",
            webhook_endpoint: &d.webhook_endpoint,
            event: &d.event_id,
            event_type: &d.event_type,
            attempt: d.attempt,
            status_code: d.status_code,
            error: d.error.as_deref(),
            delivered: d.delivered,
            created_at: time(d.created_at.as_ref(), style),
            duration_ms: d.duration_ms,
            next_retry_at: time(d.next_retry_at.as_ref(), style),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use serde_json::json;

    fn body(json: &str) -> Body {
        Body::parse(json.as_bytes()).unwrap()
    }

    fn problems<T: std::fmt::Debug>(bound: Bound<T>) -> serde_json::Value {
        match bound.into_result() {
            Err(ApiError::Invalid(p)) => serde_json::to_value(&p).unwrap(),
            other => panic!("problems expected, got {other:?}"),
        }
    }

    #[test]
    fn create_binds_json_and_forms_in_the_profiles_format() {
        let req = create_request(
            body(r#"{"url": "https://example.com/hook", "enabled_events": ["customer.*", "payment.created"], "description": null}"#),
            "epoch",
        )
        .into_result()
        .unwrap();
        assert_eq!(
            req,
            pb::CreateWebhookEndpointRequest {
                url: "https://example.com/hook".into(),
                enabled_events: vec!["customer.*".into(), "payment.created".into()],
                description: None,
                format: "epoch".into(),
            }
        );
        for form in [
            "url=https%3A%2F%2Fexample.com%2Fhook&enabled_events[]=customer.*&enabled_events[]=payment.created&description=orders",
            "url=https%3A%2F%2Fexample.com%2Fhook&enabled_events[0]=customer.*&enabled_events[1]=payment.created&description=orders",
        ] {
            let req = create_request(Body::parse_form(form.as_bytes()).unwrap(), "paygate")
                .into_result()
                .unwrap();
            assert_eq!(
                req.enabled_events,
                ["customer.*", "payment.created"],
                "{form}"
            );
            assert_eq!(req.description.as_deref(), Some("orders"));
            assert_eq!(req.format, "paygate");
        }
    }

    #[test]
    fn create_reports_every_shape_problem() {
        assert_eq!(
            problems(create_request(
                body(r#"{"enabled_events": "*", "colour": 1}"#),
                "4geeks"
            )),
            json!([
                {"loc": ["body", "url"], "msg": "field required", "type": "value_error.missing"},
                {"loc": ["body", "enabled_events"], "msg": "value is not a valid list", "type": "type_error.list"},
                {"loc": ["body", "colour"], "msg": "extra fields not permitted", "type": "value_error.extra"},
            ])
        );
        assert_eq!(
            problems(create_request(
                body(r#"{"url": 5, "enabled_events": ["customer.created", 7], "description": []}"#),
                "4geeks"
            )),
            json!([
                {"loc": ["body", "url"], "msg": "str type expected", "type": "type_error.str"},
                {"loc": ["body", "enabled_events", 1], "msg": "str type expected", "type": "type_error.str"},
                {"loc": ["body", "description"], "msg": "str type expected", "type": "type_error.str"},
            ])
        );
    }

    #[test]
    fn update_mask_names_exactly_what_was_sent() {
        let req = update_request(
            "we_1".into(),
            body(r#"{"url": "https://example.com/2", "description": null, "status": "disabled"}"#),
        )
        .into_result()
        .unwrap();
        assert_eq!(
            req.update_mask.unwrap().paths,
            ["url", "description", "status"]
        );
        assert_eq!(req.url.as_deref(), Some("https://example.com/2"));
        assert_eq!(req.description, None);
        assert_eq!(req.status, pb::WebhookEndpointStatus::Disabled as i32);
        assert!(req.enabled_events.is_empty());

        let form = Body::parse_form(b"enabled_events[]=*&description=").unwrap();
        let req = update_request("we_1".into(), form).into_result().unwrap();
        assert_eq!(
            req.update_mask.unwrap().paths,
            ["enabled_events", "description"]
        );
        assert_eq!(req.enabled_events, ["*"]);
        assert_eq!(req.status, pb::WebhookEndpointStatus::Unspecified as i32);

        let req = update_request("we_1".into(), body("{}"))
            .into_result()
            .unwrap();
        assert_eq!(req.update_mask, None);
    }

    #[test]
    fn update_refuses_nulls_and_unknown_statuses() {
        assert_eq!(
            problems(update_request(
                "we_1".into(),
                body(r#"{"url": null, "enabled_events": null, "status": "paused"}"#)
            )),
            json!([
                {"loc": ["body", "url"], "msg": "none is not an allowed value", "type": "type_error.none.not_allowed"},
                {"loc": ["body", "enabled_events"], "msg": "none is not an allowed value", "type": "type_error.none.not_allowed"},
                {"loc": ["body", "status"], "msg": "value is not a valid enumeration member; permitted: 'enabled', 'disabled'", "type": "type_error.enum"},
            ])
        );
    }

    #[test]
    fn the_secret_is_written_only_when_set() {
        let mut e = pb::WebhookEndpoint {
            id: "we_1".into(),
            url: "https://example.com/hook".into(),
            enabled_events: vec!["*".into()],
            status: pb::WebhookEndpointStatus::Enabled as i32,
            format: "epoch".into(),
            created_at: Some(prost_types::Timestamp {
                seconds: 1_705_312_800,
                nanos: 0,
            }),
            updated_at: Some(prost_types::Timestamp {
                seconds: 1_705_312_801,
                nanos: 0,
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(WebhookEndpointJson::new(&e, TimeStyle::Iso)).unwrap(),
            json!({"id": "we_1", "object": "webhook_endpoint", "url": "https://example.com/hook", "enabled_events": ["*"], "description": null, "status": "enabled", "live": false, "created_at": "2024-01-15T10:00:00Z", "updated_at": "2024-01-15T10:00:01Z"})
        );
        e.secret = "whsec_abc".into();
        let json = serde_json::to_value(WebhookEndpointJson::new(&e, TimeStyle::Millis)).unwrap();
        assert_eq!(json["secret"], "whsec_abc");
        assert_eq!(json["created_at"], 1_705_312_800_000_i64);
    }

    #[test]
    fn deliveries_write_nulls_for_what_did_not_happen() {
        let d = pb::WebhookDelivery {
            id: "wha_1".into(),
            webhook_endpoint: "we_1".into(),
            event_id: "evt_1".into(),
            event_type: "customer.created".into(),
            attempt: 1,
            error: Some("connection refused".into()),
            created_at: Some(prost_types::Timestamp {
                seconds: 1_705_312_800,
                nanos: 0,
            }),
            duration_ms: 3,
            next_retry_at: Some(prost_types::Timestamp {
                seconds: 1_705_312_830,
                nanos: 0,
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(WebhookDeliveryJson::new(&d, TimeStyle::Iso)).unwrap(),
            json!({"id": "wha_1", "object": "webhook_delivery", "webhook_endpoint": "we_1", "event": "evt_1", "event_type": "customer.created", "attempt": 1, "status_code": null, "error": "connection refused", "delivered": false, "created_at": "2024-01-15T10:00:00Z", "duration_ms": 3, "next_retry_at": "2024-01-15T10:00:30Z"})
        );
    }
}
