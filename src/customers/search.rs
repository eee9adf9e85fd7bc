//! Stripe's search query language over customers, parsed into the same
//! [`Filter`] tree as list filters, so the database evaluates it and pages
//! with the same keyset. The grammar is in `customers.proto`
//! (`SearchCustomersRequest`).

use customerd_wire::timestamps::Instant;

use super::Texts;
use super::filter::{CompareOp, Filter, MAX_CONDITIONS, TextOp};

/// Why a query does not parse, and where: `position` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at position {}: {}", self.position, self.message)
    }
}

/// The `next_page` token of a page that ends with the customer `id`
/// created at `created` (microseconds): where the next page starts.
pub fn encode_page(created: i64, id: &str) -> String {
    format!("{created}:{id}")
}

/// The position a `next_page` token stands for.
pub fn decode_page(token: &str) -> Option<(i64, String)> {
    let (created, id) = token.split_once(':')?;
    let created = created.parse().ok()?;
    let well_formed = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    well_formed.then(|| (created, id.to_owned()))
}

/// Parses a whole query.
pub fn parse(query: &str) -> Result<Filter, SyntaxError> {
    let mut parser = Parser {
        chars: query.chars().collect(),
        at: 0,
    };
    parser.query()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equals,
    Contains,
    Compare(CompareOp),
}

enum Value {
    Text(String),
    Null,
    Number(String),
}

enum Field {
    Text(&'static str),
    Metadata(String),
    Created,
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn error<T>(&self, at: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            position: at + 1,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// A run of letters, digits and underscores.
    fn word(&mut self) -> String {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    fn query(&mut self) -> Result<Filter, SyntaxError> {
        let mut clauses = vec![self.clause()?];
        let mut join = None;
        loop {
            self.skip_spaces();
            if self.peek().is_none() {
                break;
            }
            let at = self.at;
            let word = self.word();
            let this = match word.as_str() {
                "AND" => Join::And,
                "OR" => Join::Or,
                "" => return self.error(at, "expected AND or OR"),
                other => return self.error(at, format!("expected AND or OR, found '{other}'")),
            };
            if join.is_some_and(|j| j != this) {
                return self.error(at, "AND and OR cannot be combined in one query");
            }
            join = Some(this);
            if clauses.len() == MAX_CONDITIONS {
                return self.error(at, format!("at most {MAX_CONDITIONS} clauses"));
            }
            clauses.push(self.clause()?);
        }
        Ok(match (join, clauses.len()) {
            (_, 1) => clauses.pop().expect("one clause"),
            (Some(Join::Or), _) => Filter::Any(clauses),
            _ => Filter::All(clauses),
        })
    }

    fn clause(&mut self) -> Result<Filter, SyntaxError> {
        self.skip_spaces();
        let negated = self.peek() == Some('-');
        if negated {
            self.at += 1;
        }
        let field = self.field()?;
        self.skip_spaces();
        let op_at = self.at;
        let op = self.op()?;
        self.skip_spaces();
        let value_at = self.at;
        let value = self.value()?;
        let filter = match field {
            Field::Text(name) => {
                let (op, value) = self.text_operand(op, op_at, value, value_at, name)?;
                Filter::Text {
                    field: name,
                    op,
                    value,
                }
            }
            Field::Metadata(key) => {
                let (op, value) = self.text_operand(op, op_at, value, value_at, "metadata")?;
                Filter::Metadata { key, op, value }
            }
            Field::Created => self.created(op, op_at, value, value_at)?,
        };
        Ok(if negated { negate(filter) } else { filter })
    }

    fn field(&mut self) -> Result<Field, SyntaxError> {
        let at = self.at;
        let name = self.word();
        if name.is_empty() {
            return match self.peek() {
                None => self.error(at, "expected a field, found the end of the query"),
                Some(c) => self.error(at, format!("expected a field, found '{c}'")),
            };
        }
        if name == "metadata" {
            if self.peek() != Some('[') {
                return self.error(self.at, "expected [\"key\"] after metadata");
            }
            self.at += 1;
            let key_at = self.at;
            let Value::Text(key) = self.quoted()? else {
                unreachable!("quoted gives text")
            };
            if key.is_empty() {
                return self.error(key_at, "a metadata key cannot be empty");
            }
            if self.peek() != Some(']') {
                return self.error(self.at, "expected ] after the metadata key");
            }
            self.at += 1;
            return Ok(Field::Metadata(key));
        }
        if name == "created" {
            return Ok(Field::Created);
        }
        match Texts::<()>::NAMES.iter().find(|n| **n == name) {
            Some(field) => Ok(Field::Text(field)),
            None => self.error(
                at,
                format!(
                    "unknown field '{name}': use {}, created or metadata[\"key\"]",
                    Texts::<()>::NAMES.join(", ")
                ),
            ),
        }
    }

    fn op(&mut self) -> Result<Op, SyntaxError> {
        let at = self.at;
        let op = match self.peek() {
            Some(':') => Op::Equals,
            Some('~') => Op::Contains,
            Some('>') if self.chars.get(at + 1) == Some(&'=') => Op::Compare(CompareOp::Gte),
            Some('<') if self.chars.get(at + 1) == Some(&'=') => Op::Compare(CompareOp::Lte),
            Some('>') => Op::Compare(CompareOp::Gt),
            Some('<') => Op::Compare(CompareOp::Lt),
            None => return self.error(at, "expected an operator, found the end of the query"),
            Some(c) => {
                return self.error(
                    at,
                    format!("expected an operator (: ~ > >= < <=), found '{c}'"),
                );
            }
        };
        self.at += match op {
            Op::Compare(CompareOp::Gte | CompareOp::Lte) => 2,
            _ => 1,
        };
        Ok(op)
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        let at = self.at;
        match self.peek() {
            Some('"' | '\'') => self.quoted(),
            Some(c) if c.is_ascii_digit() => Ok(Value::Number(self.word())),
            Some(c) if c.is_ascii_alphabetic() => match self.word().as_str() {
                "null" => Ok(Value::Null),
                other => self.error(
                    at,
                    format!("values are quoted: write \"{other}\" rather than {other}"),
                ),
            },
            None => self.error(at, "expected a value, found the end of the query"),
            Some(c) => self.error(at, format!("expected a value, found '{c}'")),
        }
    }

    /// A string in single or double quotes; a backslash escapes the next character.
    fn quoted(&mut self) -> Result<Value, SyntaxError> {
        let open_at = self.at;
        let Some(quote @ ('"' | '\'')) = self.peek() else {
            return self.error(open_at, "expected a quoted string");
        };
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return self.error(open_at, "unterminated string"),
                Some('\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(c) => text.push(c),
                        None => return self.error(open_at, "unterminated string"),
                    }
                }
                Some(c) if c == quote => {
                    self.at += 1;
                    return Ok(Value::Text(text));
                }
                Some(c) => text.push(c),
            }
            self.at += 1;
        }
    }

