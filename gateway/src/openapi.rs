//! The OpenAPI 3 document at `/openapi.json`, describing every route of every
//! profile as it behaves, and the self-contained docs page at `/docs` that
//! renders it without fetching anything but the document.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::BODY_LIMIT;
use crate::objects::TimeStyle;
use crate::profiles::epoch::Epoch;
use crate::profiles::four_geeks::FourGeeks;
use crate::profiles::paygate::Paygate;
use crate::profiles::{PagingStyle, Profile};
use crate::{filters, payments, subscriptions, webhooks};
use customerd_wire::fields::CUSTOMER_TEXTS;
use customerd_wire::limits::{
    DESCRIPTION_MAX, FILTER_MAX_CONDITIONS, FILTER_MAX_DEPTH, IDEMPOTENCY_KEY_MAX,
    METADATA_KEY_MAX, METADATA_MAX_KEYS, METADATA_VALUE_MAX, PLAN_MAX, SEARCH_PAGE_DEFAULT,
    SEARCH_PAGE_MAX, SEARCH_QUERY_MAX, WEBHOOK_ENABLED_EVENTS_MAX, WEBHOOK_URL_MAX,
};
use customerd_wire::webhooks::SECRET_PREFIX;

/// What differs between profiles in the document: the profile's own facts,
/// and how its envelopes and filters look.
struct ProfileDoc {
    tag: &'static str,
    base: &'static str,
    summary: &'static str,
    millis: bool,
    email_required: bool,
    paging: PagingStyle,
    /// The list envelope, named `{envelope}{Resource}` (e.g. `PaygatePaymentList`).
    envelope: Envelope,
    /// The customer list's own filters, after the paging.
    customer_filters: fn() -> Vec<Value>,
    /// A delete answers with the object as it was, not `{id, object, deleted}`.
    deletes_answer_object: bool,
}

impl ProfileDoc {
    fn of<P: Profile>(envelope: Envelope, customer_filters: fn() -> Vec<Value>) -> Self {
        Self {
            tag: P::TAG,
            base: P::BASE,
            summary: P::SUMMARY,
            millis: P::TIMES == TimeStyle::Millis,
            email_required: P::CREATE_REQUIRES_EMAIL,
            paging: P::PAGING,
            envelope,
            customer_filters,
            deletes_answer_object: P::DELETE_ANSWERS_OBJECT,
        }
    }

    /// What a delete of `resource` answers: the object as it was, or `Deleted{resource}`.
    fn deleted(&self, resource: &str) -> Value {
        if self.deletes_answer_object {
            object_ref(self, resource)
        } else {
            schema_ref(&format!("Deleted{resource}"))
        }
    }

    /// The paging parameters of every list, given the noun they page over.
    fn paging_parameters(&self, noun: &str) -> Vec<Value> {
        match self.paging {
            PagingStyle::Cursor { max, default } => cursor_paging(noun, max, default),
            PagingStyle::Offset { max, default } => offset_paging(noun, max, default),
        }
    }
}

/// The shape of a profile's list envelope.
#[derive(Clone, Copy)]
enum Envelope {
    /// `{object: "list", url, has_more, data}`
    Paygate,
    /// `{items, total_items, limit, offset}`
    FourGeeks,
    /// `{object: "list", data, has_more}`
    Epoch,
}

impl Envelope {
    fn schema_name(self, resource: &str) -> String {
        match self {
            Self::Paygate => format!("Paygate{resource}List"),
            Self::FourGeeks => format!("FourGeeks{resource}Page"),
            Self::Epoch => format!("Epoch{resource}List"),
        }
    }
}

fn profiles() -> [ProfileDoc; 3] {
    [
        ProfileDoc::of::<Paygate>(Envelope::Paygate, paygate_customer_filters),
        ProfileDoc::of::<FourGeeks>(Envelope::FourGeeks, Vec::new),
        ProfileDoc::of::<Epoch>(Envelope::Epoch, epoch_customer_filters),
    ]
}

/// The three resources every profile serves.
const RESOURCES: [&str; 3] = ["Customer", "Payment", "Subscription"];

/// Everything else a profile lists, each in the profile's envelope.
const OTHER_LISTS: [&str; 3] = ["Event", "WebhookEndpoint", "WebhookDelivery"];

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn query_parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn limit_parameter(max: i32, default: i32) -> Value {
    query_parameter(
        "limit",
        &format!("Page size, 1 to {max}."),
        json!({ "type": "integer", "minimum": 1, "maximum": max, "default": default }),
    )
}

fn cursor_paging(noun: &str, max: i32, default: i32) -> Vec<Value> {
    vec![
        limit_parameter(max, default),
        query_parameter(
            "starting_after",
            &format!(
                "A {noun} id: return the {noun}s after (older than) it. Not with ending_before."
            ),
            json!({ "type": "string" }),
        ),
        query_parameter(
            "ending_before",
            &format!(
                "A {noun} id: return the {noun}s before (newer than) it. Not with starting_after."
            ),
            json!({ "type": "string" }),
        ),
    ]
}

fn offset_paging(noun: &str, max: i32, default: i32) -> Vec<Value> {
    vec![
        limit_parameter(max, default),
        query_parameter(
            "offset",
            &format!("Number of {noun}s to skip."),
            json!({ "type": "integer", "minimum": 0, "maximum": i32::MAX, "default": 0 }),
        ),
    ]
}

fn instant_schema() -> Value {
    json!({ "anyOf": [
        { "type": "string", "format": "date-time" },
        { "type": "string", "format": "date" },
        { "type": "string", "pattern": "^[0-9]{1,11}$", "description": "unix seconds" },
    ]})
}

fn paygate_customer_filters() -> Vec<Value> {
    let instant = "ISO 8601 (`2024-01-15T10:00:00Z`, an offset, a fraction, or a bare date) or unix seconds. \
                   An instant names its whole second (or day, or fraction unit): `created[lte]` includes all of it.";
    vec![
        query_parameter(
            "email",
            "Only customers with exactly this email address.",
            json!({ "type": "string" }),
        ),
        query_parameter(
            "created[gte]",
            &format!("Only customers created at or after this instant. {instant}"),
            instant_schema(),
        ),
        query_parameter(
            "created[lte]",
            &format!("Only customers created at or before this instant. {instant}"),
            instant_schema(),
        ),
    ]
}

