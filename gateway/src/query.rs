//! Query strings: parameters taken one by one, every problem reported at once.
//!
//! A parameter given twice takes its last value; a parameter the route does
//! not know is a 422 (`extra fields not permitted`), so a misspelt filter never
//! silently returns everything.

use prost_types::Timestamp;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::timestamps::Instant;
use crate::validation::{Loc, Problem, Rule, choose};

/// The parameters of one request, consumed as the route reads them.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
    problems: Vec<Problem>,
    /// The parameters read so far, as the OpenAPI document describes them,
    /// when the query is [`Query::recording`].
    recording: Option<Vec<Value>>,
}

/// The paging parameters of a list, as a profile reads them; the same fields
/// every `List…Request` of the service has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    pub limit: i32,
    pub starting_after: String,
    pub ending_before: String,
    pub offset: i32,
    /// Asked for where the profile shows a total.
    pub include_total_count: bool,
}

/// Which end of an instant's span a bound takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Lower,
    Upper,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        Self {
            pairs,
            problems: Vec::new(),
            recording: None,
        }
    }

    /// An empty query that notes every parameter read from it and its
    /// schema, for the OpenAPI document: [`Query::parameters`] gives them.
    pub fn recording() -> Self {
        Self {
            recording: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// The parameters a [`Query::recording`] was asked for, in order, each
    /// as an OpenAPI parameter without a description.
    pub fn parameters(self) -> Vec<Value> {
        self.recording.unwrap_or_default()
    }

    /// Notes that parameter `name` is read as `schema`, when recording.
    fn note(&mut self, name: &str, schema: impl FnOnce() -> Value) {
        if let Some(recording) = &mut self.recording {
            recording.push(
                json!({ "name": name, "in": "query", "required": false, "schema": schema() }),
            );
        }
    }

    /// Records a problem of the caller's own.
    pub fn problem(&mut self, loc: Loc, rule: Rule) {
        self.problems.push(Problem::new(loc, rule));
    }

    /// Records a problem found by a parser of one parameter.
    pub fn add(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Removes every occurrence of `name`, returning the last value.
    pub fn string(&mut self, name: &str) -> Option<String> {
        self.note(name, || json!({ "type": "string" }));
        self.text(name)
    }

    /// [`Self::string`], not noted.
    fn text(&mut self, name: &str) -> Option<String> {
        let mut last = None;
        self.pairs.retain(|(k, v)| {
            if k == name {
                last = Some(v.clone());
                false
            } else {
                true
            }
        });
        last
    }

    /// Every value of a list parameter, in order: `name=x`, `name[]=x` and
    /// `name[0]=x` all name an item (the form Stripe's clients send).
    pub fn list(&mut self, name: &str) -> Vec<String> {
        if let Some(recording) = &mut self.recording {
            recording.push(json!({
                "name": format!("{name}[]"), "in": "query", "required": false, "style": "form", "explode": true,
                "schema": { "type": "array", "items": { "type": "string" } },
            }));
        }
        let mut items = Vec::new();
        self.pairs.retain(|(k, v)| {
            let item = k == name
                || k.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('['))
                    .and_then(|rest| rest.strip_suffix(']'))
                    .is_some_and(|index| index.bytes().all(|b| b.is_ascii_digit()));
            if item {
                items.push(v.clone());
            }
            !item
        });
        items
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn integer(&mut self, name: &str, min: i32, max: i32, default: i32) -> i32 {
        self.note(
            name,
            || json!({ "type": "integer", "minimum": min, "maximum": max, "default": default }),
        );
        let Some(text) = self.text(name) else {
            return default;
        };
        match text.trim().parse::<i64>() {
            Err(_) => self.problem(Loc::query(name), Rule::NotInteger),
            Ok(n) if n < i64::from(min) => {
                self.problem(Loc::query(name), Rule::AtLeast(min.into()))
            }
            Ok(n) if n > i64::from(max) => self.problem(Loc::query(name), Rule::AtMost(max.into())),
            Ok(n) => return n as i32,
        }
        default
    }

    /// One of the wire names in `table`; any other value is a problem listing them.
    pub fn choice<T: Copy>(&mut self, name: &str, table: &[(&'static str, T)]) -> Option<T> {
        self.note(name, || {
            let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
            json!({ "type": "string", "enum": names })
        });
        let text = self.text(name)?;
        match choose(&text, table) {
            Ok(value) => Some(value),
            Err(rule) => {
                self.problem(Loc::query(name), rule);
                None
            }
        }
    }

    /// `limit` (1 to `max`, `default` when absent) with `starting_after` and `ending_before`.
    pub fn cursor_paging(&mut self, max: i32, default: i32) -> Paging {
        Paging {
            limit: self.integer("limit", 1, max, default),
            starting_after: self.string("starting_after").unwrap_or_default(),
            ending_before: self.string("ending_before").unwrap_or_default(),
            ..Paging::default()
        }
    }

    /// `limit` (1 to `max`, `default` when absent) with `offset` (default 0), counting the total.
    pub fn offset_paging(&mut self, max: i32, default: i32) -> Paging {
        Paging {
            limit: self.integer("limit", 1, max, default),
            offset: self.integer("offset", 0, i32::MAX, 0),
            include_total_count: true,
            ..Paging::default()
        }
    }

    /// An instant (unix seconds or ISO 8601); `bound` picks the start or end of
    /// the span the text names (see [`crate::timestamps`]).
    pub fn instant(&mut self, name: &str, bound: Bound) -> Option<Timestamp> {
        self.note(name, instant_schema);
        let text = self.text(name)?;
        match Instant::parse(&text) {
            Some(i) => Some(match bound {
                Bound::Lower => i.first(),
                Bound::Upper => i.last(),
            }),
            None => {
                self.problem(Loc::query(name), Rule::InvalidDatetime);
                None
            }
        }
    }

    /// Ok when every parameter was known and valid; otherwise every problem.
    pub fn finish(mut self) -> Result<(), ApiError> {
        let mut unknown: Vec<String> = Vec::new();
        for (name, _) in self.pairs.drain(..) {
            if !unknown.contains(&name) {
                unknown.push(name);
            }
        }
        for name in unknown {
            self.problem(Loc::query(&name), Rule::Extra);
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.problems))
        }
    }
}

/// The schema of what [`Query::instant`] reads.
pub fn instant_schema() -> Value {
    json!({ "anyOf": [
        { "type": "string", "format": "date-time" },
        { "type": "string", "format": "date" },
        { "type": "string", "pattern": "^[0-9]{1,11}$", "description": "unix seconds" },
    ]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_query_notes_each_parameter_as_read() {
        let mut q = Query::recording();
        q.offset_paging(50, 20);
        q.instant("created[gte]", Bound::Lower);
        let names: Vec<Value> = q.parameters().iter().map(|p| p["name"].clone()).collect();
        assert_eq!(names, ["limit", "offset", "created[gte]"]);
        let mut q = Query::recording();
        q.cursor_paging(100, 10);
        assert_eq!(
            q.parameters()[0],
            json!({ "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 10 } })
        );
        assert!(Query::parse(Some("limit=5")).parameters().is_empty());
    }

    #[test]
    fn lists_take_every_spelling_in_order() {
        let mut q = Query::parse(Some(
            "expand[]=a&expand=b&expand%5B1%5D=c&expand[x]=d&expanded=e",
        ));
        assert_eq!(q.list("expand"), ["a", "b", "c"]);
        assert_eq!(q.string("expand[x]").as_deref(), Some("d"));
        assert_eq!(q.string("expanded").as_deref(), Some("e"));
        assert!(q.finish().is_ok());
    }

    #[test]
    fn reads_typed_parameters_and_reports_the_rest() {
        let mut q = Query::parse(Some(
            "limit=0&offset=x&created%5Bgte%5D=2024-01-15&email=a%2Bb%40c.io&email=d@e.io&foo=1",
        ));
        assert_eq!(q.integer("limit", 1, 100, 10), 10);
        assert_eq!(q.integer("offset", 0, i32::MAX, 0), 0);
        assert!(q.instant("created[gte]", Bound::Lower).is_some());
        assert_eq!(q.string("email").as_deref(), Some("d@e.io"));
        let Err(ApiError::Invalid(problems)) = q.finish() else {
            panic!("problems expected");
        };
        let got: Vec<_> = problems
            .iter()
            .map(|p| serde_json::to_value(p).unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                serde_json::json!({"loc": ["query", "limit"], "msg": "ensure this value is greater than or equal to 1", "type": "value_error.number.not_ge"}),
                serde_json::json!({"loc": ["query", "offset"], "msg": "value is not a valid integer", "type": "type_error.integer"}),
                serde_json::json!({"loc": ["query", "foo"], "msg": "extra fields not permitted", "type": "value_error.extra"}),
            ]
        );
    }
}
