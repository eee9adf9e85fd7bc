//! Every response the gateway tests receive is checked against the OpenAPI
//! document the gateway serves: the operation (method and path template)
//! must document the status, and the body must match its schema.

use std::sync::LazyLock;

use serde_json::{Value, json};

/// The served document (the same bytes `/openapi.json` answers with).
static DOCUMENT: LazyLock<Value> = LazyLock::new(customerd_gateway::openapi::document);

/// The path template of `path` in the document, e.g. `/v1/customers/{id}`.
fn template(document: &Value, path: &str) -> Option<String> {
    let wanted: Vec<&str> = path.split('/').collect();
    document["paths"].as_object()?.keys().find_map(|template| {
        let parts: Vec<&str> = template.split('/').collect();
        let same = parts.len() == wanted.len()
            && parts
                .iter()
                .zip(&wanted)
                .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')));
        same.then(|| template.clone())
    })
}

/// Follows a `#/components/...` reference to what it names.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => reference
            .trim_start_matches("#/")
            .split('/')
            .fold(document, |node, part| &node[part]),
        None => value,
    }
}

/// Panics unless `body`, answered with `status` to `method path`, is what
/// the document says that operation answers. Paths the document does not
/// describe (the document itself, the docs page, unknown routes) are skipped.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    let document = &*DOCUMENT;
    let Some(template) = template(document, path) else {
        return;
    };
    let operation = &document["paths"][&template][method.to_ascii_lowercase()];
    if operation.is_null() {
        // The route has no such method: a 405, which no operation describes.
        assert_eq!(status, 405, "{method} {path} is not documented");
        return;
    }
    let response = &operation["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {template} does not document status {status}: {body}"
    );
    let response = resolve(document, response);
    let schema = &response["content"]["application/json"]["schema"];
    if schema.is_null() {
        return;
    }
    // References inside resolve against this root, which carries the components.
    let root = json!({ "components": document["components"], "allOf": [schema] });
    let validator = jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("the schema of {method} {template} {status} is invalid: {e}"));
    let problems: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{method} {path} answered {status} with a body the document does not allow:\n{}\n{body}",
        problems.join("\n")
    );
}