    fn text_operand(
        &self,
        op: Op,
        op_at: usize,
        value: Value,
        value_at: usize,
        field: &str,
    ) -> Result<(TextOp, String), SyntaxError> {
        match (op, value) {
            (Op::Equals, Value::Text(text)) => Ok((TextOp::Eq, text)),
            (Op::Equals, Value::Null) => Ok((TextOp::IsNull, String::new())),
            (Op::Contains, Value::Text(text)) if !text.is_empty() => Ok((TextOp::Contains, text)),
            (Op::Contains, Value::Text(_)) => self.error(value_at, "~ needs a non-empty value"),
            (Op::Compare(_), _) => self.error(op_at, format!("{field} takes : or ~")),
            (_, Value::Null) => self.error(value_at, "null goes only with :"),
            (_, Value::Number(n)) => self.error(
                value_at,
                format!("{field} takes a quoted value: write \"{n}\""),
            ),
        }
    }

    fn created(
        &self,
        op: Op,
        op_at: usize,
        value: Value,
        value_at: usize,
    ) -> Result<Filter, SyntaxError> {
        let text = match value {
            Value::Number(n) => n,
            Value::Text(t) => t,
            Value::Null => return self.error(value_at, "created is never null"),
        };
        let Some(instant) = Instant::parse(&text) else {
            return self.error(
                value_at,
                format!("'{text}' is neither unix seconds nor an ISO 8601 instant"),
            );
        };
        let first = instant.start;
        let last = instant.start.saturating_add(instant.span - 1);
        let at = |op, micros| Filter::Created { op, micros };
        Ok(match op {
            Op::Equals => Filter::All(vec![at(CompareOp::Gte, first), at(CompareOp::Lte, last)]),
            Op::Contains => return self.error(op_at, "created takes : > >= < <="),
            Op::Compare(CompareOp::Gt) => at(CompareOp::Gt, last),
            Op::Compare(CompareOp::Gte) => at(CompareOp::Gte, first),
            Op::Compare(CompareOp::Lt) => at(CompareOp::Lt, first),
            Op::Compare(CompareOp::Lte) => at(CompareOp::Lte, last),
            Op::Compare(CompareOp::Eq | CompareOp::Ne) => unreachable!("not a search operator"),
        })
    }
}

