//! The list filter tree: validated from `CustomerFilter` and turned into one
//! SQL condition, so filtering happens in the database, before paging.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{ColumnTrait, Condition};

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

/// `%`, `_` and the escape character itself match literally.
fn like_pattern(value: &str, prefix_only: bool) -> LikeExpr {
    let mut pattern = String::with_capacity(value.len() + 2);
    if !prefix_only {
        pattern.push('%');
    }
    for ch in value.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('!')
}

fn text_condition(column: Expr, op: TextOp, value: &str) -> Condition {
    let lowered = || Expr::expr(Func::lower(column.clone()));
    match op {
        TextOp::Eq => Condition::all().add(column.clone().eq(value)),
        TextOp::Ne => Condition::any()
            .add(column.clone().ne(value))
            .add(column.clone().is_null()),
        TextOp::Contains => Condition::all().add(lowered().like(like_pattern(value, false))),
        TextOp::StartsWith => Condition::all().add(lowered().like(like_pattern(value, true))),
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

/// The SQL condition a filter stands for.
pub fn condition(filter: &Filter) -> Condition {
    match filter {
        Filter::All(children) => children
            .iter()
            .fold(Condition::all(), |c, f| c.add(condition(f))),
        Filter::Any(children) if children.is_empty() => Condition::all().add(Expr::val(1).eq(0)),
        Filter::Any(children) => children
            .iter()
            .fold(Condition::any(), |c, f| c.add(condition(f))),
        Filter::Not(inner) => condition(inner).not(),
        Filter::Text { field, op, value } => {
            // The entity's columns are named as the fields are.
            text_condition(
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
                    Some(text_condition(value_col(), op, value)),
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
                    Some(text_condition(value_col(), TextOp::Eq, value)),
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
