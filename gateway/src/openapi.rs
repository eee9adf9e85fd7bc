//! The OpenAPI 3 document at `/openapi.json`, describing every route of every
//! profile as it behaves, and the self-contained docs page at `/docs` that
//! renders it without fetching anything but the document.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::BODY_LIMIT;
use crate::filters;
use crate::profiles::{epoch, four_geeks, paygate};

/// What differs between profiles in the document.
struct ProfileDoc {
    tag: &'static str,
    base: &'static str,
    summary: &'static str,
    millis: bool,
    email_required: bool,
    list_schema: &'static str,
    list_parameters: fn() -> Vec<Value>,
    delete_schema: &'static str,
}

const PROFILES: [ProfileDoc; 3] = [
    ProfileDoc {
        tag: "paygate",
        base: paygate::BASE,
        summary: "PayGate / Shika Creators dialect: ISO 8601 times, cursor lists with a url.",
        millis: false,
        email_required: false,
        list_schema: "PaygateCustomerList",
        list_parameters: paygate_list_parameters,
        delete_schema: "DeletedCustomer",
    },
    ProfileDoc {
        tag: "4geeks",
        base: four_geeks::BASE,
        summary: "4geeks dialect: email required on create, offset pagination with a total.",
        millis: false,
        email_required: true,
        list_schema: "FourGeeksCustomerPage",
        list_parameters: four_geeks_list_parameters,
        delete_schema: "DeletedCustomer",
    },
    ProfileDoc {
        tag: "epoch",
        base: epoch::BASE,
        summary: "Epoch dialect: times in milliseconds, cursor lists with `filters`, delete returns the customer.",
        millis: true,
        email_required: false,
        list_schema: "EpochCustomerList",
        list_parameters: epoch_list_parameters,
        delete_schema: "EpochCustomer",
    },
];

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn query_parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn limit_parameter(max: i64, default: i64) -> Value {
    query_parameter(
        "limit",
        &format!("Page size, 1 to {max}."),
        json!({ "type": "integer", "minimum": 1, "maximum": max, "default": default }),
    )
}

fn cursor_parameters() -> Vec<Value> {
    vec![
        query_parameter(
            "starting_after",
            "A customer id: return the customers after (older than) it. Not with ending_before.",
            json!({ "type": "string" }),
        ),
        query_parameter(
            "ending_before",
            "A customer id: return the customers before (newer than) it. Not with starting_after.",
            json!({ "type": "string" }),
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

fn paygate_list_parameters() -> Vec<Value> {
    let instant = "ISO 8601 (`2024-01-15T10:00:00Z`, an offset, a fraction, or a bare date) or unix seconds. \
                   An instant names its whole second (or day, or fraction unit): `created[lte]` includes all of it.";
    let mut out = vec![limit_parameter(100, 10)];
    out.extend(cursor_parameters());
    out.push(query_parameter(
        "email",
        "Only customers with exactly this email address.",
        json!({ "type": "string" }),
    ));
    out.push(query_parameter(
        "created[gte]",
        &format!("Only customers created at or after this instant. {instant}"),
        instant_schema(),
    ));
    out.push(query_parameter(
        "created[lte]",
        &format!("Only customers created at or before this instant. {instant}"),
        instant_schema(),
    ));
    out
}

fn four_geeks_list_parameters() -> Vec<Value> {
    vec![
        limit_parameter(100, 10),
        query_parameter(
            "offset",
            "Number of customers to skip.",
            json!({ "type": "integer", "minimum": 0, "maximum": i32::MAX, "default": 0 }),
        ),
    ]
}

const FILTERS_GRAMMAR: &str = "A JSON document, evaluated by the database before paging:\n\n\
```\n\
filter    = condition | {\"and\": [filter, ...]} | {\"or\": [filter, ...]}\n\
condition = {\"field\": FIELD, \"op\": OP, \"value\": VALUE}\n\
FIELD     = email | name | phone | description | created_at | metadata.<key>\n\
OP        = eq | ne | contains | starts_with | gt | gte | lt | lte | is_null | is_not_null\n\
```\n\n\
`is_null` / `is_not_null` take no `value`. Text fields take eq, ne, contains, starts_with \
(the last two ignore ASCII case), is_null, is_not_null; `ne` also matches a null field. \
`metadata.<key>` is null when the key is absent. `created_at` takes eq, ne, gt, gte, lt, lte with \
integer milliseconds or an ISO 8601 string; a time names its whole millisecond (or second), so eq \
with a customer's own `created_at` finds it. `{\"and\": []}` matches all, `{\"or\": []}` none. \
At most 8 levels and 50 conditions.\n\n\
Example: `{\"and\":[{\"field\":\"email\",\"op\":\"contains\",\"value\":\"@example.com\"},\
{\"or\":[{\"field\":\"metadata.plan\",\"op\":\"eq\",\"value\":\"gold\"},{\"field\":\"created_at\",\"op\":\"gte\",\"value\":1705312800000}]}]}`";

fn epoch_list_parameters() -> Vec<Value> {
    let mut out = vec![limit_parameter(1000, 50)];
    out.extend(cursor_parameters());
    out.push(query_parameter(
        filters::PARAMETER,
        FILTERS_GRAMMAR,
        json!({ "type": "string" }),
    ));
    out
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": json_content(schema) })
}

/// The error responses every authenticated operation may give.
fn error_responses(responses: &mut Map<String, Value>, has_body: bool, has_id: bool) {
    responses.insert("401".into(), response_ref("Unauthenticated"));
    if has_id {
        responses.insert("404".into(), response_ref("NotFound"));
    }
    if has_body {
        responses.insert("409".into(), response_ref("Conflict"));
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
    let has_id = parameters.iter().any(|p| p["in"] == "path");
    let mut responses = Map::new();
    responses.insert("200".into(), success);
    error_responses(&mut responses, body.is_some(), has_id);
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
        "schema": { "type": "string", "maxLength": 255, "pattern": "^[\\t\\x20-\\x7e]*$" },
    })
}

fn id_parameter() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "description": "The customer's id (`cus_…`).", "schema": { "type": "string" } })
}