/// The clause that matches what `filter` does not, nulls included: a
/// negated text clause also matches customers whose field is null (or whose
/// metadata lacks the key), as Stripe's negation does.
fn negate(filter: Filter) -> Filter {
    match filter {
        Filter::Text { field, op, value } => match op {
            TextOp::Eq => Filter::Text {
                field,
                op: TextOp::Ne,
                value,
            },
            TextOp::IsNull => Filter::Text {
                field,
                op: TextOp::IsNotNull,
                value,
            },
            _ => Filter::Any(vec![
                Filter::Not(Box::new(Filter::Text { field, op, value })),
                Filter::Text {
                    field,
                    op: TextOp::IsNull,
                    value: String::new(),
                },
            ]),
        },
        Filter::Metadata { key, op, value } => match op {
            TextOp::Eq => Filter::Metadata {
                key,
                op: TextOp::Ne,
                value,
            },
            TextOp::IsNull => Filter::Metadata {
                key,
                op: TextOp::IsNotNull,
                value,
            },
            // "No such key with a matching value" holds for absent keys too.
            _ => Filter::Not(Box::new(Filter::Metadata { key, op, value })),
        },
        Filter::Created { op, micros } => Filter::Created {
            op: match op {
                CompareOp::Gt => CompareOp::Lte,
                CompareOp::Gte => CompareOp::Lt,
                CompareOp::Lt => CompareOp::Gte,
                CompareOp::Lte => CompareOp::Gt,
                CompareOp::Eq => CompareOp::Ne,
                CompareOp::Ne => CompareOp::Eq,
            },
            micros,
        },
        // `created:` is a span: outside it is before or after.
        Filter::All(children) => Filter::Any(children.into_iter().map(negate).collect()),
        Filter::Any(children) => Filter::All(children.into_iter().map(negate).collect()),
        Filter::Not(inner) => *inner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(field: &'static str, op: TextOp, value: &str) -> Filter {
        Filter::Text {
            field,
            op,
            value: value.into(),
        }
    }

    #[test]
    fn clauses_join_with_and_or_or() {
        assert_eq!(
            parse(r#"email:"a@b.co" AND name~'ann' AND metadata["plan"]:"gold""#).unwrap(),
            Filter::All(vec![
                text("email", TextOp::Eq, "a@b.co"),
                text("name", TextOp::Contains, "ann"),
                Filter::Metadata {
                    key: "plan".into(),
                    op: TextOp::Eq,
                    value: "gold".into()
                },
            ])
        );
        assert_eq!(
            parse(r#"phone:null OR -email:"x\"y""#).unwrap(),
            Filter::Any(vec![
                text("phone", TextOp::IsNull, ""),
                text("email", TextOp::Ne, "x\"y"),
            ])
        );
    }

    #[test]
    fn created_takes_seconds_or_iso_as_whole_spans() {
        assert_eq!(
            parse("created>1700000000").unwrap(),
            Filter::Created {
                op: CompareOp::Gt,
                micros: 1_700_000_000_999_999
            }
        );
        assert_eq!(
            parse("created<='2024-01-15'").unwrap(),
            Filter::Created {
                op: CompareOp::Lte,
                micros: 1_705_363_199_999_999
            }
        );
        assert_eq!(
            parse("-created>=1700000000").unwrap(),
            Filter::Created {
                op: CompareOp::Lt,
                micros: 1_700_000_000_000_000
            }
        );
    }

    #[test]
    fn errors_name_the_position() {
        for (query, position, words) in [
            ("", 1, "expected a field"),
            ("email", 6, "expected an operator"),
            ("email:", 7, "expected a value"),
            ("email:gold", 7, "values are quoted"),
            ("nickname:\"x\"", 1, "unknown field 'nickname'"),
            (
                "email:\"a\" AND name:\"b\" OR phone:null",
                24,
                "cannot be combined",
            ),
            ("email:\"a\" and name:\"b\"", 11, "expected AND or OR"),
            ("email:\"abc", 7, "unterminated string"),
            ("email>\"a\"", 6, "email takes : or ~"),
            ("created~1", 8, "created takes"),
            ("created:\"soon\"", 9, "neither unix seconds"),
            ("metadata:\"x\"", 9, "expected [\"key\"]"),
            ("metadata[\"\"]:\"x\"", 10, "cannot be empty"),
            ("name~\"\"", 6, "non-empty"),
            ("email:\"a\" AND", 14, "expected a field"),
            ("email:\"a\" email:\"b\"", 11, "expected AND or OR"),
        ] {
            let err = parse(query).unwrap_err();
            assert_eq!(err.position, position, "{query}: {err}");
            assert!(err.message.contains(words), "{query}: {err}");
        }
    }

    #[test]
    fn too_many_clauses() {
        let many = vec!["phone:null"; MAX_CONDITIONS + 1].join(" OR ");
        assert!(parse(&many).unwrap_err().message.contains("at most"));
        let enough = vec!["phone:null"; MAX_CONDITIONS].join(" OR ");
        assert!(parse(&enough).is_ok());
    }
}
