//! The gateway's error answers: every 422 rule on a body with its exact body,
//! malformed and mistyped JSON, body limits, keys, unknown routes and methods,
//! request ids, and the OpenAPI document and docs page. The 422s on query
//! parameters are in `gateway_query_errors`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::Backend::Sqlite;
use crate::helpers::{JSON, Rest, send, spawn_app};

/// A 422 body with the problems `entries`, as (loc, msg, type).
pub(crate) fn detail(entries: &[(&[Value], &str, &str)]) -> Value {
    json!({
        "detail": entries
            .iter()
            .map(|(loc, msg, kind)| json!({"loc": loc, "msg": msg, "type": kind}))
            .collect::<Vec<_>>()
    })
}

/// A new customer's id.
pub(crate) async fn customer_id(rest: &Rest) -> String {
    rest.create("/v1/customers", json!({"email": "a@example.com"}))
        .await
}

#[tokio::test]
async fn field_rules_answer_422_in_the_seed_vocabulary() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases: Vec<(String, Value)> = vec![
        (
            r#"{"email": "not-an-email"}"#.into(),
            detail(&[(&["body".into(), "email".into()], "value is not a valid email address", "value_error.email")]),
        ),
        (
            json!({"email": long_email}).to_string(),
            detail(&[(&["body".into(), "email".into()], "ensure this value has at most 254 characters", "value_error.any_str.max_length")]),
        ),
        (
            json!({"name": "n".repeat(257), "phone": "1".repeat(65), "description": "d".repeat(1001)}).to_string(),
            detail(&[
                (&["body".into(), "name".into()], "ensure this value has at most 256 characters", "value_error.any_str.max_length"),
                (&["body".into(), "phone".into()], "ensure this value has at most 64 characters", "value_error.any_str.max_length"),
                (&["body".into(), "description".into()], "ensure this value has at most 1000 characters", "value_error.any_str.max_length"),
            ]),
        ),
        (
            json!({"metadata": {"k".repeat(41): "v"}}).to_string(),
            detail(&[(&["body".into(), "metadata".into(), "k".repeat(41).into()], "ensure this value has at most 40 characters", "value_error.any_str.max_length")]),
        ),
        (
            json!({"metadata": {"plan": "x".repeat(501)}}).to_string(),
            detail(&[(&["body".into(), "metadata".into(), "plan".into()], "ensure this value has at most 500 characters", "value_error.any_str.max_length")]),
        ),
        (
            json!({"metadata": {"": "v"}}).to_string(),
            detail(&[(&["body".into(), "metadata".into()], "keys must not be empty", "value_error.empty_key")]),
        ),
        (
            json!({"metadata": (0..51).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}).to_string(),
            detail(&[(&["body".into(), "metadata".into()], "ensure this value has at most 50 items", "value_error.dict.max_items")]),
        ),
    ];
    for (body, want) in cases {
        for profile in ["/v1", "/4geeks/v1", "/epoch/v1"] {
            // The 4geeks profile needs an email; give a valid one where the case has none.
            let body = if profile == "/4geeks/v1" && !body.contains("\"email\"") {
                body.replacen('{', r#"{"email": "ok@example.com", "#, 1)
            } else {
                body.clone()
            };
            let reply = rest
                .post_raw(&format!("{profile}/customers"), &body, JSON)
                .await;
            assert_eq!(reply.status, 422, "{profile} {body}");
            let mut got = reply.body.clone();
            let mut want = want.clone();
            sort_detail(&mut got);
            sort_detail(&mut want);
            assert_eq!(got, want, "{profile} {body}");
        }
    }
    // Nothing was stored by the failed calls.
    assert_eq!(
        rest.get("/4geeks/v1/customers").await.body["total_items"],
        0
    );
}

fn sort_detail(body: &mut Value) {
    if let Some(entries) = body["detail"].as_array_mut() {
        entries.sort_by_key(|e| e.to_string());
    }
}

#[tokio::test]
async fn update_violations_point_at_body_fields() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let created = rest
        .post_raw(
            "/v1/customers",
            &json!({"metadata": (0..50).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}).to_string(),
            JSON,
        )
        .await;
    let id = created.body["id"].as_str().unwrap();
    let bad = rest
        .patch_raw(
            &format!("/v1/customers/{id}"),
            r#"{"email": "bad@", "metadata": {"plan": null}}"#,
            JSON,
        )
        .await;
    assert_eq!(
        bad.body,
        detail(&[(
            &["body".into(), "email".into()],
            "value is not a valid email address",
            "value_error.email"
        )])
    );
    let too_many = rest
        .patch_raw(
            &format!("/epoch/v1/customers/{id}"),
            r#"{"metadata": {"one_more": "v"}}"#,
            JSON,
        )
        .await;
    assert_eq!(too_many.status, 422);
    assert_eq!(
        too_many.body,
        detail(&[(
            &["body".into(), "metadata".into()],
            "ensure this value has at most 50 items",
            "value_error.dict.max_items"
        )])
    );
}