/// The grammar of the epoch profile's `filters` parameter.
fn filters_grammar() -> String {
    let fields: Vec<&str> = CUSTOMER_TEXTS.iter().map(|f| f.name).collect();
    format!(
        "A JSON document, evaluated by the database before paging:\n\n\
```\n\
filter    = condition | {{\"and\": [filter, ...]}} | {{\"or\": [filter, ...]}}\n\
condition = {{\"field\": FIELD, \"op\": OP, \"value\": VALUE}}\n\
FIELD     = {} | created_at | metadata.<key>\n\
OP        = eq | ne | contains | starts_with | gt | gte | lt | lte | is_null | is_not_null\n\
```\n\n\
`is_null` / `is_not_null` take no `value`. Text fields take eq, ne, contains, starts_with \
(the last two ignore ASCII case), is_null, is_not_null; `ne` also matches a null field. \
`metadata.<key>` is null when the key is absent. `created_at` takes eq, ne, gt, gte, lt, lte with \
integer milliseconds or an ISO 8601 string; a time names its whole millisecond (or second), so eq \
with a customer's own `created_at` finds it. `{{\"and\": []}}` matches all, `{{\"or\": []}}` none. \
At most {FILTER_MAX_DEPTH} levels and {FILTER_MAX_CONDITIONS} conditions.\n\n\
Example: `{{\"and\":[{{\"field\":\"email\",\"op\":\"contains\",\"value\":\"@example.com\"}},\
{{\"or\":[{{\"field\":\"metadata.plan\",\"op\":\"eq\",\"value\":\"gold\"}},{{\"field\":\"created_at\",\"op\":\"gte\",\"value\":1705312800000}}]}}]}}`",
        fields.join(" | ")
    )
}

/// The search query language, as `customers.proto` defines it.
fn search_grammar() -> String {
    let fields: Vec<&str> = CUSTOMER_TEXTS.iter().map(|f| f.name).collect();
    format!(
        "Stripe's search query language:\n\n\
```\n\
query  = clause {{ (AND | OR) clause }}    AND and OR are not mixed\n\
clause = [-] field op value              - negates (and matches null fields)\n\
field  = {} | created | metadata[\"key\"]\n\
op     = : (equals) | ~ (contains, ignoring case) | > | >= | < | <=\n\
value  = \"text\" | 'text' | null | unix seconds\n\
```\n\n\
Text fields take `:` and `~` with a quoted value, and `:null`. `created` takes `:`, `>`, `>=`, `<`, `<=` \
with unix seconds or a quoted ISO 8601 instant (its whole second, or day). At most {SEARCH_QUERY_MAX} characters \
and {FILTER_MAX_CONDITIONS} clauses. A malformed query is a 422 whose message names the position.\n\n\
Example: `email~\"@example.com\" AND -metadata[\"plan\"]:\"gold\" AND created>1700000000`",
        fields.join(" | ")
    )
}

fn search_result_schema(millis: bool) -> Value {
    json!({
        "type": "object",
        "required": ["object", "url", "has_more", "next_page", "data"],
        "properties": {
            "object": { "type": "string", "enum": ["search_result"] },
            "url": { "type": "string" },
            "has_more": { "type": "boolean" },
            "next_page": { "type": ["string", "null"], "description": "The `page` of the next page; null on the last." },
            "data": { "type": "array", "items": schema_ref(if millis { "EpochCustomer" } else { "Customer" }) },
        },
        "additionalProperties": false,
    })
}

fn epoch_customer_filters() -> Vec<Value> {
    vec![query_parameter(
        filters::PARAMETER,
        &filters_grammar(),
        json!({ "type": "string" }),
    )]
}

fn customer_filter_parameter(noun: &str) -> Value {
    query_parameter(
        "customer",
        &format!(
            "Only the {noun}s of this customer (an id; one the key cannot see gives an empty list)."
        ),
        json!({ "type": "string" }),
    )
}

fn status_parameter(description: &str) -> Value {
    query_parameter(
        "status",
        description,
        json!({ "type": "string", "enum": names(subscriptions::statuses()) }),
    )
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": json_content(schema) })
}

/// The error responses every authenticated operation may give: the gateway
/// maps whatever the service answers through one table.
fn error_responses(responses: &mut Map<String, Value>, has_body: bool) {
    responses.insert("401".into(), response_ref("Unauthenticated"));
    responses.insert("404".into(), response_ref("NotFound"));
    responses.insert("409".into(), response_ref("Conflict"));
    if has_body {
        responses.insert("413".into(), response_ref("PayloadTooLarge"));
        responses.insert("415".into(), response_ref("UnsupportedMediaType"));
    }
    responses.insert("422".into(), response_ref("ValidationError"));
    responses.insert("429".into(), response_ref("RateLimited"));
    responses.insert("500".into(), response_ref("Internal"));
    responses.insert("503".into(), response_ref("Unavailable"));
}

fn operation(
    profile: &ProfileDoc,
    id: &str,
    summary: &str,
    parameters: Vec<Value>,
    body: Option<Value>,
    success: Value,
) -> Value {
    let mut responses = Map::new();
    responses.insert("200".into(), success);
    error_responses(&mut responses, body.is_some());
    let mut op = json!({
        "tags": [profile.tag],
        "operationId": format!("{}_{id}", profile.tag.replace('4', "four_")),
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(schema) = body {
        op["requestBody"] = json!({ "required": false, "content": json_content(schema) });
    }
    op
}

fn idempotency_parameter() -> Value {
    json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "Makes the create safe to retry: a repeat with the same key (per account and mode, for 24 hours) returns the first response; the same key with other parameters is a 409.",
        "schema": { "type": "string", "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[\\t\\x20-\\x7e]*$" },
    })
}

fn id_parameter(noun: &str, prefix: &str) -> Value {
    json!({ "name": "id", "in": "path", "required": true, "description": format!("The {noun}'s id (`{prefix}_…`)."), "schema": { "type": "string" } })
}

/// The schema of one object in a profile, e.g. `EpochPayment`.
fn object_ref(profile: &ProfileDoc, resource: &str) -> Value {
    schema_ref(&if profile.millis {
        format!("Epoch{resource}")
    } else {
        resource.to_owned()
    })
}

fn list_ref(profile: &ProfileDoc, resource: &str) -> Value {
    schema_ref(&profile.envelope.schema_name(resource))
}

fn profile_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    customer_paths(profile, paths);
    payment_paths(profile, paths);
    subscription_paths(profile, paths);
    event_paths(profile, paths);
    webhook_paths(profile, paths);
}

