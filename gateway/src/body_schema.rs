//! The JSON Schema of a request body, recorded by the code that reads it.
//!
//! A [`crate::body::Body::recording`] body is empty, and its
//! [`crate::body::Fields`] note every field they are asked for: its name, the
//! type the reader takes, whether it may be null or left out, and what the
//! reading code says of it beyond that (`Fields::doc`: the limits the service
//! checks it against, a description). The OpenAPI document runs each body's
//! reader once on such a body, so it describes exactly the fields the reader
//! takes. Bodies read from requests record nothing.

use serde_json::{Map, Value, json};

use customerd_wire::limits::{METADATA_KEY_MAX, METADATA_MAX_KEYS, METADATA_VALUE_MAX};

/// What a reader has noted so far.
#[derive(Debug, Default)]
pub struct Recording {
    properties: Map<String, Value>,
    required: Vec<Value>,
    /// What [`crate::body::Fields::doc`] said of the next field.
    pending: Value,
}

impl Recording {
    /// Field `name` is read as `schema`, with what was said of it merged in.
    pub fn field(&mut self, name: &str, mut schema: Value) {
        merge(&mut schema, std::mem::take(&mut self.pending));
        self.properties.insert(name.to_owned(), schema);
    }

    /// What the reading code says of the next field.
    pub fn say(&mut self, said: Value) {
        self.pending = said;
    }

    /// Field `name` may be left out but not be null.
    pub fn not_null(&mut self, name: &str) {
        if let Some(Value::Object(schema)) = self.properties.get_mut(name) {
            if let Some(Value::Array(types)) = schema.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    schema.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
        }
    }

    /// Field `name` must be given, and not as null.
    pub fn required(&mut self, name: &str) {
        self.not_null(name);
        self.required.push(name.into());
    }

    /// The body: the fields noted, nothing else.
    pub fn into_schema(self) -> Value {
        let mut schema = json!({ "type": "object", "properties": self.properties, "additionalProperties": false });
        if !self.required.is_empty() {
            schema["required"] = Value::Array(self.required);
        }
        schema
    }
}

/// Puts `extra` into `base`, object into object, anything else replacing;
/// a null says nothing.
fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra.into_iter().filter(|(_, v)| !v.is_null()) {
                match base.get_mut(&key) {
                    Some(old) => merge(old, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (_, Value::Null) => {}
        (base, extra) => *base = extra,
    }
}

/// The service's rules for `metadata`, beyond its reading as an object of
/// strings; in an update, null or "" removes a key.
pub fn metadata(update: bool) -> Value {
    // Removing a key longer than any key can be (which cannot exist) is
    // accepted as the no-op it is.
    let too_long = format!("^[\\s\\S]{{{},}}$", METADATA_KEY_MAX + 1);
    let (long_keys, removes) = match update {
        true => (
            json!({ "enum": [null, ""] }),
            json!("null or \"\" removes the key."),
        ),
        false => (json!(false), Value::Null),
    };
    json!({
        "maxProperties": METADATA_MAX_KEYS,
        "description": format!("String values; keys 1 to {METADATA_KEY_MAX} characters."),
        "propertyNames": { "minLength": 1 },
        "additionalProperties": { "maxLength": METADATA_VALUE_MAX, "description": removes },
        "patternProperties": { too_long: long_keys },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{Body, Field};

    const TABLE: &[(&str, u8)] = &[("one", 1), ("two", 2)];

    /// Reads `a` (required), `b` (a choice, not null), `c` (said to be short).
    fn read(body: Body) -> Value {
        let mut f = body.fields();
        let a = f.integer("a");
        f.required("a", a);
        let b = f.choice("b", TABLE);
        f.not_null("b", b);
        let c = f.doc(|| json!({ "maxItems": 3, "items": { "enum": ["x"] } }));
        let _: Field<Vec<String>> = c.string_list("c");
        f.bind(()).schema()
    }

    #[test]
    fn a_recording_reader_notes_what_it_takes_and_a_request_nothing() {
        assert_eq!(
            read(Body::recording()),
            json!({
                "type": "object",
                "properties": {
                    "a": { "type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX },
                    "b": { "type": "string", "enum": ["one", "two"] },
                    "c": { "type": ["array", "null"], "items": { "type": "string", "enum": ["x"] }, "maxItems": 3 },
                },
                "additionalProperties": false,
                "required": ["a"],
            })
        );
        assert_eq!(read(Body::parse(b"{}").unwrap()), Value::Null);
    }
}