#[tokio::test]
async fn fourgeeks_requires_email_even_when_null() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    for body in ["{}", r#"{"email": null, "name": "x"}"#, ""] {
        let reply = rest.post_raw("/4geeks/v1/customers", body, JSON).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(
            reply.body,
            detail(&[(
                &["body".into(), "email".into()],
                "field required",
                "value_error.missing"
            )]),
            "{body}"
        );
    }
    // The other profiles do not require it.
    assert_eq!(rest.post_raw("/v1/customers", "{}", JSON).await.status, 200);
    assert_eq!(
        rest.post_raw("/epoch/v1/customers", "", JSON).await.status,
        200
    );
}

#[tokio::test]
async fn malformed_json_is_one_problem_on_the_body() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let id = customer_id(&rest).await;
    for (method, path) in [
        (Method::POST, "/v1/customers".to_owned()),
        (Method::PATCH, format!("/epoch/v1/customers/{id}")),
    ] {
        let reply = rest
            .raw(method, &path, r#"{"email": "a@example.com","#, JSON)
            .await;
        assert_eq!(reply.status, 422);
        assert_eq!(
            reply.body,
            detail(&[(
                &["body".into()],
                "JSON decode error: EOF while parsing a value at line 1 column 26",
                "value_error.jsondecode"
            )])
        );
    }
}

