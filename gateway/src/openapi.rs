//! The OpenAPI 3.1 document at `/openapi.json`, describing every route of
//! every profile as it behaves, and the self-contained docs page at `/docs`
//! that renders it without fetching anything but the document.
//!
//! The schemas of what the gateway writes are derived from the types that
//! write it, once per profile (its time style and list envelope); the
//! operations are one table filled in with each profile's facts; request
//! bodies are recorded by the code that reads them (see
//! [`crate::body_schema`]), and parameters are described from the limits the
//! gateway and the service check them against.

use std::sync::LazyLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::body::{Body, Bound};
use crate::customers::Deleted;
use crate::error::{BODY_LIMIT, Detail, ErrorBody};
use crate::operations::{Answer, OPERATIONS, Op, Param};
use crate::profiles::epoch::Epoch;
use crate::profiles::four_geeks::FourGeeks;
use crate::profiles::paygate::Paygate;
use crate::profiles::{Object, Profile, SearchResult};
use crate::proto::pb;
use crate::query::{Query, instant_schema};
use crate::{customers, filters, payments, subscriptions, webhooks};
use customerd_wire::fields::CUSTOMER_TEXTS;
use customerd_wire::limits::{
    FILTER_MAX_CONDITIONS, IDEMPOTENCY_KEY_MAX, SEARCH_PAGE_DEFAULT, SEARCH_PAGE_MAX,
    SEARCH_QUERY_MAX,
};

/// What a reference to a component schema starts with.
const SCHEMAS: &str = "#/components/schemas/";

const EVENT_TYPES: &str =
    "An event type (`customer.created`, …), a prefix pattern such as `customer.*`, or `*`.";

/// The error answers: status, response name, what it means. 413 and 415
/// answer bodies only, 410 only what resumes after an event.
#[rustfmt::skip]
fn error_answers() -> [(&'static str, &'static str, String); 10] {
    [
        ("401", "Unauthenticated", "Missing or unknown API key.".into()),
        ("404", "NotFound", "No such object (for this key's account and mode).".into()),
        ("409", "Conflict", "The request conflicts with the current state.".into()),
        ("410", "Gone", "The event to resume after is older than the event retention.".into()),
        ("413", "PayloadTooLarge", format!("The body exceeds {BODY_LIMIT} bytes.")),
        ("415", "UnsupportedMediaType", "The body is neither JSON nor a form.".into()),
        ("422", "ValidationError", "Validation failed: one entry per problem.".into()),
        ("429", "RateLimited", "Too many requests.".into()),
        ("500", "Internal", "Internal error (details are logged, never shown).".into()),
        ("503", "Unavailable", "The service is unavailable; try again.".into()),
    ]
}

/// Adds what profile `P` writes to `schemas` and its operations to `paths`;
/// returns its tag.
fn add_profile<P: Profile>(schemas: &mut Value, paths: &mut Value) -> Value {
    let prefix: String = P::TAG[..1].to_uppercase() + &P::TAG[1..];
    let answers = merge(schemas, written::<P>(), &prefix);
    for op in OPERATIONS {
        let parameters = op.params.iter().flat_map(|p| parameters::<P>(*p));
        let operation = operation::<P>(op, &answers, schemas, parameters.collect());
        paths[format!("{}{}", P::BASE, op.path)][op.verb.name()] = operation;
    }
    json!({ "name": P::TAG, "description": P::SUMMARY })
}

/// The schemas of everything profile `P` writes, as their types name them,
/// and the references of its answers: `{"Customer": {"object", "list",
/// "deleted"}, …, "search"}`.
fn written<P: Profile>() -> (Map<String, Value>, Value) {
    let mut generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .with_transform(P::TIMES)
        .into_generator();
    let mut answers = Map::from_iter([
        answers::<P, pb::Customer>(&mut generator),
        answers::<P, pb::Payment>(&mut generator),
        answers::<P, pb::Subscription>(&mut generator),
        answers::<P, pb::Event>(&mut generator),
        answers::<P, pb::WebhookEndpoint>(&mut generator),
        answers::<P, pb::WebhookDelivery>(&mut generator),
    ]);
    let search = generator.subschema_for::<SearchResult>();
    answers.insert("search".into(), search.into());
    generator.subschema_for::<Deleted>();
    generator.subschema_for::<ErrorBody>();
    generator.subschema_for::<Detail>();
    (generator.take_definitions(true), Value::Object(answers))
}