fn profile_paths(profile: &ProfileDoc, paths: &mut Map<String, Value>) {
    let customer = schema_ref(if profile.millis {
        "EpochCustomer"
    } else {
        "Customer"
    });
    let create_schema = schema_ref(if profile.email_required {
        "CustomerCreateEmailRequired"
    } else {
        "CustomerCreate"
    });
    let update = operation(
        profile,
        "update_customer",
        "Update a customer: omitted fields keep, null clears, metadata merges (null or \"\" removes a key, `\"metadata\": null` clears all).",
        vec![id_parameter()],
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
    paths.insert(
        format!("{}/customers", profile.base),
        json!({
            "post": operation(profile, "create_customer", "Create a customer.", vec![idempotency_parameter()], Some(create_schema), ok("The new customer.", customer.clone())),
            "get": operation(profile, "list_customers", "List customers, newest first.", (profile.list_parameters)(), None, ok("One page of customers.", schema_ref(profile.list_schema))),
        }),
    );
    paths.insert(
        format!("{}/customers/{{id}}", profile.base),
        json!({
            "get": operation(profile, "retrieve_customer", "Retrieve a customer.", vec![id_parameter()], None, ok("The customer.", customer.clone())),
            "patch": update,
            "post": update_post,
            "delete": operation(profile, "delete_customer", "Delete a customer.", vec![id_parameter()], None, ok("The deletion.", schema_ref(profile.delete_schema))),
        }),
    );
}

fn nullable_string(max: u64, description: &str) -> Value {
    json!({ "type": ["string", "null"], "maxLength": max, "description": description })
}

fn customer_schema(millis: bool) -> Value {
    let time = if millis {
        json!({ "type": "integer", "format": "int64", "description": "Milliseconds since the Unix epoch." })
    } else {
        json!({ "type": "string", "format": "date-time", "description": "RFC 3339 in UTC, to the second." })
    };
    let text = json!({ "type": ["string", "null"] });
    json!({
        "type": "object",
        "required": ["id", "object", "email", "name", "phone", "description", "metadata", "live", "created_at", "updated_at"],
        "properties": {
            "id": { "type": "string", "example": "cus_0123456789abcdef01234567" },
            "object": { "type": "string", "enum": ["customer"] },
            "email": text, "name": text, "phone": text, "description": text,
            "metadata": { "type": "object", "additionalProperties": { "type": "string" } },
            "live": { "type": "boolean", "description": "True for live-mode objects, false for test mode." },
            "created_at": time, "updated_at": time,
        },
        "additionalProperties": false,
    })
}

fn input_schema(email_required: bool, update: bool) -> Value {
    let mut email = json!({ "type": ["string", "null"], "format": "email", "maxLength": 254, "description": "A valid email address." });
    if email_required {
        email = json!({ "type": "string", "format": "email", "maxLength": 254, "description": "A valid email address (required)." });
    }
    let value = if update {
        json!({ "type": ["string", "null"], "maxLength": 500, "description": "null or \"\" removes the key." })
    } else {
        json!({ "type": "string", "maxLength": 500 })
    };
    let mut schema = json!({
        "type": "object",
        "properties": {
            "email": email,
            "name": nullable_string(256, "Full or business name."),
            "phone": nullable_string(64, "Phone number."),
            "description": nullable_string(1000, "Free text."),
            "metadata": {
                "type": ["object", "null"], "maxProperties": 50,
                "description": "String values; keys 1 to 40 characters.",
                "propertyNames": { "minLength": 1 },
                "additionalProperties": value,
            },
        },
        "additionalProperties": false,
    });
    // Keys are at most 40 characters; removing a longer one (which cannot
    // exist) is accepted as the no-op it is.
    schema["properties"]["metadata"]["patternProperties"] = if update {
        json!({ "^[\\s\\S]{41,}$": { "enum": [null, ""] } })
    } else {
        json!({ "^[\\s\\S]{41,}$": false })
    };
    if email_required {
        schema["required"] = json!(["email"]);
    }
    schema
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
    json!({
        "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer", "description": "`Authorization: Bearer sk_test_…`" },
            "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" },
        },
        "schemas": {
            "Customer": customer_schema(false),
            "EpochCustomer": customer_schema(true),
            "CustomerCreate": input_schema(false, false),
            "CustomerCreateEmailRequired": input_schema(true, false),
            "CustomerUpdate": input_schema(false, true),
            "DeletedCustomer": {
                "type": "object",
                "required": ["id", "object", "deleted"],
                "properties": {
                    "id": { "type": "string" },
                    "object": { "type": "string", "enum": ["customer"] },
                    "deleted": { "type": "boolean", "enum": [true] },
                },
            },
            "PaygateCustomerList": {
                "type": "object",
                "required": ["object", "url", "has_more", "data"],
                "properties": {
                    "object": { "type": "string", "enum": ["list"] },
                    "url": { "type": "string", "enum": ["/v1/customers"] },
                    "has_more": { "type": "boolean" },
                    "data": { "type": "array", "items": schema_ref("Customer") },
                },
            },
            "FourGeeksCustomerPage": {
                "type": "object",
                "required": ["items", "total_items", "limit", "offset"],
                "properties": {
                    "items": { "type": "array", "items": schema_ref("Customer") },
                    "total_items": { "type": "integer", "minimum": 0 },
                    "limit": { "type": "integer" },
                    "offset": { "type": "integer" },
                },
            },
            "EpochCustomerList": {
                "type": "object",
                "required": ["object", "data", "has_more"],
                "properties": {
                    "object": { "type": "string", "enum": ["list"] },
                    "data": { "type": "array", "items": schema_ref("EpochCustomer") },
                    "has_more": { "type": "boolean" },
                },
            },
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
        },
        "responses": {
            "ValidationError": ok("Validation failed: one entry per problem.", schema_ref("ValidationError")),
            "Unauthenticated": error("Missing or unknown API key."),
            "NotFound": error("No such customer (for this key's account and mode)."),
            "Conflict": error("The request conflicts with the current state."),
            "PayloadTooLarge": error(&format!("The body exceeds {BODY_LIMIT} bytes.")),
            "UnsupportedMediaType": error("The body is not JSON."),
            "RateLimited": error("Too many requests."),
            "Internal": error("Internal error (details are logged, never shown)."),
            "Unavailable": error("The service is unavailable; try again."),
        },
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for profile in &PROFILES {
        profile_paths(profile, &mut paths);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "customerd REST gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Three vendor dialects over one customers.v1 backend. \
                Every request needs a secret key as `Authorization: Bearer sk_…` or `X-Api-Key: sk_…`. \
                Validation errors are 422 `{\"detail\": [{\"loc\", \"msg\", \"type\"}]}`; other errors are \
                `{\"error\": {\"type\", \"message\"}}`. Unknown body fields and unknown query parameters are 422. \
                Every response carries `X-Request-Id`.",
        },
        "tags": PROFILES.iter().map(|p| json!({ "name": p.tag, "description": p.summary })).collect::<Vec<_>>(),
        "security": [{ "bearer": [] }, { "apiKey": [] }],
        "paths": paths,
        "components": components(),
    })
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

/// `GET /docs`
pub async fn serve_docs() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        include_str!("docs.html"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_has_every_customer_operation() {
        let doc = document();
        for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
            let list = &doc["paths"][format!("{base}/customers")];
            assert!(
                list["get"].is_object() && list["post"].is_object(),
                "{base}"
            );
            let one = &doc["paths"][format!("{base}/customers/{{id}}")];
            for method in ["get", "patch", "post", "delete"] {
                assert!(
                    one[method]["responses"]["200"].is_object(),
                    "{base} {method}"
                );
            }
        }
        let refs = doc.to_string();
        for name in ["Customer", "EpochCustomer", "ValidationError", "Error"] {
            assert!(
                refs.contains(&format!("#/components/schemas/{name}\"")),
                "{name}"
            );
        }
    }
}