fn webhook_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    let endpoint = object_ref(profile, "WebhookEndpoint");
    // The create's reply is the only one that carries the secret.
    let created = json!({ "allOf": [endpoint.clone()], "required": ["secret"] });
    let id = || vec![id_parameter("webhook endpoint", "we")];
    let update = operation(
        profile,
        "update_webhook_endpoint",
        "Update a webhook endpoint: omitted fields keep, `description: null` clears; `enabled_events` replaces the list. \
         A disabled endpoint is sent nothing; enabled again, it receives the events committed from then on.",
        id(),
        Some(schema_ref("WebhookEndpointUpdate")),
        ok("The updated endpoint.", endpoint.clone()),
    );
    let mut update_post = update.clone();
    update_post["operationId"] = json!(format!(
        "{}_post",
        update["operationId"].as_str().unwrap_or("update")
    ));
    update_post["summary"] =
        json!("Update a webhook endpoint (POST, as Stripe-style clients send it); same as PATCH.");
    paths.insert(
        format!("{}/webhook_endpoints", profile.base),
        json!({
            "post": operation(profile, "create_webhook_endpoint", &format!("Create a webhook endpoint: the events it names are POSTed to its URL as JSON in this profile's format, signed with the `secret` this reply alone shows (header `{}: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`).", customerd_wire::webhooks::SIGNATURE_HEADER), vec![], Some(schema_ref("WebhookEndpointCreate")), ok("The new endpoint, with its secret.", created)),
            "get": operation(profile, "list_webhook_endpoints", "List webhook endpoints, newest first.", profile.paging_parameters("webhook endpoint"), None, ok("One page of webhook endpoints.", list_ref(profile, "WebhookEndpoint"))),
        }),
    );
    paths.insert(
        format!("{}/webhook_endpoints/{{id}}", profile.base),
        json!({
            "get": operation(profile, "retrieve_webhook_endpoint", "Retrieve a webhook endpoint (without its secret).", id(), None, ok("The endpoint.", endpoint)),
            "patch": update,
            "post": update_post,
            "delete": operation(profile, "delete_webhook_endpoint", "Delete a webhook endpoint; its pending deliveries are dropped.", id(), None, ok("The deletion.", profile.deleted("WebhookEndpoint"))),
        }),
    );
    let mut parameters = id();
    parameters.extend(profile.paging_parameters("delivery attempt"));
    parameters.push(query_parameter(
        "event",
        "Only the attempts to deliver this event (an id, `evt_…`).",
        json!({ "type": "string" }),
    ));
    paths.insert(
        format!("{}/webhook_endpoints/{{id}}/deliveries", profile.base),
        json!({
            "get": operation(profile, "list_webhook_deliveries", "List an endpoint's delivery attempts, newest first; 404 for an endpoint the key cannot see.", parameters, None, ok("One page of delivery attempts.", list_ref(profile, "WebhookDelivery"))),
        }),
    );
}

fn webhook_endpoint_schema(millis: bool) -> Value {
    json!({
        "type": "object",
        "required": ["id", "object", "url", "enabled_events", "description", "status", "live", "created_at", "updated_at"],
        "properties": {
            "id": { "type": "string", "example": "we_0123456789abcdef01234567" },
            "object": { "type": "string", "enum": ["webhook_endpoint"] },
            "url": { "type": "string" },
            "enabled_events": { "type": "array", "items": { "type": "string" }, "description": "Event types or prefix patterns (`customer.*`); `*` for all." },
            "description": { "type": ["string", "null"] },
            "status": { "type": "string", "enum": names(webhooks::statuses()) },
            "live": live_schema(),
            "created_at": time_schema(millis),
            "updated_at": time_schema(millis),
            "secret": { "type": "string", "pattern": format!("^{SECRET_PREFIX}"), "description": "The signing secret: in the reply to the create only." },
        },
        "additionalProperties": false,
    })
}

fn webhook_delivery_schema(millis: bool) -> Value {
    json!({
        "type": "object",
        "required": ["id", "object", "webhook_endpoint", "event", "event_type", "attempt", "status_code", "error", "delivered", "created_at", "duration_ms", "next_retry_at"],
        "properties": {
            "id": { "type": "string", "example": "wha_0123456789abcdef01234567" },
            "object": { "type": "string", "enum": ["webhook_delivery"] },
            "webhook_endpoint": { "type": "string", "description": "The endpoint's id." },
            "event": { "type": "string", "description": "The id of the event sent." },
            "event_type": { "type": "string", "enum": customerd_wire::events::TYPES },
            "attempt": { "type": "integer", "minimum": 1, "description": "1 for the first attempt of this event to this endpoint." },
            "status_code": { "type": ["integer", "null"], "description": "The receiver's HTTP status; null when it did not answer." },
            "error": { "type": ["string", "null"], "description": "Why the attempt failed: a timeout, a refused address, a connection error, or the status." },
            "delivered": { "type": "boolean", "description": "A 2xx answer within 10 s." },
            "created_at": time_schema(millis),
            "duration_ms": { "type": "integer", "format": "int64", "minimum": 0, "description": "How long the receiver took." },
            "next_retry_at": nullable_time_schema(millis, "When the next attempt is due; null once delivered or given up."),
        },
        "additionalProperties": false,
    })
}

fn enabled_events_input_schema() -> Value {
    json!({
        "type": "array", "minItems": 1, "maxItems": WEBHOOK_ENABLED_EVENTS_MAX,
        "items": { "type": "string" },
        "description": format!("Event types ({}), prefix patterns such as `customer.*`, or `*` for all.", customerd_wire::events::TYPES.join(", ")),
    })
}

fn webhook_url_input_schema() -> Value {
    json!({
        "type": "string", "maxLength": WEBHOOK_URL_MAX,
        "description": "http or https. A host that resolves to a loopback, private or link-local address is a 422 unless the server runs with `--webhook-allow-private`.",
    })
}

fn webhook_endpoint_create_schema() -> Value {
    json!({
        "type": "object",
        "required": ["url", "enabled_events"],
        "properties": {
            "url": webhook_url_input_schema(),
            "enabled_events": enabled_events_input_schema(),
            "description": nullable_string(DESCRIPTION_MAX, "Free text."),
        },
        "additionalProperties": false,
    })
}

