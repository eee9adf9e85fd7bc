//! Customer search in Stripe's query language, over REST in every profile
//! and over gRPC, evaluated by the database and paged with a token.

use customerd::proto::customers::v1 as pb;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, Rest, TestApp, authed, ids, spawn_app, urlencode};

backend_tests!(
    contains_folds_ascii_letters_and_finds_every_value_itself,
    search_clauses_match_what_they_say,
    search_pages_with_next_page_in_every_profile,
    malformed_queries_are_422s_naming_the_position,
);

async fn seed(rest: &Rest) -> [String; 4] {
    let bodies = [
        json!({"email": "ann@example.com", "name": "Ann Lee", "metadata": {"plan": "gold"}}),
        json!({"email": "bob@example.com", "name": "Bob Annand", "phone": "+1 555 0100"}),
        json!({"email": "cy@other.org", "name": "Cy", "metadata": {"plan": "free"}}),
        json!({"name": "Dee O'Brien"}),
    ];
    let mut out = Vec::new();
    for body in bodies {
        out.push(rest.create("/v1/customers", body).await);
    }
    out.try_into().unwrap()
}

async fn search(rest: &Rest, base: &str, query: &str) -> Value {
    rest.ok(&format!(
        "{base}/customers/search?query={}",
        urlencode(query)
    ))
    .await
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn search_clauses_match_what_they_say(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let [ann, bob, cy, dee] = seed(&rest).await;
    let cases: Vec<(&str, Vec<&String>)> = vec![
        (r#"email:"ann@example.com""#, vec![&ann]),
        (r#"name~"ANN""#, vec![&ann, &bob]),
        (r#"name~'o'"#, vec![&bob, &dee]),
        (r#"name~"o\'b""#, vec![&dee]),
        (r#"metadata["plan"]:"gold""#, vec![&ann]),
        (r#"-metadata["plan"]:"gold""#, vec![&bob, &cy, &dee]),
        (r#"-name~"ann""#, vec![&cy, &dee]),
        (r#"phone:null"#, vec![&ann, &cy, &dee]),
        (r#"-phone:null"#, vec![&bob]),
        (r#"-email:"ann@example.com""#, vec![&bob, &cy, &dee]),
        (r#"email:null OR email~"other""#, vec![&cy, &dee]),
        (r#"email~"example" AND -name~"bob""#, vec![&ann]),
        (
            r#"created>1000000000 AND created<'2999-01-01'"#,
            vec![&ann, &bob, &cy, &dee],
        ),
        (r#"created<1000000000"#, vec![]),
    ];
    for (query, expected) in cases {
        let found = search(&rest, "/v1", query).await;
        assert_eq!(found["object"], "search_result", "{query}");
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(
            sorted(ids(&found, "data")),
            sorted(expected),
            "{query}: {found}"
        );
    }

    // gRPC parses the same language.
    let reply = app
        .customers()
        .await
        .search_customers(authed(
            &app.key,
            pb::SearchCustomersRequest {
                query: r#"metadata["plan"]:"free" OR name:"Ann Lee""#.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let found: Vec<String> = reply.customers.into_iter().map(|c| c.id).collect();
    assert_eq!(sorted(found), sorted(vec![ann, cy]));

    // Another account sees none of them.
    let other = app.key_for("other", customerd::auth::Mode::Test).await;
    for query in [
        r#"name~"a""#,
        r#"name~"Ann Lee""#,
        r#"email~"@example.com""#,
    ] {
        let theirs = search(&app.rest_with(&other), "/v1", query).await;
        assert_eq!(theirs["data"], json!([]), "{query}");
    }
}

async fn page_through(rest: &Rest, base: &str, query: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let mut path = format!("{base}/customers/search?limit=2&query={}", urlencode(query));
        if let Some(token) = &page {
            path.push_str(&format!("&page={}", urlencode(token)));
        }
        let reply = rest.ok(&path).await;
        assert_eq!(reply["url"], format!("{base}/customers/search"));
        let data = ids(&reply, "data");
        assert!(data.len() <= 2);
        seen.extend(data);
        match &reply["next_page"] {
            Value::String(token) => {
                assert_eq!(reply["has_more"], true);
                page = Some(token.clone());
            }
            Value::Null => {
                assert_eq!(reply["has_more"], false);
                return seen;
            }
            other => panic!("next_page: {other}"),
        }
    }
}

async fn search_pages_with_next_page_in_every_profile(backend: Backend) {
    let app: TestApp = spawn_app(backend).await;
    let rest = app.rest();
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(
            rest.create(
                "/v1/customers",
                json!({"email": format!("p{i}@paged.example"), "name": format!("Paged {i}")}),
            )
            .await,
        );
    }
    rest.create("/v1/customers", json!({"email": "x@elsewhere.example"}))
        .await;
    created.reverse();
    for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
        assert_eq!(
            page_through(&rest, base, r#"email~"@paged.""#).await,
            created,
            "{base}"
        );
    }
    let epoch = search(&rest, "/epoch/v1", r#"name:"Paged 0""#).await;
    assert!(epoch["data"][0]["created_at"].is_i64(), "{epoch}");
    let paygate = search(&rest, "/v1", r#"name:"Paged 0""#).await;
    assert!(paygate["data"][0]["created_at"].is_string(), "{paygate}");

    // A token stays good when the customer it ends with is deleted.
    let first = rest
        .ok(&format!(
            "/v1/customers/search?limit=2&query={}",
            urlencode(r#"email~"@paged.""#)
        ))
        .await;
    let token = first["next_page"].as_str().unwrap().to_owned();
    let last_on_page = ids(&first, "data")[1].clone();
    assert_eq!(
        rest.delete(&format!("/v1/customers/{last_on_page}"))
            .await
            .status,
        200
    );
    let next = rest
        .ok(&format!(
            "/v1/customers/search?limit=2&page={}&query={}",
            urlencode(&token),
            urlencode(r#"email~"@paged.""#)
        ))
        .await;
    assert_eq!(ids(&next, "data"), created[2..4].to_vec());
}

async fn malformed_queries_are_422s_naming_the_position(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    for (query, words) in [
        (r#"email:"a" AND name:"b" OR phone:null"#, "at position 24"),
        ("nickname:\"x\"", "at position 1: unknown field 'nickname'"),
        ("email:gold", "at position 7"),
        ("email:\"open", "at position 7: unterminated string"),
    ] {
        let reply = rest
            .get(&format!("/v1/customers/search?query={}", urlencode(query)))
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_eq!(
            reply.body["detail"][0]["loc"],
            json!(["query", "query"]),
            "{query}"
        );
        let msg = reply.body["detail"][0]["msg"].as_str().unwrap();
        assert!(msg.contains(words), "{query}: {msg}");
    }
    let missing = rest.get("/v1/customers/search").await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.body["detail"][0]["loc"], json!(["query", "query"]));
    let bad_page = rest
        .get("/v1/customers/search?query=phone:null&page=nonsense")
        .await;
    assert_eq!(bad_page.status, 422, "{}", bad_page.body);
    assert_eq!(bad_page.body["detail"][0]["loc"], json!(["query", "page"]));
    let too_big = rest
        .get("/epoch/v1/customers/search?query=phone:null&limit=101")
        .await;
    assert_eq!(too_big.status, 422, "{}", too_big.body);
    assert_eq!(too_big.body["detail"][0]["loc"], json!(["query", "limit"]));
}

/// One folding rule on every database: A–Z match a–z, every other character
/// compares exactly, so a stored value always finds itself.
async fn contains_folds_ascii_letters_and_finds_every_value_itself(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let ecole = rest
        .create(
            "/v1/customers",
            json!({"name": "ÉCOLE Ørsted", "description": "Straße 5%_!", "metadata": {"city": "ÅRHUS"}}),
        )
        .await;
    let plain = rest
        .create("/v1/customers", json!({"name": "ecole orsted"}))
        .await;
    // Quotes, backslashes and dollar signs are text like any other.
    let quoted = rest
        .create("/v1/customers", json!({"name": "O'Brien \\ $t0$ 'x'"}))
        .await;
    let found = search(&rest, "/v1", r#"name~"'brien \\ $T0$ 'X""#).await;
    assert_eq!(ids(&found, "data"), [quoted]);
    for (query, expected) in [
        (r#"name~"ÉCOLE Ørsted""#, vec![&ecole]),
        (r#"name~"ÉCOLE""#, vec![&ecole]),
        (r#"name~"Écol""#, vec![&ecole]),
        (r#"name~"cole""#, vec![&ecole, &plain]),
        (r#"name~"COLE Ø""#, vec![&ecole]),
        (r#"name~"école""#, vec![]),
        (r#"name~"ørsted""#, vec![]),
        (r#"name~"rsted""#, vec![&ecole, &plain]),
        (r#"description~"5%_!""#, vec![&ecole]),
        (r#"description~"STRASSE""#, vec![]),
        (r#"metadata["city"]:"ÅRHUS""#, vec![&ecole]),
    ] {
        let found = search(&rest, "/v1", query).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(sorted(ids(&found, "data")), sorted(expected), "{query}");
    }
    // The same rule through the epoch filters, for contains and starts_with.
    let filters = |op: &str, value: &str| {
        urlencode(&json!({"field": "name", "op": op, "value": value}).to_string())
    };
    for (op, value, expected) in [
        ("starts_with", "ÉCO", vec![&ecole]),
        ("starts_with", "éco", vec![]),
        ("starts_with", "ECOLE", vec![&plain]),
        ("contains", "LE Ø", vec![&ecole]),
    ] {
        let found = rest
            .ok(&format!(
                "/epoch/v1/customers?filters={}",
                filters(op, value)
            ))
            .await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(
            sorted(ids(&found, "data")),
            sorted(expected),
            "{op} {value}"
        );
    }
    // Updates and deletes keep the index in step.
    rest.patch(
        &format!("/v1/customers/{plain}"),
        json!({"name": "renamed"}),
    )
    .await;
    assert_eq!(
        search(&rest, "/v1", r#"name~"rsted""#).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        rest.delete(&format!("/v1/customers/{ecole}")).await.status,
        200
    );
    assert_eq!(
        search(&rest, "/v1", r#"name~"rsted""#).await["data"],
        json!([])
    );
    assert_eq!(
        ids(&search(&rest, "/v1", r#"name~"RENAMED""#).await, "data"),
        [plain]
    );
}
