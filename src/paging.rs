//! Newest-first pages over any table with a `created_at` and a string `id`,
//! by keyset cursor (`starting_after` / `ending_before`) or by offset.

use sea_orm::sea_query::Alias;
use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::error::{Error, Reason, Result};
use crate::proto::customers::v1 as pb;
use crate::validation::{Violations, shown};

use customerd_wire::limits::{PAGE_DEFAULT, PAGE_MAX};

const DEFAULT_LIMIT: u64 = PAGE_DEFAULT as u64;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageStart {
    Newest,
    After(String),
    /// After a row whose position the caller already knows (a search's
    /// page token), so no lookup is needed and a deleted row still works.
    AfterPosition {
        created: i64,
        id: String,
    },
    Before(String),
    Offset(u64),
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    pub start: PageStart,
    pub include_total: bool,
}

/// One page, newest first.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// More items lie beyond this page in the direction of travel.
    pub has_more: bool,
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_more: self.has_more,
            total: self.total,
        }
    }

    /// Like `map`, for conversions that can fail (rows to domain values).
    pub fn try_map<U>(self, f: impl FnMut(T) -> Result<U>) -> Result<Page<U>> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_>>()?,
            has_more: self.has_more,
            total: self.total,
        })
    }
}

/// The paging fields every list request of the proto has, under the same names.
pub trait Paged {
    fn limit(&self) -> i32;
    fn starting_after(&self) -> &str;
    fn ending_before(&self) -> &str;
    fn offset(&self) -> i32;
    fn include_total_count(&self) -> bool;
}

macro_rules! paged {
    ($($request:ty),* $(,)?) => {$(
        impl Paged for $request {
            fn limit(&self) -> i32 {
                self.limit
            }
            fn starting_after(&self) -> &str {
                &self.starting_after
            }
            fn ending_before(&self) -> &str {
                &self.ending_before
            }
            fn offset(&self) -> i32 {
                self.offset
            }
            fn include_total_count(&self) -> bool {
                self.include_total_count
            }
        }
    )*};
}

paged!(
    pb::ListCustomersRequest,
    pb::ListCustomerPaymentsRequest,
    pb::ListCustomerSubscriptionsRequest,
    pb::ListPaymentsRequest,
    pb::ListSubscriptionsRequest,
    pb::ListWebhookEndpointsRequest,
    pb::ListWebhookDeliveriesRequest,
);

/// Validates the paging fields of a list request.
pub fn parse(v: &mut Violations, request: &impl Paged) -> PageRequest {
    let (limit, starting_after, ending_before, offset, include_total) = (
        request.limit(),
        request.starting_after(),
        request.ending_before(),
        request.offset(),
        request.include_total_count(),
    );
    let limit = v.limit(limit, DEFAULT_LIMIT, PAGE_MAX);
    if offset < 0 {
        v.add("offset", Reason::OutOfRange, "must not be negative");
    }
    let starting_after = if v.text("starting_after", starting_after) {
        starting_after
    } else {
        ""
    };
    let ending_before = if v.text("ending_before", ending_before) {
        ending_before
    } else {
        ""
    };
    let start = match (starting_after.is_empty(), ending_before.is_empty(), offset) {
        (true, true, n) if n <= 0 => PageStart::Newest,
        (false, true, 0) => PageStart::After(starting_after.to_owned()),
        (true, false, 0) => PageStart::Before(ending_before.to_owned()),
        (true, true, n) => PageStart::Offset(n as u64),
        (false, false, _) => {
            v.add(
                "ending_before",
                Reason::MutuallyExclusive,
                "starting_after and ending_before are mutually exclusive",
            );
            PageStart::Newest
        }
        (_, _, _) => {
            v.add(
                "offset",
                Reason::MutuallyExclusive,
                "offset cannot be combined with a cursor",
            );
            PageStart::Newest
        }
    };
    PageRequest {
        limit,
        start,
        include_total,
    }
}

/// Rows strictly older (`Order::Desc`) or newer (`Order::Asc`) than a position.
///
/// Written as `created <= at AND (created < at OR id < cursor)` rather than
/// the equivalent `created < at OR (created = at AND id < cursor)`: the first
/// conjunct bounds the index range, so the scan starts at the cursor instead
/// of at the newest row.
fn beyond<C: ColumnTrait>(created: C, id: C, position: (i64, String), order: &Order) -> Condition {
    let (at, cursor_id) = position;
    let (bound, strictly, tie) = match order {
        Order::Asc => (created.gte(at), created.gt(at), id.gt(cursor_id)),
        _ => (created.lte(at), created.lt(at), id.lt(cursor_id)),
    };
    Condition::all()
        .add(bound)
        .add(Condition::any().add(strictly).add(tie))
}

/// The columns a page is ordered by, and the index whose range a page scans:
/// `(tenant columns, [equality filter,] created_at, id)`.
#[derive(Debug, Clone, Copy)]
pub struct Keyset<C> {
    pub created: C,
    pub id: C,
    pub index: &'static str,
}

/// Reads one page of `filtered`, newest first. Cursors must name a row of
/// `scope` (the caller's tenant); each page is one index range scan however
/// deep it lies.
pub async fn fetch<E, C>(
    db: &C,
    resource: &str,
    scope: Select<E>,
    filtered: Select<E>,
    keyset: Keyset<E::Column>,
    page: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let Keyset { created, id, index } = keyset;
    let total = if page.include_total {
        Some(filtered.clone().count(db).await?)
    } else {
        None
    };
    let cursor = |field: &'static str, cursor_id: String| {
        let scope = scope.clone();
        async move {
            let at = scope
                .filter(id.eq(cursor_id.as_str()))
                .select_only()
                .column(created)
                .into_tuple::<i64>()
                .one(db)
                .await?;
            match at {
                Some(at) => Ok((at, cursor_id)),
                None => Err(Error::invalid(
                    field,
                    Reason::UnknownCursor,
                    format!("no such {resource}: '{}'", shown(&cursor_id)),
                )),
            }
        }
    };
    let (select, order) = match &page.start {
        PageStart::Newest => (filtered, Order::Desc),
        PageStart::Offset(n) => (filtered.offset(*n), Order::Desc),
        PageStart::After(cursor_id) => {
            let position = cursor("starting_after", cursor_id.clone()).await?;
            let older = beyond(created, id, position, &Order::Desc);
            (filtered.filter(older), Order::Desc)
        }
        PageStart::AfterPosition {
            created: at,
            id: cursor_id,
        } => {
            let older = beyond(created, id, (*at, cursor_id.clone()), &Order::Desc);
            (filtered.filter(older), Order::Desc)
        }
        PageStart::Before(cursor_id) => {
            let position = cursor("ending_before", cursor_id.clone()).await?;
            let newer = beyond(created, id, position, &Order::Asc);
            (filtered.filter(newer), Order::Asc)
        }
    };
    let mut select = select;
    if !matches!(page.start, PageStart::Newest | PageStart::Offset(_)) {
        // MySQL and MariaDB otherwise prefer scanning the tenant prefix from
        // the newest row, which costs the cursor's depth. Other backends
        // ignore index hints.
        QueryTrait::query(&mut select).force_index(Alias::new(index), IndexHintScope::All);
    }
    let mut rows = select
        .order_by(created, order.clone())
        .order_by(id, order.clone())
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    if order == Order::Asc {
        rows.reverse();
    }
    Ok(Page {
        items: rows,
        has_more,
        total,
    })
}