/// The references of what profile `P` answers about `T`: one, a page, a deletion.
fn answers<P: Profile, T: Object + 'static>(generator: &mut SchemaGenerator) -> (String, Value) {
    let object = Value::from(generator.subschema_for::<T::Json<'static>>());
    let list = P::list_schema::<T::Json<'static>>(generator);
    let name = <T::Json<'static> as JsonSchema>::schema_name().into_owned();
    let deleted = match P::DELETE_ANSWERS_OBJECT {
        true => object.clone(),
        false => schema_ref(&format!("Deleted{name}")),
    };
    let answers = json!({ "object": object, "list": list, "deleted": deleted });
    (name, answers)
}

/// Adds the schemas one profile writes to `schemas`. One that differs from
/// an earlier profile's of the same name, or refers to one that does, is the
/// profile's own and takes its prefix (`EpochCustomer`), in every reference
/// to it too; returns the profile's answers, their references so renamed.
fn merge(schemas: &mut Value, written: (Map<String, Value>, Value), prefix: &str) -> Value {
    let (mut own, mut answers) = written;
    let differs = |(name, schema): &(&String, &Value)| {
        schemas.get(name.as_str()).is_some_and(|s| s != *schema)
    };
    while let Some(name) = own.iter().find(differs).map(|(name, _)| name.clone()) {
        let (from, to) = (
            json!(format!("{SCHEMAS}{name}")),
            json!(format!("{SCHEMAS}{prefix}{name}")),
        );
        for value in own.values_mut().chain([&mut answers]) {
            visit_objects(value, &mut |map| {
                if map.get("$ref") == Some(&from) {
                    map.insert("$ref".into(), to.clone());
                }
            });
        }
        let schema = own.remove(&name).unwrap_or_default();
        own.insert(format!("{prefix}{name}"), schema);
    }
    if let Some(schemas) = schemas.as_object_mut() {
        schemas.extend(own);
    }
    answers
}

/// Calls `f` on every object in `value`, outer ones first.
fn visit_objects(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            map.values_mut().for_each(|v| visit_objects(v, f));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| visit_objects(v, f)),
        _ => {}
    }
}

/// `parameter` of profile `P`: the parameters it stands for, one a line.
#[rustfmt::skip]
fn parameters<P: Profile>(parameter: Param) -> Vec<Value> {
    let string = || json!({ "type": "string" });
    let query = |name: &str, description: &str, schema: Value| {
        json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
    };
    match parameter {
        Param::Id(noun, prefix) => vec![json!({ "name": "id", "in": "path", "required": true, "description": format!("The {noun}'s id (`{prefix}_…`)."), "schema": string() })],
        Param::Paging(noun) => read(|q| { P::paging(q); }, |name, schema| match name {
            "limit" => format!("Page size, {} to {}.", schema["minimum"], schema["maximum"]),
            "starting_after" => format!("A {noun} id: return the {noun}s after (older than) it. Not with ending_before."),
            "ending_before" => format!("A {noun} id: return the {noun}s before (newer than) it. Not with starting_after."),
            "offset" => format!("Number of {noun}s to skip."),
            _ => String::new(),
        }),
        Param::Idempotency => vec![json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Makes the create safe to retry: a repeat with the same key (per account and mode, for 24 hours) returns the first response; the same key with other parameters is a 409.",
            "schema": { "type": "string", "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[\\t\\x20-\\x7e]*$" },
        })],
        // What a create's body says of its `expand`.
        Param::Expand => vec![json!({
            "name": "expand[]", "in": "query", "required": false, "style": "form", "explode": true,
            "description": payments::expand_schema()["description"],
            "schema": { "type": "array", "items": { "type": "string", "enum": payments::expand_schema()["items"]["enum"] } },
        })],
        Param::OfCustomer(noun) => vec![query("customer", &format!("Only the {noun}s of this customer (an id; one the key cannot see gives an empty list)."), string())],
        Param::Status => vec![query("status", "Only subscriptions in this status.", json!({ "type": "string", "enum": names(subscriptions::statuses()) }))],
        Param::CustomerFilters => read(|q| P::customer_filters(q, &mut Default::default()), |name, _| customer_filter(name)),
        Param::SearchQuery => vec![
            json!({ "name": "query", "in": "query", "required": true, "description": search_grammar(), "schema": { "type": "string", "minLength": 1, "maxLength": SEARCH_QUERY_MAX } }),
            query("limit", &format!("Page size, 1 to {SEARCH_PAGE_MAX}."), json!({ "type": "integer", "minimum": 1, "maximum": SEARCH_PAGE_MAX, "default": SEARCH_PAGE_DEFAULT })),
            query("page", "`next_page` of the previous page.", string()),
        ],
        Param::EventFilters => vec![
            query("type", EVENT_TYPES, string()),
            query("created[gte]", "Only events created at or after this instant.", instant_schema()),
            query("created[lte]", "Only events created at or before this instant.", instant_schema()),
        ],
        Param::StreamFrom => vec![
            query("types", &format!("Comma-separated; each one of: {EVENT_TYPES}"), string()),
            query("starting_after", "Resume after this event id (the `Last-Event-ID` header wins).", string()),
            json!({ "name": "Last-Event-ID", "in": "header", "required": false, "description": "The id of the last event received; sent by a reconnecting EventSource.", "schema": string() }),
        ],
        Param::Event => vec![query("event", "Only the attempts to deliver this event (an id, `evt_…`).", string())],
    }
}