#[tokio::test]
async fn wrong_json_types_and_unknown_fields_are_all_reported() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let reply = rest.post_raw("/v1/customers",
        r#"{"email": 42, "name": ["x"], "phone": true, "description": {}, "metadata": {"a": 1, "b": "ok"}, "nickname": "x", "balance": 5}"#, JSON)
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.body,
        detail(&[
            (
                &["body".into(), "email".into()],
                "str type expected",
                "type_error.str"
            ),
            (
                &["body".into(), "name".into()],
                "str type expected",
                "type_error.str"
            ),
            (
                &["body".into(), "phone".into()],
                "str type expected",
                "type_error.str"
            ),
            (
                &["body".into(), "description".into()],
                "str type expected",
                "type_error.str"
            ),
            (
                &["body".into(), "metadata".into(), "a".into()],
                "str type expected",
                "type_error.str"
            ),
            (
                &["body".into(), "balance".into()],
                "extra fields not permitted",
                "value_error.extra"
            ),
            (
                &["body".into(), "nickname".into()],
                "extra fields not permitted",
                "value_error.extra"
            ),
        ])
    );
    let null_value = rest
        .post_raw("/v1/customers", r#"{"metadata": {"plan": null}}"#, JSON)
        .await;
    assert_eq!(
        null_value.body,
        detail(&[(
            &["body".into(), "metadata".into(), "plan".into()],
            "none is not an allowed value",
            "type_error.none.not_allowed"
        )])
    );
    let not_dict = rest
        .post_raw("/v1/customers", r#"{"metadata": "plan=gold"}"#, JSON)
        .await;
    assert_eq!(
        not_dict.body,
        detail(&[(
            &["body".into(), "metadata".into()],
            "value is not a valid dict",
            "type_error.dict"
        )])
    );
    for body in ["[]", "\"customer\"", "12", "null"] {
        let reply = rest.post_raw("/epoch/v1/customers", body, JSON).await;
        assert_eq!(
            reply.body,
            detail(&[(
                &["body".into()],
                "value is not a valid dict",
                "type_error.dict"
            )]),
            "{body}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_and_other_media_types_are_refused_with_json() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let huge = json!({"description": "x".repeat(200 * 1024)}).to_string();
    let reply = rest.post_raw("/v1/customers", &huge, JSON).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.body,
        json!({"error": {"type": "payload_too_large", "message": "the request body exceeds 131072 bytes"}})
    );
    assert!(reply.header("x-request-id").is_some());

    let text = rest.post_raw("/v1/customers", "{}", "text/plain").await;
    assert_eq!(text.status, 415);
    assert_eq!(
        text.body,
        json!({"error": {"type": "unsupported_media_type", "message": "send the body as application/json or application/x-www-form-urlencoded"}})
    );

    // curl -d without -H sends a form content type; a JSON body is still read as JSON,
    // and so is a body with no content type at all.
    for content_type in [Some("application/x-www-form-urlencoded"), None] {
        let mut request = rest
            .request(Method::POST, "/v1/customers")
            .body(r#"{"name": "curl"}"#);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        let reply = send(request).await;
        assert_eq!(reply.status, 200, "{content_type:?}: {}", reply.body);
        assert_eq!(reply.body["name"], "curl");
    }
}

#[tokio::test]
async fn an_idempotency_key_that_cannot_be_forwarded_is_a_422() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let reply = send(
        rest.request(Method::POST, "/v1/customers")
            .header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
            )
            .json(&json!({})),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.body,
        detail(&[(
            &["header".into(), "idempotency-key".into()],
            "must be visible ASCII",
            "value_error.invalid_value"
        )])
    );
}

#[tokio::test]
async fn keys_missing_or_unknown_answer_401_with_json() {
    let app = spawn_app(Sqlite).await;
    let missing = app.rest_without_key().get("/v1/customers").await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.body,
        json!({"error": {"type": "unauthenticated", "message": "missing API key: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'"}})
    );
    for (name, value) in [
        (
            "Authorization",
            "Bearer sk_test_0000000000000000000000000000000000000000",
        ),
        ("X-Api-Key", "sk_live_nope"),
        ("X-Api-Key", "nonsense"),
    ] {
        let reply = send(
            app.rest_without_key()
                .request(Method::POST, "/4geeks/v1/customers")
                .header(name, value)
                .json(&json!({"email": "a@example.com"})),
        )
        .await;
        assert_eq!(reply.status, 401, "{name}: {value}");
        assert_eq!(
            reply.body,
            json!({"error": {"type": "unauthenticated", "message": "invalid API key"}})
        );
    }
    let wrong_scheme = send(
        app.rest_without_key()
            .request(Method::GET, "/epoch/v1/customers")
            .header("Authorization", format!("Basic {}", app.key)),
    )
    .await;
    assert_eq!(wrong_scheme.status, 401);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    for path in [
        "/",
        "/v2/customers",
        "/v1/customers/cus_1/extra",
        "/v1/customer",
    ] {
        let reply = rest.get(path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.body,
            json!({"error": {"type": "not_found", "message": "no such route"}})
        );
        assert!(reply.header("x-request-id").is_some());
    }
    for (method, path) in [
        ("PUT", "/v1/customers"),
        ("DELETE", "/4geeks/v1/customers"),
        ("PUT", "/epoch/v1/customers/cus_1"),
        ("POST", "/openapi.json"),
    ] {
        let reply = send(rest.request(method.parse().unwrap(), path)).await;
        assert_eq!(reply.status, 405, "{method} {path}");
        assert_eq!(
            reply.body,
            json!({"error": {"type": "method_not_allowed", "message": "this route does not accept that method"}})
        );
        assert!(reply.header("x-request-id").is_some());
    }
    let missing = rest
        .get("/epoch/v1/customers/cus_000000000000000000000000")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body,
        json!({"error": {"type": "not_found", "message": "no such customer: 'cus_000000000000000000000000'"}})
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let given = send(
        rest.request(Method::GET, "/v1/customers")
            .header("X-Request-Id", "client-chosen-42"),
    )
    .await;
    assert_eq!(given.header("x-request-id"), Some("client-chosen-42"));

    let mut seen = std::collections::HashSet::new();
    for reply in [
        rest.get("/v1/customers").await,
        rest.get("/v1/customers?limit=0").await,
        app.rest_without_key().get("/v1/customers").await,
        send(
            rest.request(Method::GET, "/v1/customers")
                .header("X-Request-Id", "has space"),
        )
        .await,
    ] {
        let id = reply.header("x-request-id").expect("request id").to_owned();
        assert!(id.starts_with("req_") && id.len() == 28, "{id}");
        assert!(seen.insert(id));
    }
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest_without_key();
    let doc = rest.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    let mut listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        ["/4geeks/v1", "/epoch/v1", "/v1"]
            .iter()
            .flat_map(|base| {
                [
                    "/customers",
                    "/customers/search",
                    "/customers/{id}",
                    "/customers/{id}/payments",
                    "/customers/{id}/subscriptions",
                    "/events",
                    "/events/stream",
                    "/events/{id}",
                    "/payments",
                    "/payments/{id}",
                    "/subscriptions",
                    "/subscriptions/{id}",
                    "/subscriptions/{id}/cancel",
                    "/webhook_endpoints",
                    "/webhook_endpoints/{id}",
                    "/webhook_endpoints/{id}/deliveries",
                ]
                .map(|path| format!("{base}{path}"))
            })
            .collect::<Vec<_>>()
    );
    let list_params: Vec<&str> = doc.body["paths"]["/v1/customers"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        list_params,
        [
            "limit",
            "starting_after",
            "ending_before",
            "email",
            "created[gte]",
            "created[lte]"
        ]
    );

    let page = rest.request(Method::GET, "/docs").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("url: '/openapi.json'"),
        "reads this server's document"
    );
    assert!(html.contains("SwaggerUIBundle"), "Swagger UI");
    assert!(
        !html.contains("<script src") && !html.contains("<link"),
        "self-contained"
    );
}