fn webhook_endpoint_update_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "url": webhook_url_input_schema(),
            "enabled_events": enabled_events_input_schema(),
            "description": nullable_string(DESCRIPTION_MAX, "Free text; null clears it."),
            "status": { "type": "string", "enum": names(webhooks::statuses()), "description": "A disabled endpoint is sent nothing." },
        },
        "additionalProperties": false,
    })
}

fn event_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    let types =
        "An event type (`customer.created`, …), a prefix pattern such as `customer.*`, or `*`.";
    let mut list_parameters = profile.paging_parameters("event");
    list_parameters.push(query_parameter("type", types, json!({ "type": "string" })));
    list_parameters.push(query_parameter(
        "created[gte]",
        "Only events created at or after this instant.",
        instant_schema(),
    ));
    list_parameters.push(query_parameter(
        "created[lte]",
        "Only events created at or before this instant.",
        instant_schema(),
    ));
    let mut list = operation(
        profile,
        "list_events",
        "List events, newest first.",
        list_parameters,
        None,
        ok("One page of events.", list_ref(profile, "Event")),
    );
    list["responses"]["410"] = response_ref("Gone");
    paths.insert(format!("{}/events", profile.base), json!({ "get": list }));
    paths.insert(
        format!("{}/events/{{id}}", profile.base),
        json!({
            "get": operation(profile, "retrieve_event", "Retrieve an event.", vec![id_parameter("event", "evt")], None, ok("The event.", object_ref(profile, "Event"))),
        }),
    );
    let stream_parameters = vec![
        query_parameter(
            "types",
            &format!("Comma-separated; each one of: {types}"),
            json!({ "type": "string" }),
        ),
        query_parameter(
            "starting_after",
            "Resume after this event id (the `Last-Event-ID` header wins).",
            json!({ "type": "string" }),
        ),
        json!({ "name": "Last-Event-ID", "in": "header", "required": false, "description": "The id of the last event received; sent by a reconnecting EventSource.", "schema": { "type": "string" } }),
    ];
    let mut stream = operation(
        profile,
        "stream_events",
        "Server-sent events, oldest first: each as `id: evt_…`, `event: <type>`, `data: <the event as one line of JSON>`; \
         from after `Last-Event-ID` or `starting_after`, else from now on; a comment line at least every 15 s. \
         A watcher that leaves too many events unread is ended with an `error` event; reconnect to resume.",
        stream_parameters,
        None,
        json!({ "description": "The stream.", "content": { "text/event-stream": { "schema": { "type": "string" } } } }),
    );
    stream["responses"]["410"] = response_ref("Gone");
    paths.insert(
        format!("{}/events/stream", profile.base),
        json!({ "get": stream }),
    );
}

fn event_schema(millis: bool) -> Value {
    let prefix = if millis { "Epoch" } else { "" };
    let object = json!({ "anyOf": RESOURCES.map(|r| schema_ref(&format!("{prefix}{r}"))) });
    json!({
        "type": "object",
        "required": ["id", "object", "type", "live", "created_at", "data", "request"],
        "properties": {
            "id": { "type": "string", "description": "`evt_` and 24 hex characters." },
            "object": { "type": "string", "enum": ["event"] },
            "type": { "type": "string", "enum": customerd_wire::events::TYPES },
            "live": live_schema(),
            "created_at": time_schema(millis),
            "data": {
                "type": "object",
                "required": ["object"],
                "properties": {
                    "object": object,
                    "previous_attributes": { "type": "object", "description": "On `*.updated` only: the earlier values of the fields the change changed." },
                },
            },
            "request": {
                "type": "object",
                "required": ["id", "idempotency_key"],
                "properties": {
                    "id": { "type": ["string", "null"], "description": "The request id of the change." },
                    "idempotency_key": { "type": ["string", "null"] },
                },
            },
        },
    })
}

fn customer_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    let customer = object_ref(profile, "Customer");
    let create_schema = schema_ref(if profile.email_required {
        "CustomerCreateEmailRequired"
    } else {
        "CustomerCreate"
    });
    let id = || vec![id_parameter("customer", "cus")];
    let update = operation(
        profile,
        "update_customer",
        "Update a customer: omitted fields keep, null clears, metadata merges (null or \"\" removes a key, `\"metadata\": null` clears all).",
        id(),
        Some(schema_ref("CustomerUpdate")),
        ok("The updated customer.", customer.clone()),
    );
    let mut update_post = update.clone();
    update_post["operationId"] = json!(format!(
        "{}_post",
        update["operationId"].as_str().unwrap_or("update")
    ));
    update_post["summary"] =
        json!("Update a customer (POST, as Stripe-style clients send it); same as PATCH.");
    let mut list_parameters = profile.paging_parameters("customer");
    list_parameters.extend((profile.customer_filters)());
    paths.insert(
        format!("{}/customers", profile.base),
        json!({
            "post": operation(profile, "create_customer", "Create a customer.", vec![idempotency_parameter()], Some(create_schema), ok("The new customer.", customer.clone())),
            "get": operation(profile, "list_customers", "List customers, newest first.", list_parameters, None, ok("One page of customers.", list_ref(profile, "Customer"))),
        }),
    );
    let search_parameters = vec![
        json!({ "name": "query", "in": "query", "required": true, "description": search_grammar(), "schema": { "type": "string", "minLength": 1, "maxLength": SEARCH_QUERY_MAX } }),
        limit_parameter(SEARCH_PAGE_MAX, SEARCH_PAGE_DEFAULT),
        query_parameter(
            "page",
            "`next_page` of the previous page.",
            json!({ "type": "string" }),
        ),
    ];
    let result = if profile.millis {
        "EpochCustomerSearchResult"
    } else {
        "CustomerSearchResult"
    };
    paths.insert(
        format!("{}/customers/search", profile.base),
        json!({
            "get": operation(profile, "search_customers", "Search customers with Stripe's query language, newest first.", search_parameters, None, ok("One page of matching customers.", schema_ref(result))),
        }),
    );
    paths.insert(
        format!("{}/customers/{{id}}", profile.base),
        json!({
            "get": operation(profile, "retrieve_customer", "Retrieve a customer.", id(), None, ok("The customer.", customer.clone())),
            "patch": update,
            "post": update_post,
            "delete": operation(profile, "delete_customer", "Delete a customer: its active, trialing and past-due subscriptions are canceled and its payments detached (`customer: null`).", id(), None, ok("The deletion.", profile.deleted("Customer"))),
        }),
    );
}