/// `op` in profile `P`, whose answers refer to `schemas` as `answers` says.
fn operation<P: Profile>(
    op: &Op,
    answers: &Value,
    schemas: &Value,
    parameters: Vec<Value>,
) -> Value {
    let written = |resource: &str, what: &str| answers[resource][what].clone();
    let (description, schema) = match op.answer {
        Answer::Object(resource, description) => (description, written(resource, "object")),
        Answer::List(resource, description) => {
            let list = written(resource, "list");
            let name = list["$ref"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches(SCHEMAS);
            // An envelope that names the request path says which it is.
            let pattern = format!("^{}{}$", P::BASE, op.path.replace("{id}", "[^/]+"));
            match schemas[name]["properties"]["url"].is_object() {
                true => (
                    description,
                    json!({ "allOf": [list], "properties": { "url": { "pattern": pattern } } }),
                ),
                false => (description, list),
            }
        }
        Answer::Deleted(resource) => ("The deletion.", written(resource, "deleted")),
        Answer::Created(resource) => (
            "The new endpoint, with its secret.",
            json!({ "allOf": [written(resource, "object")], "required": ["secret"] }),
        ),
        Answer::Search => ("One page of matching customers.", answers["search"].clone()),
        Answer::Stream => ("The stream.", Value::Null),
    };
    let content = match schema {
        Value::Null => json!({ "text/event-stream": { "schema": { "type": "string" } } }),
        schema => json_content(schema),
    };
    let mut responses = json!({ "200": { "description": description, "content": content } });
    for (status, name, _) in error_answers() {
        let applies = match status {
            "413" | "415" => op.body.is_some(),
            "410" => op.gone,
            _ => true,
        };
        if applies {
            responses[status] = json!({ "$ref": format!("#/components/responses/{name}") });
        }
    }
    let mut operation = json!({
        "tags": [P::TAG],
        "operationId": format!("{}_{}", P::TAG.replace('4', "four_"), op.id),
        "summary": op.summary.replace("{SIGNATURE_HEADER}", customerd_wire::webhooks::SIGNATURE_HEADER),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = op.body {
        let body = match body {
            "CustomerCreate" if P::CREATE_REQUIRES_EMAIL => "CustomerCreateEmailRequired",
            body => body,
        };
        // An absent body reads as `{}`, which required fields make a 422.
        let required = schemas[body]["required"]
            .as_array()
            .is_some_and(|r| !r.is_empty());
        operation["requestBody"] =
            json!({ "required": required, "content": json_content(schema_ref(body)) });
    }
    operation
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// The query parameters `reading` takes, as it records them, each described
/// by `describe` from its name and schema.
fn read(reading: impl FnOnce(&mut Query), describe: impl Fn(&str, &Value) -> String) -> Vec<Value> {
    let mut query = Query::recording();
    reading(&mut query);
    let mut parameters = query.parameters();
    for parameter in &mut parameters {
        let name = parameter["name"].as_str().unwrap_or_default();
        parameter["description"] = describe(name, &parameter["schema"]).into();
    }
    parameters
}

/// What the profiles' customer list filters say.
fn customer_filter(name: &str) -> String {
    let instant = "ISO 8601 (`2024-01-15T10:00:00Z`, an offset, a fraction, or a bare date) or unix seconds. \
                   An instant names its whole second (or day, or fraction unit): `created[lte]` includes all of it.";
    match name {
        "email" => "Only customers with exactly this email address.".into(),
        "created[gte]" => format!("Only customers created at or after this instant. {instant}"),
        "created[lte]" => format!("Only customers created at or before this instant. {instant}"),
        filters::PARAMETER => filters::grammar(),
        _ => String::new(),
    }
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

fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
    table.iter().map(|(name, _)| *name).collect()
}

/// The schema of the body `read` takes, as it records it.
fn body<T>(read: impl FnOnce(Body) -> Bound<T>) -> Value {
    read(Body::recording()).schema()
}

/// The request bodies, by name, as their readers take them; strings in them
/// refuse NUL.
fn request_schemas() -> Map<String, Value> {
    let mut schemas = json!({
        "CustomerCreate": body(|b| customers::create_request(b, false)),
        "CustomerCreateEmailRequired": body(|b| customers::create_request(b, true)),
        "CustomerUpdate": body(|b| customers::update_request(String::new(), b)),
        "PaymentCreate": body(|b| payments::create_request(b, Vec::new())),
        "SubscriptionCreate": body(|b| subscriptions::create_request(b, Vec::new())),
        "SubscriptionCancel": {
            "type": "object",
            "description": "Nothing to send: the body may be left out or be `{}`.",
            "properties": {},
            "additionalProperties": false,
        },
        "WebhookEndpointCreate": body(|b| webhooks::create_request(b, "")),
        "WebhookEndpointUpdate": body(|b| webhooks::update_request(String::new(), b)),
    });
    forbid_nul_in_strings(&mut schemas);
    match schemas {
        Value::Object(schemas) => schemas,
        _ => Map::new(),
    }
}

/// The whole document.
pub fn document() -> Value {
    let mut schemas = Value::Object(request_schemas());
    let mut paths = json!({});
    let tags = [
        add_profile::<Paygate>(&mut schemas, &mut paths),
        add_profile::<FourGeeks>(&mut schemas, &mut paths),
        add_profile::<Epoch>(&mut schemas, &mut paths),
    ];
    // `{id, object, deleted}`, its `object` that of the deleted resource.
    for op in OPERATIONS {
        if let Answer::Deleted(resource) = op.answer {
            let mut deleted = schemas["Deleted"].clone();
            deleted["properties"]["object"] = schemas[resource]["properties"]["object"].clone();
            schemas[format!("Deleted{resource}")] = deleted;
        }
    }
    schemas
        .as_object_mut()
        .map(|schemas| schemas.remove("Deleted"));
    // What clients send: parameters (and request bodies, above). Answers may
    // repeat a client's string, NUL included, so they are left as they are.
    forbid_nul_in_strings(&mut paths);
    let responses: Map<String, Value> = error_answers()
        .into_iter()
        .map(|(_, name, description)| {
            let schema = if name == "ValidationError" {
                name
            } else {
                "Error"
            };
            let response =
                json!({ "description": description, "content": json_content(schema_ref(schema)) });
            (name.to_owned(), response)
        })
        .collect();
    json!({
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
        "tags": tags,
        "security": [{ "bearer": [] }, { "apiKey": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "`Authorization: Bearer sk_test_…`" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" },
            },
            "schemas": schemas,
            "responses": responses,
        },
    })
}

/// The service refuses NUL characters in every string (no database here can
/// store them); say so wherever `value` has a string without a pattern.
fn forbid_nul_in_strings(value: &mut Value) {
    visit_objects(value, &mut |map| {
        let is_string = match map.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
            _ => false,
        };
        let open = !["pattern", "enum", "const"]
            .iter()
            .any(|k| map.contains_key(*k));
        if is_string && open {
            map.insert("pattern".into(), json!("^[^\\u0000]*$"));
        }
    });
}

static DOCUMENT: LazyLock<Vec<u8>> =
    LazyLock::new(|| serde_json::to_vec_pretty(&document()).unwrap_or_default());

/// `GET /openapi.json`
pub async fn serve_document() -> Response {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT.as_slice()).into_response()
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
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], DOCS.as_str()).into_response()
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
    fn every_parameter_a_reader_records_is_described() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().unwrap() {
                    let described = p["description"].as_str().is_some_and(|d| !d.is_empty());
                    assert!(described, "{method} {path} {}", p["name"]);
                }
            }
        }
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
