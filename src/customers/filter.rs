//! The list filter tree: validated from `CustomerFilter` and turned into one
//! SQL condition, so filtering happens in the database, before paging.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{ColumnTrait, Condition, DbBackend};

use super::Texts;
use crate::db::entities::{customer, customer_metadata};
use crate::error::Reason;
use crate::proto::customers::v1 as pb;
use crate::validation::{Violations, shown};

pub use customerd_wire::limits::{
    FILTER_MAX_CONDITIONS as MAX_CONDITIONS, FILTER_MAX_DEPTH as MAX_DEPTH,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    /// What the inner filter does not match (from a negated search clause).
    Not(Box<Filter>),
    Text {
        /// One of [`Texts::NAMES`].
        field: &'static str,
        op: TextOp,
        value: String,
    },
    Metadata {
        key: String,
        op: TextOp,
        value: String,
    },
    Created {
        op: CompareOp,
        micros: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Ne,
    Contains,
    StartsWith,
    IsNull,
    IsNotNull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Validates a filter tree; `path` is where it sits in the request (`filter`).
pub fn parse(v: &mut Violations, path: &str, filter: &pb::CustomerFilter) -> Option<Filter> {
    let mut conditions = 0;
    let parsed = parse_node(v, path, filter, 1, &mut conditions);
    if conditions > MAX_CONDITIONS {
        v.over_limit(
            path,
            Reason::OutOfRange,
            MAX_CONDITIONS,
            format!("must have at most {MAX_CONDITIONS} conditions"),
        );
    }
    parsed
}

fn parse_node(
    v: &mut Violations,
    path: &str,
    filter: &pb::CustomerFilter,
    depth: usize,
    conditions: &mut usize,
) -> Option<Filter> {
    use pb::customer_filter::Kind;
    if depth > MAX_DEPTH {
        v.over_limit(
            path,
            Reason::OutOfRange,
            MAX_DEPTH,
            format!("must be at most {MAX_DEPTH} levels deep"),
        );
        return None;
    }
    match &filter.kind {
        None => {
            v.add(
                path,
                Reason::Required,
                "must be one of all, any or condition",
            );
            None
        }
        Some(Kind::All(list)) => {
            parse_list(v, &format!("{path}.all"), list, depth, conditions).map(Filter::All)
        }
        Some(Kind::Any(list)) => {
            parse_list(v, &format!("{path}.any"), list, depth, conditions).map(Filter::Any)
        }
        Some(Kind::Condition(c)) => {
            *conditions += 1;
            parse_condition(v, &format!("{path}.condition"), c)
        }
    }
}

fn parse_list(
    v: &mut Violations,
    path: &str,
    list: &pb::CustomerFilterList,
    depth: usize,
    conditions: &mut usize,
) -> Option<Vec<Filter>> {
    let mut out = Vec::with_capacity(list.filters.len());
    let mut ok = true;
    for (i, child) in list.filters.iter().enumerate() {
        match parse_node(
            v,
            &format!("{path}.filters[{i}]"),
            child,
            depth + 1,
            conditions,
        ) {
            Some(f) => out.push(f),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn text_op(op: pb::FilterOperator) -> Option<TextOp> {
    use pb::FilterOperator as O;
    Some(match op {
        O::Eq => TextOp::Eq,
        O::Ne => TextOp::Ne,
        O::Contains => TextOp::Contains,
        O::StartsWith => TextOp::StartsWith,
        O::IsNull => TextOp::IsNull,
        O::IsNotNull => TextOp::IsNotNull,
        _ => return None,
    })
}

fn compare_op(op: pb::FilterOperator) -> Option<CompareOp> {
    use pb::FilterOperator as O;
    Some(match op {
        O::Eq => CompareOp::Eq,
        O::Ne => CompareOp::Ne,
        O::Gt => CompareOp::Gt,
        O::Gte => CompareOp::Gte,
        O::Lt => CompareOp::Lt,
        O::Lte => CompareOp::Lte,
        _ => return None,
    })
}

fn parse_condition(v: &mut Violations, path: &str, c: &pb::CustomerCondition) -> Option<Filter> {
    if !v.text(&format!("{path}.field"), &c.field) | !v.text(&format!("{path}.value"), &c.value) {
        return None;
    }
    let Ok(operator) = pb::FilterOperator::try_from(c.operator) else {
        v.add(
            format!("{path}.operator"),
            Reason::InvalidValue,
            format!("unknown operator {}", c.operator),
        );
        return None;
    };
    let op_name = operator.as_str_name();
    let bad_operator = |v: &mut Violations| {
        v.add(
            format!("{path}.operator"),
            Reason::InvalidValue,
            format!("{op_name} cannot be applied to '{}'", shown(&c.field)),
        );
    };
    let text_field = Texts::<()>::NAMES
        .iter()
        .copied()
        .find(|name| *name == c.field);
    if let Some(field) = text_field {
        let Some(op) = text_op(operator) else {
            bad_operator(v);
            return None;
        };
        return Some(Filter::Text {
            field,
            op,
            value: c.value.clone(),
        });
    }
    if let Some(key) = c.field.strip_prefix("metadata.") {
        if key.is_empty() {
            v.add(
                format!("{path}.field"),
                Reason::UnknownField,
                "'metadata.' must name a key",
            );
            return None;
        }
        let Some(op) = text_op(operator) else {
            bad_operator(v);
            return None;
        };
        return Some(Filter::Metadata {
            key: key.to_owned(),
            op,
            value: c.value.clone(),
        });
    }
    if c.field == "created_at" {
        let Some(op) = compare_op(operator) else {
            bad_operator(v);
            return None;
        };
        let Some(ts) = &c.time else {
            v.add(
                format!("{path}.time"),
                Reason::Required,
                "created_at comparisons need a time",
            );
            return None;
        };
        let micros = v.timestamp(&format!("{path}.time"), ts)?;
        return Some(Filter::Created { op, micros });
    }
    v.add(
        format!("{path}.field"),
        Reason::UnknownField,
        format!(
            "unknown field '{}': use {}, created_at or metadata.<key>",
            shown(&c.field),
            Texts::<()>::NAMES.join(", ")
        ),
    );
    None
}

/// The letters text comparisons fold: `contains` and `starts_with` match
/// A–Z and a–z alike and compare every other character exactly, the same
/// on every backend (SQLite's own `LIKE` rule).
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// A `LIKE` pattern for `value` (`%`, `_` and the escape character itself
/// match literally), anywhere in the text or at its start; with `fold`, ASCII
/// letters lowered.
fn like_pattern(value: &str, prefix_only: bool, fold: bool) -> String {
    let mut pattern = String::with_capacity(value.len() + 2);
    if !prefix_only {
        pattern.push('%');
    }
    for ch in value.chars() {
        if matches!(ch, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(if fold { ch.to_ascii_lowercase() } else { ch });
    }
    pattern.push('%');
    pattern
}

/// A regular expression matching `value` with ASCII letters in either case
/// and every other character as itself: `[aA]` per letter, metacharacters
/// escaped.
fn ascii_folding_regex(value: &str, prefix_only: bool) -> String {
    let mut regex = String::with_capacity(value.len() * 4 + 1);
    if prefix_only {
        regex.push('^');
    }
    for ch in value.chars() {
        if ch.is_ascii_alphabetic() {
            regex.push('[');
            regex.push(ch.to_ascii_lowercase());
            regex.push(ch.to_ascii_uppercase());
            regex.push(']');
        } else if ch.is_ascii_punctuation() || ch == ' ' {
            regex.push('\\');
            regex.push(ch);
        } else {
            regex.push(ch);
        }
    }
    regex
}

/// `text` as a PostgreSQL dollar-quoted literal, with a tag it does not
/// contain: nothing inside (quotes, backslashes) needs escaping.
fn dollar_quoted(text: &str) -> String {
    let tag = (0..)
        .map(|n| format!("$t{n}$"))
        .find(|tag| !text.contains(tag.as_str()))
        .expect("some tag is free");
    format!("{tag}{text}{tag}")
}

/// `column` contains `value` (or starts with it), folding ASCII letters only.
fn folded_like(backend: DbBackend, column: Expr, value: &str, prefix_only: bool) -> Condition {
    let condition = match backend {
        // SQLite's LIKE folds ASCII letters and nothing else.
        DbBackend::Sqlite => {
            column.like(LikeExpr::new(like_pattern(value, prefix_only, false)).escape('!'))
        }
        // `translate` folds exactly A–Z; a trigram index serves this expression.
        // The pattern is written into the statement, not bound: planned for a
        // bound pattern, PostgreSQL soon settles on one generic plan that
        // scans the tenant's rows whatever the pattern; planned for this one,
        // it reads a rare pattern's matches through the index and pages
        // through the tenant for a common one. (Custom expressions take
        // PostgreSQL's `$n` placeholders there, `?` elsewhere.)
        DbBackend::Postgres => Expr::cust_with_exprs(
            format!("translate($1, '{UPPER}', '{LOWER}') LIKE $2 ESCAPE '!'"),
            [
                column,
                Expr::cust(dollar_quoted(&like_pattern(value, prefix_only, true))),
            ],
        ),
        // The columns compare exactly (binary collation): spell the folding out.
        _ => Expr::cust_with_exprs(
            "? REGEXP ?",
            [column, Expr::val(ascii_folding_regex(value, prefix_only))],
        ),
    };
    Condition::all().add(condition)
}

/// The substring terms every match must satisfy (at the top of the tree or
/// under `all`) that the text-search index can serve: an indexed field, at
/// least three characters (a trigram), no `LIKE` wildcards. Each is the
/// field and its `LIKE` pattern over the index.
pub fn indexable_terms(filter: &Filter) -> Vec<(&'static str, String)> {
    let mut terms = Vec::new();
    collect_terms(filter, &mut terms);
    terms
}

fn collect_terms(filter: &Filter, terms: &mut Vec<(&'static str, String)>) {
    match filter {
        Filter::All(children) => children.iter().for_each(|c| collect_terms(c, terms)),
        Filter::Text { field, op, value }
            if matches!(op, TextOp::Contains | TextOp::StartsWith)
                && crate::db::text_search::COLUMNS.contains(field)
                && value.chars().count() >= 3
                && !value.contains(['%', '_']) =>
        {
            let pattern = if *op == TextOp::StartsWith {
                format!("{value}%")
            } else {
                format!("%{value}%")
            };
            terms.push((field, pattern));
        }
        _ => {}
    }
}

fn text_condition(backend: DbBackend, column: Expr, op: TextOp, value: &str) -> Condition {
    match op {
        TextOp::Eq => Condition::all().add(column.clone().eq(value)),
        TextOp::Ne => Condition::any()
            .add(column.clone().ne(value))
            .add(column.clone().is_null()),
        TextOp::Contains => folded_like(backend, column, value, false),
        TextOp::StartsWith => folded_like(backend, column, value, true),
        TextOp::IsNull => Condition::all().add(column.clone().is_null()),
        TextOp::IsNotNull => Condition::all().add(column.clone().is_not_null()),
    }
}

fn metadata_exists(key: &str, value: Option<Condition>) -> sea_orm::sea_query::SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from(customer_metadata::Entity)
        .and_where(
            Expr::col((
                customer_metadata::Entity,
                customer_metadata::Column::CustomerId,
            ))
            .equals((customer::Entity, customer::Column::Id)),
        )
        .and_where(Expr::col((customer_metadata::Entity, customer_metadata::Column::Key)).eq(key));
    if let Some(value) = value {
        select.cond_where(value);
    }
    select.to_owned()
}

/// The SQL condition a filter stands for on `backend`.
pub fn condition(backend: DbBackend, filter: &Filter) -> Condition {
    match filter {
        Filter::All(children) => children
            .iter()
            .fold(Condition::all(), |c, f| c.add(condition(backend, f))),
        Filter::Any(children) if children.is_empty() => Condition::all().add(Expr::val(1).eq(0)),
        Filter::Any(children) => children
            .iter()
            .fold(Condition::any(), |c, f| c.add(condition(backend, f))),
        Filter::Not(inner) => condition(backend, inner).not(),
        Filter::Text { field, op, value } => {
            // The entity's columns are named as the fields are.
            text_condition(
                backend,
                Expr::col((customer::Entity, Alias::new(*field))),
                *op,
                value,
            )
        }
        Filter::Metadata { key, op, value } => {
            let value_col =
                || Expr::col((customer_metadata::Entity, customer_metadata::Column::Value));
            let found = |op| {
                Expr::exists(metadata_exists(
                    key,
                    Some(text_condition(backend, value_col(), op, value)),
                ))
            };
            match op {
                TextOp::IsNull => {
                    Condition::all().add(Expr::not_exists(metadata_exists(key, None)))
                }
                TextOp::IsNotNull => Condition::all().add(Expr::exists(metadata_exists(key, None))),
                // Absent keys differ from any value, as a null column does.
                TextOp::Ne => Condition::all().add(Expr::not_exists(metadata_exists(
                    key,
                    Some(text_condition(backend, value_col(), TextOp::Eq, value)),
                ))),
                other => Condition::all().add(found(*other)),
            }
        }
        Filter::Created { op, micros } => {
            let column = customer::Column::CreatedAt;
            Condition::all().add(match op {
                CompareOp::Eq => column.eq(*micros),
                CompareOp::Ne => column.ne(*micros),
                CompareOp::Gt => column.gt(*micros),
                CompareOp::Gte => column.gte(*micros),
                CompareOp::Lt => column.lt(*micros),
                CompareOp::Lte => column.lte(*micros),
            })
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn only_required_indexable_terms_can_drive_a_search() {
        let text = |field, op, value: &str| Filter::Text {
            field,
            op,
            value: value.into(),
        };
        let tree = Filter::All(vec![
            text("name", TextOp::Contains, "ann"),
            text("email", TextOp::StartsWith, "bob"),
            text("phone", TextOp::Contains, "55"),
            text("description", TextOp::Contains, "50%"),
            text("name", TextOp::Eq, "exact"),
            Filter::Any(vec![text("name", TextOp::Contains, "either")]),
            Filter::Not(Box::new(text("name", TextOp::Contains, "never"))),
        ]);
        assert_eq!(
            indexable_terms(&tree),
            [("name", "%ann%".to_owned()), ("email", "bob%".to_owned())]
        );
    }

    fn sql(backend: DbBackend, op: TextOp, value: &str) -> String {
        let filter = Filter::Text {
            field: "name",
            op,
            value: value.into(),
        };
        let select = customer::Entity::find().filter(condition(backend, &filter));
        let sql = select.build(backend).to_string();
        sql[sql.find("WHERE").expect("a condition")..].to_owned()
    }

    #[test]
    fn contains_folds_ascii_letters_alone_on_every_backend() {
        assert_eq!(
            sql(DbBackend::Sqlite, TextOp::Contains, "ÉCO_le"),
            r#"WHERE "customers"."name" LIKE '%ÉCO!_le%' ESCAPE '!'"#
        );
        assert_eq!(
            sql(DbBackend::Sqlite, TextOp::StartsWith, "Ann"),
            r#"WHERE "customers"."name" LIKE 'Ann%' ESCAPE '!'"#
        );
        assert_eq!(
            sql(DbBackend::Postgres, TextOp::Contains, "it's \\ $1 ?"),
            r#"WHERE translate("customers"."name", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE $t0$%it's \ $1 ?%$t0$ ESCAPE '!'"#
        );
        assert_eq!(
            sql(DbBackend::Postgres, TextOp::Contains, "ÉCO"),
            r#"WHERE translate("customers"."name", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE $t0$%Éco%$t0$ ESCAPE '!'"#
        );
        assert_eq!(
            sql(DbBackend::MySql, TextOp::StartsWith, "Ø a.b"),
            r"WHERE `customers`.`name` REGEXP '^Ø\\ [aA]\\.[bB]'"
        );
    }
}

#[cfg(test)]
mod quoting {
    #[test]
    fn dollar_quotes_pick_a_tag_the_text_lacks() {
        assert_eq!(super::dollar_quoted("a'b"), "$t0$a'b$t0$");
        assert_eq!(super::dollar_quoted("x$t0$y"), "$t1$x$t0$y$t1$");
    }
}