fn payment_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    let payment = object_ref(profile, "Payment");
    let page = ok(
        "One page of payments, newest first.",
        list_ref(profile, "Payment"),
    );
    let mut list_parameters = profile.paging_parameters("payment");
    list_parameters.push(customer_filter_parameter("payment"));
    list_parameters.push(expand_parameter());
    paths.insert(
        format!("{}/payments", profile.base),
        json!({
            "post": operation(profile, "create_payment", "Record a payment, optionally for a customer of the key's account and mode.", vec![idempotency_parameter(), expand_parameter()], Some(schema_ref("PaymentCreate")), ok("The new payment.", payment.clone())),
            "get": operation(profile, "list_payments", "List payments, newest first.", list_parameters, None, page.clone()),
        }),
    );
    paths.insert(
        format!("{}/payments/{{id}}", profile.base),
        json!({
            "get": operation(profile, "retrieve_payment", "Retrieve a payment.", vec![id_parameter("payment", "pay"), expand_parameter()], None, ok("The payment.", payment)),
        }),
    );
    let mut parameters = vec![id_parameter("customer", "cus")];
    parameters.extend(profile.paging_parameters("payment"));
    parameters.push(expand_parameter());
    paths.insert(
        format!("{}/customers/{{id}}/payments", profile.base),
        json!({
            "get": operation(profile, "list_customer_payments", "List a customer's payments, newest first; 404 for a customer the key cannot see (or a deleted one).", parameters, None, page),
        }),
    );
}

fn subscription_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    let subscription = object_ref(profile, "Subscription");
    let page = ok(
        "One page of subscriptions, newest first.",
        list_ref(profile, "Subscription"),
    );
    let id = || vec![id_parameter("subscription", "sub")];
    let mut list_parameters = profile.paging_parameters("subscription");
    list_parameters.push(customer_filter_parameter("subscription"));
    list_parameters.push(status_parameter("Only subscriptions in this status."));
    list_parameters.push(expand_parameter());
    paths.insert(
        format!("{}/subscriptions", profile.base),
        json!({
            "post": operation(profile, "create_subscription", "Subscribe a customer of the key's account and mode to a plan.", vec![idempotency_parameter(), expand_parameter()], Some(schema_ref("SubscriptionCreate")), ok("The new subscription.", subscription.clone())),
            "get": operation(profile, "list_subscriptions", "List subscriptions, newest first.", list_parameters, None, page.clone()),
        }),
    );
    paths.insert(
        format!("{}/subscriptions/{{id}}", profile.base),
        json!({
            "get": operation(profile, "retrieve_subscription", "Retrieve a subscription.", vec![id_parameter("subscription", "sub"), expand_parameter()], None, ok("The subscription.", subscription.clone())),
            "delete": operation(profile, "delete_subscription", "Cancel a subscription, as the Stripe SDKs send it; same as `POST …/cancel`.", id(), None, ok("The canceled subscription.", subscription.clone())),
        }),
    );
    paths.insert(
        format!("{}/subscriptions/{{id}}/cancel", profile.base),
        json!({
            "post": operation(profile, "cancel_subscription", "Cancel a subscription. One already canceled is a 409 and keeps its `canceled_at`.", id(), Some(schema_ref("SubscriptionCancel")), ok("The canceled subscription.", subscription)),
        }),
    );
    let mut parameters = vec![id_parameter("customer", "cus")];
    parameters.extend(profile.paging_parameters("subscription"));
    parameters.push(status_parameter("Only subscriptions in this status."));
    parameters.push(expand_parameter());
    paths.insert(
        format!("{}/customers/{{id}}/subscriptions", profile.base),
        json!({
            "get": operation(profile, "list_customer_subscriptions", "List a customer's subscriptions, newest first; 404 for a customer the key cannot see (or a deleted one).", parameters, None, page),
        }),
    );
}

fn nullable_string(max: usize, description: &str) -> Value {
    json!({ "type": ["string", "null"], "maxLength": max, "description": description })
}

fn time_schema(millis: bool) -> Value {
    if millis {
        json!({ "type": "integer", "format": "int64", "description": "Milliseconds since the Unix epoch." })
    } else {
        json!({ "type": "string", "format": "date-time", "description": "RFC 3339 in UTC, to the second." })
    }
}

/// `time_schema` or null.
fn nullable_time_schema(millis: bool, description: &str) -> Value {
    let mut time = time_schema(millis);
    time["type"] = json!([time["type"], "null"]);
    time["description"] = json!(description);
    time
}

fn metadata_output_schema() -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

fn live_schema() -> Value {
    json!({ "type": "boolean", "description": "True for live-mode objects, false for test mode." })
}

fn customer_schema(millis: bool) -> Value {
    let time = time_schema(millis);
    let mut properties = json!({
        "id": { "type": "string", "example": "cus_0123456789abcdef01234567" },
        "object": { "type": "string", "enum": ["customer"] },
    });
    for field in CUSTOMER_TEXTS {
        properties[field.name] = json!({ "type": ["string", "null"] });
    }
    properties["metadata"] = metadata_output_schema();
    properties["live"] = live_schema();
    properties["created_at"] = time.clone();
    properties["updated_at"] = time;
    let required: Vec<&String> = properties
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    })
}

fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
    table.iter().map(|(name, _)| *name).collect()
}

fn payment_schema(millis: bool) -> Value {
    json!({
        "type": "object",
        "required": ["id", "object", "customer", "amount", "currency", "status", "description", "metadata", "live", "created_at"],
        "properties": {
            "id": { "type": "string", "example": "pay_0123456789abcdef01234567" },
            "object": { "type": "string", "enum": ["payment"] },
            "customer": expandable_customer(millis, true, "The customer's id; null when there is none or it was deleted. With `expand[]=customer`, the customer object."),
            "amount": { "type": "integer", "format": "int64", "minimum": 1, "description": "In the currency's minor unit (e.g. cents)." },
            "currency": { "type": "string", "pattern": "^[a-z]{3}$", "description": "ISO 4217 code, lowercase." },
            "status": { "type": "string", "enum": names(payments::statuses()) },
            "description": { "type": ["string", "null"] },
            "metadata": metadata_output_schema(),
            "live": live_schema(),
            "created_at": time_schema(millis),
        },
        "additionalProperties": false,
    })
}

/// A customer id, or with `expand[]=customer` the customer object.
fn expandable_customer(millis: bool, nullable: bool, description: &str) -> Value {
    let id = if nullable {
        json!({ "type": ["string", "null"] })
    } else {
        json!({ "type": "string" })
    };
    let object = schema_ref(if millis { "EpochCustomer" } else { "Customer" });
    json!({ "anyOf": [id, object], "description": description })
}

/// `expand[]`: the only expansion is `customer`.
fn expand_parameter() -> Value {
    json!({
        "name": "expand[]", "in": "query", "required": false, "style": "form", "explode": true,
        "description": "`customer` puts the customer object where its id would be.",
        "schema": { "type": "array", "items": { "type": "string", "enum": ["customer"] } },
    })
}

fn expand_body_schema() -> Value {
    json!({ "type": "array", "items": { "type": "string", "enum": ["customer"] }, "description": "`customer` puts the customer object where its id would be." })
}

fn subscription_schema(millis: bool) -> Value {
    json!({
        "type": "object",
        "required": ["id", "object", "customer", "plan", "status", "metadata", "live", "created_at", "canceled_at"],
        "properties": {
            "id": { "type": "string", "example": "sub_0123456789abcdef01234567" },
            "object": { "type": "string", "enum": ["subscription"] },
            "customer": expandable_customer(millis, false, "The subscribed customer's id (kept after the customer is deleted). With `expand[]=customer`, the customer object while it exists."),
            "plan": { "type": "string" },
            "status": { "type": "string", "enum": names(subscriptions::statuses()) },
            "metadata": metadata_output_schema(),
            "live": live_schema(),
            "created_at": time_schema(millis),
            "canceled_at": nullable_time_schema(millis, "When it was canceled; null while it is not."),
        },
        "additionalProperties": false,
    })
}

/// The `metadata` of a request body; in an update, null or "" removes a key.
fn metadata_input_schema(update: bool) -> Value {
    let value = if update {
        json!({ "type": ["string", "null"], "maxLength": METADATA_VALUE_MAX, "description": "null or \"\" removes the key." })
    } else {
        json!({ "type": "string", "maxLength": METADATA_VALUE_MAX })
    };
    // Removing a key longer than any key can be (which cannot exist) is
    // accepted as the no-op it is.
    let too_long = format!("^[\\s\\S]{{{},}}$", METADATA_KEY_MAX + 1);
    let long_keys = if update {
        json!({ too_long: { "enum": [null, ""] } })
    } else {
        json!({ too_long: false })
    };
    json!({
        "type": ["object", "null"], "maxProperties": METADATA_MAX_KEYS,
        "description": format!("String values; keys 1 to {METADATA_KEY_MAX} characters."),
        "propertyNames": { "minLength": 1 },
        "additionalProperties": value,
        "patternProperties": long_keys,
    })
}

/// A customer's create or update body: every field of [`CUSTOMER_TEXTS`] with
/// its rule, and metadata.
fn input_schema(email_required: bool, update: bool) -> Value {
    let mut properties = Map::new();
    for field in CUSTOMER_TEXTS {
        let mut schema = nullable_string(field.max_chars, "");
        if field.email {
            schema["format"] = json!("email");
            schema["description"] = json!("A valid email address.");
            if email_required {
                schema["type"] = json!("string");
                schema["description"] = json!("A valid email address (required).");
            }
        } else {
            schema.as_object_mut().map(|s| s.remove("description"));
        }
        properties.insert(field.name.to_owned(), schema);
    }
    properties.insert("metadata".to_owned(), metadata_input_schema(update));
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if email_required {
        schema["required"] = json!(["email"]);
    }
    schema
}

/// A nullable choice of `values`, null meaning the default.
fn nullable_choice(values: &[&str], description: &str) -> Value {
    let mut choices: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    choices.push(Value::Null);
    json!({ "type": ["string", "null"], "enum": choices, "description": description })
}

fn payment_create_schema() -> Value {
    json!({
        "type": "object",
        "required": ["amount", "currency"],
        "properties": {
            "customer": { "type": ["string", "null"], "description": "A customer of the key's account and mode; any other id is a 422." },
            "amount": { "type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX, "description": "In the currency's minor unit, greater than 0. A fraction or a number beyond int64 is a 422." },
            "currency": { "type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code, either case; stored lowercase. Three letters that are no ISO 4217 code are a 422." },
            "status": nullable_choice(&names(payments::statuses()), "Default `succeeded`."),
            "description": nullable_string(DESCRIPTION_MAX, "Free text."),
            "metadata": metadata_input_schema(false),
            "expand": expand_body_schema(),
        },
        "additionalProperties": false,
    })
}

fn subscription_create_schema() -> Value {
    json!({
        "type": "object",
        "required": ["customer", "plan"],
        "properties": {
            "customer": { "type": "string", "minLength": 1, "description": "A customer of the key's account and mode; any other id is a 422." },
            "plan": { "type": "string", "minLength": 1, "maxLength": PLAN_MAX },
            "status": nullable_choice(&names(subscriptions::new_statuses()), "Default `active`; a new subscription cannot be `canceled`."),
            "metadata": metadata_input_schema(false),
            "expand": expand_body_schema(),
        },
        "additionalProperties": false,
    })
}

/// The list envelope of `resource` in `envelope`.
fn list_schema(envelope: Envelope, base: &str, resource: &str, item: Value) -> Value {
    let data = json!({ "type": "array", "items": item });
    match envelope {
        Envelope::Paygate => {
            let plural = format!("{}s", resource.to_ascii_lowercase());
            // Payments and subscriptions are listed on their collection and
            // under a customer, deliveries under their endpoint, the rest at one path.
            let url = match resource {
                "Payment" | "Subscription" => {
                    json!({ "type": "string", "pattern": format!("^{base}/({plural}|customers/[^/]+/{plural})$"), "description": "The request path, without its query." })
                }
                "WebhookDelivery" => {
                    json!({ "type": "string", "pattern": format!("^{base}/webhook_endpoints/[^/]+/deliveries$"), "description": "The request path, without its query." })
                }
                "WebhookEndpoint" => {
                    json!({ "type": "string", "enum": [format!("{base}/webhook_endpoints")] })
                }
                _ => json!({ "type": "string", "enum": [format!("{base}/{plural}")] }),
            };
            json!({
                "type": "object",
                "required": ["object", "url", "has_more", "data"],
                "properties": {
                    "object": { "type": "string", "enum": ["list"] },
                    "url": url,
                    "has_more": { "type": "boolean" },
                    "data": data,
                },
            })
        }
        Envelope::FourGeeks => json!({
            "type": "object",
            "required": ["items", "total_items", "limit", "offset"],
            "properties": {
                "items": data,
                "total_items": { "type": "integer", "minimum": 0 },
                "limit": { "type": "integer" },
                "offset": { "type": "integer" },
            },
        }),
        Envelope::Epoch => json!({
            "type": "object",
            "required": ["object", "data", "has_more"],
            "properties": {
                "object": { "type": "string", "enum": ["list"] },
                "data": data,
                "has_more": { "type": "boolean" },
            },
        }),
    }
}

/// `{id, object, deleted: true}`, what a delete answers in most profiles.
fn deleted_schema(object: &str) -> Value {
    json!({
        "type": "object",
        "required": ["id", "object", "deleted"],
        "properties": {
            "id": { "type": "string" },
            "object": { "type": "string", "enum": [object] },
            "deleted": { "type": "boolean", "enum": [true] },
        },
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": { "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": { "type": "string", "example": "not_found" },
                "message": { "type": "string" },
            },
        }},
    })
}

fn components() -> Value {
    let error = |description: &str| ok(description, schema_ref("Error"));
    let mut components = json!({
        "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer", "description": "`Authorization: Bearer sk_test_…`" },
            "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" },
        },
        "schemas": {
            "Customer": customer_schema(false),
            "EpochCustomer": customer_schema(true),
            "CustomerSearchResult": search_result_schema(false),
            "EpochCustomerSearchResult": search_result_schema(true),
            "CustomerCreate": input_schema(false, false),
            "CustomerCreateEmailRequired": input_schema(true, false),
            "CustomerUpdate": input_schema(false, true),
            "Payment": payment_schema(false),
            "EpochPayment": payment_schema(true),
            "PaymentCreate": payment_create_schema(),
            "Subscription": subscription_schema(false),
            "EpochSubscription": subscription_schema(true),
            "SubscriptionCreate": subscription_create_schema(),
            "SubscriptionCancel": {
                "type": "object",
                "description": "Nothing to send: the body may be left out or be `{}`.",
                "properties": {},
                "additionalProperties": false,
            },
            "DeletedCustomer": deleted_schema("customer"),
            "ValidationError": {
                "type": "object",
                "required": ["detail"],
                "properties": { "detail": { "type": "array", "items": {
                    "type": "object",
                    "required": ["loc", "msg", "type"],
                    "properties": {
                        "loc": { "type": "array", "items": { "type": ["string", "integer"] } },
                        "msg": { "type": "string" },
                        "type": { "type": "string" },
                    },
                }}},
            },
            "Error": error_schema(),
            "Event": event_schema(false),
            "EpochEvent": event_schema(true),
            "WebhookEndpoint": webhook_endpoint_schema(false),
            "EpochWebhookEndpoint": webhook_endpoint_schema(true),
            "WebhookEndpointCreate": webhook_endpoint_create_schema(),
            "WebhookEndpointUpdate": webhook_endpoint_update_schema(),
            "DeletedWebhookEndpoint": deleted_schema("webhook_endpoint"),
            "WebhookDelivery": webhook_delivery_schema(false),
            "EpochWebhookDelivery": webhook_delivery_schema(true),
        },
        "responses": {
            "ValidationError": ok("Validation failed: one entry per problem.", schema_ref("ValidationError")),
            "Unauthenticated": error("Missing or unknown API key."),
            "NotFound": error("No such object (for this key's account and mode)."),
            "Conflict": error("The request conflicts with the current state."),
            "PayloadTooLarge": error(&format!("The body exceeds {BODY_LIMIT} bytes.")),
            "UnsupportedMediaType": error("The body is neither JSON nor a form."),
            "RateLimited": error("Too many requests."),
            "Internal": error("Internal error (details are logged, never shown)."),
            "Unavailable": error("The service is unavailable; try again."),
            "Gone": error("The event to resume after is older than the event retention."),
        },
    });
    for profile in &profiles() {
        for resource in RESOURCES.into_iter().chain(OTHER_LISTS) {
            components["schemas"][profile.envelope.schema_name(resource)] = list_schema(
                profile.envelope,
                profile.base,
                resource,
                object_ref(profile, resource),
            );
        }
    }
    components
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for profile in &profiles() {
        profile_paths(profile, &mut paths);
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "customerd REST gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Three vendor dialects over one customers.v1 backend. \
                Every request needs a secret key as `Authorization: Bearer sk_…` or `X-Api-Key: sk_…`. \
                Bodies are JSON, or `application/x-www-form-urlencoded` in Stripe's encoding (`metadata[k]=v`, \
                `expand[]=x`; numbers as text; an empty value clears a field, `metadata[k]=` removes a key). \
                Validation errors are 422 `{\"detail\": [{\"loc\", \"msg\", \"type\"}]}`; other errors are \
                `{\"error\": {\"type\", \"message\"}}`. Unknown body fields and unknown query parameters are 422. \
                Every response carries `X-Request-Id`. Strings must not contain NUL characters. \
                Request lines longer than the HTTP server accepts are 414, oversized headers 431.",
        },
        "tags": profiles().iter().map(|p| json!({ "name": p.tag, "description": p.summary })).collect::<Vec<_>>(),
        "security": [{ "bearer": [] }, { "apiKey": [] }],
        "paths": paths,
        "components": components(),
    });
    require_bodies_with_required_fields(&mut document);
    // What clients send: parameters and request bodies. Answers may repeat a
    // client's string, NUL included, so they are left as they are.
    forbid_nul_in_strings(&mut document["paths"]);
    for body in REQUEST_BODIES {
        forbid_nul_in_strings(&mut document["components"]["schemas"][body]);
    }
    document
}

/// The component schemas that describe request bodies.
const REQUEST_BODIES: [&str; 8] = [
    "CustomerCreate",
    "CustomerCreateEmailRequired",
    "CustomerUpdate",
    "PaymentCreate",
    "SubscriptionCreate",
    "SubscriptionCancel",
    "WebhookEndpointCreate",
    "WebhookEndpointUpdate",
];

/// A body whose schema has required fields cannot be left out: an absent
/// body reads as `{}`, which those fields make a 422.
fn require_bodies_with_required_fields(document: &mut Value) {
    let schemas = document["components"]["schemas"].clone();
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|p| p.values_mut())
    {
        let body = &mut operation["requestBody"];
        let Some(reference) = body["content"]["application/json"]["schema"]["$ref"].as_str() else {
            continue;
        };
        let name = reference.trim_start_matches("#/components/schemas/");
        let has_required = schemas[name]["required"]
            .as_array()
            .is_some_and(|fields| !fields.is_empty());
        if has_required {
            body["required"] = Value::Bool(true);
        }
    }
}

/// The service refuses NUL characters in every string (no database here can
/// store them); say so wherever the document has a string without a pattern.
fn forbid_nul_in_strings(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
                _ => false,
            };
            let open = !["pattern", "enum", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && open {
                map.insert("pattern".into(), Value::String("^[^\\u0000]*$".into()));
            }
            map.values_mut().for_each(forbid_nul_in_strings);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_nul_in_strings),
        _ => {}
    }
}

static DOCUMENT: LazyLock<Vec<u8>> =
    LazyLock::new(|| serde_json::to_vec_pretty(&document()).unwrap_or_default());

/// `GET /openapi.json`
pub async fn serve_document() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.as_slice(),
    )
        .into_response()
}

/// Swagger UI, its script and styles inline, reading `/openapi.json` from this
/// server: it works offline, and "Try it out" calls this server with the key
/// given under "Authorize".
static DOCS: LazyLock<String> = LazyLock::new(|| {
    aide::swagger::Swagger::new("/openapi.json")
        .with_title("customerd REST gateway")
        .html()
});

/// `GET /docs`
pub async fn serve_docs() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        DOCS.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_with_required_fields_are_required_and_strings_refuse_nul() {
        let doc = document();
        for (path, method, required) in [
            ("/v1/payments", "post", true),
            ("/epoch/v1/subscriptions", "post", true),
            ("/4geeks/v1/customers", "post", true),
            ("/v1/customers", "post", false),
            ("/v1/customers/{id}", "patch", false),
            ("/4geeks/v1/webhook_endpoints", "post", true),
            ("/epoch/v1/webhook_endpoints/{id}", "patch", false),
        ] {
            assert_eq!(
                doc["paths"][path][method]["requestBody"]["required"],
                Value::Bool(required),
                "{method} {path}"
            );
        }
        let nul_free = Value::String("^[^\\u0000]*$".into());
        let name = &doc["components"]["schemas"]["PaymentCreate"]["properties"]["description"];
        assert_eq!(name["pattern"], nul_free, "{name}");
        let customer_param = doc["paths"]["/v1/payments"]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "customer"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(customer_param["schema"]["pattern"], nul_free);
    }

    #[test]
    fn every_profile_has_every_operation() {
        let doc = document();
        let operations = [
            ("/customers", &["get", "post"][..]),
            ("/customers/search", &["get"]),
            ("/customers/{id}", &["get", "patch", "post", "delete"]),
            ("/customers/{id}/payments", &["get"]),
            ("/customers/{id}/subscriptions", &["get"]),
            ("/payments", &["get", "post"]),
            ("/payments/{id}", &["get"]),
            ("/subscriptions", &["get", "post"]),
            ("/subscriptions/{id}", &["get", "delete"]),
            ("/subscriptions/{id}/cancel", &["post"]),
            ("/events", &["get"]),
            ("/events/{id}", &["get"]),
            ("/events/stream", &["get"]),
            ("/webhook_endpoints", &["get", "post"]),
            (
                "/webhook_endpoints/{id}",
                &["get", "patch", "post", "delete"],
            ),
            ("/webhook_endpoints/{id}/deliveries", &["get"]),
        ];
        for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
            for (path, methods) in operations {
                let item = &doc["paths"][format!("{base}{path}")];
                for method in methods {
                    assert!(
                        item[method]["responses"]["200"].is_object(),
                        "{base}{path} {method}"
                    );
                }
            }
        }
        assert_eq!(
            doc["paths"].as_object().unwrap().len(),
            3 * operations.len()
        );
        let text = doc.to_string();
        let mut names: Vec<&String> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        names.retain(|name| !text.contains(&format!("#/components/schemas/{name}\"")));
        assert!(names.is_empty(), "unused schemas: {names:?}");
        let mut refs = text.split("#/components/schemas/").skip(1);
        assert!(refs.all(|r| {
            let name = &r[..r.find('"').unwrap()];
            doc["components"]["schemas"][name].is_object()
        }));
    }

    #[test]
    fn webhook_secrets_show_once_and_deletes_answer_as_the_profile_does() {
        let doc = document();
        let created = &doc["paths"]["/v1/webhook_endpoints"]["post"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert_eq!(created["required"], json!(["secret"]));
        let read = &doc["paths"]["/v1/webhook_endpoints/{id}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert_eq!(read, &schema_ref("WebhookEndpoint"));
        let endpoint = &doc["components"]["schemas"]["WebhookEndpoint"];
        assert!(
            !endpoint["required"]
                .as_array()
                .unwrap()
                .contains(&json!("secret"))
        );
        for (base, deleted) in [
            ("/v1", "DeletedWebhookEndpoint"),
            ("/4geeks/v1", "DeletedWebhookEndpoint"),
            ("/epoch/v1", "EpochWebhookEndpoint"),
        ] {
            let path = format!("{base}/webhook_endpoints/{{id}}");
            assert_eq!(
                doc["paths"][&path]["delete"]["responses"]["200"]["content"]["application/json"]["schema"],
                schema_ref(deleted),
                "{path}"
            );
        }
        assert_eq!(
            doc["paths"]["/epoch/v1/customers/{id}"]["delete"]["responses"]["200"]["content"]["application/json"]
                ["schema"],
            schema_ref("EpochCustomer")
        );
        let names: Vec<&str> = doc["paths"]["/4geeks/v1/webhook_endpoints/{id}/deliveries"]["get"]
            ["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["id", "limit", "offset", "event"]);
    }

    #[test]
    fn cancel_and_sub_resource_lists_document_their_errors() {
        let doc = document();
        let cancel = &doc["paths"]["/epoch/v1/subscriptions/{id}/cancel"]["post"]["responses"];
        for code in ["404", "409", "422"] {
            assert!(cancel[code].is_object(), "{code}");
        }
        let list = &doc["paths"]["/v1/customers/{id}/payments"]["get"];
        assert!(list["responses"]["404"].is_object());
        let names: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["id", "limit", "starting_after", "ending_before", "expand[]"]
        );
        assert_eq!(
            doc["components"]["schemas"]["EpochSubscription"]["properties"]["canceled_at"]["type"],
            json!(["integer", "null"])
        );
    }
}
