//! The event log in the database: appending a transaction's events, and
//! reading a stream by position, by id, or newest first.

use std::collections::HashMap;

use prost::Message;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};

use super::{Change, Types};
use crate::auth::Tenant;
use crate::db::entities::{event, event_stream};
use crate::error::{Error, Result};
use crate::ids;
use crate::proto::customers::v1 as pb;

/// The PostgreSQL channel commits are announced on, as `account:live:seq`.
pub const CHANNEL: &str = "customerd_events";

/// Where a stream stands after a commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Head {
    pub account_id: String,
    pub live: bool,
    pub seq: i64,
}

impl Head {
    /// The form announced on [`CHANNEL`].
    pub fn announcement(&self) -> String {
        format!("{}:{}:{}", self.account_id, u8::from(self.live), self.seq)
    }

    pub fn from_announcement(text: &str) -> Option<Self> {
        let mut parts = text.rsplitn(3, ':');
        let seq = parts.next()?.parse().ok()?;
        let live = match parts.next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        Some(Self {
            account_id: parts.next()?.to_owned(),
            live,
            seq,
        })
    }
}

/// Moves each stream's counter on by its count and returns the streams' new
/// last numbers, in the order given, with one statement however many streams
/// a transaction writes (two on MySQL/MariaDB, which return nothing from an
/// insert). The counter rows stay locked until the transaction ends, so a
/// stream's transactions commit in the order of their numbers: a reader that
/// has seen number n has seen every number below it. `streams` comes sorted,
/// so concurrent transactions lock shared counters in one order and cannot
/// deadlock on them.
async fn advance<C: ConnectionTrait>(
    db: &C,
    streams: &[(&str, bool, i64)],
) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(streams.len() * 3);
    let mut rows = Vec::with_capacity(streams.len());
    for (n, (account_id, live, count)) in streams.iter().enumerate() {
        values.extend([(*account_id).into(), (*live).into(), (*count).into()]);
        rows.push(if backend == DatabaseBackend::Postgres {
            format!("(${}, ${}, ${})", 3 * n + 1, 3 * n + 2, 3 * n + 3)
        } else {
            "(?, ?, ?)".to_owned()
        });
    }
    let insert = format!(
        "INSERT INTO event_streams (account_id, live, seq) VALUES {}",
        rows.join(", ")
    );
    let found = if backend == DatabaseBackend::MySql {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("{insert} ON DUPLICATE KEY UPDATE seq = seq + VALUES(seq)"),
            values,
        ))
        .await?;
        let mut keys: Vec<Value> = Vec::with_capacity(streams.len() * 2);
        for (account_id, live, _) in streams {
            keys.extend([(*account_id).into(), (*live).into()]);
        }
        let pairs = vec!["(?, ?)"; streams.len()].join(", ");
        db.query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT account_id, live, seq FROM event_streams WHERE (account_id, live) IN ({pairs})"
            ),
            keys,
        ))
        .await?
    } else {
        db.query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "{insert} ON CONFLICT (account_id, live) DO UPDATE \
                 SET seq = event_streams.seq + excluded.seq RETURNING account_id, live, seq"
            ),
            values,
        ))
        .await?
    };
    let mut last: HashMap<(String, bool), i64> = HashMap::with_capacity(found.len());
    for row in found {
        last.insert(
            (row.try_get("", "account_id")?, row.try_get("", "live")?),
            row.try_get("", "seq")?,
        );
    }
    lasts_in_order(streams, &last)
}

/// The last numbers `last` holds for `streams`, in their order.
fn lasts_in_order(
    streams: &[(&str, bool, i64)],
    last: &HashMap<(String, bool), i64>,
) -> Result<Vec<i64>, DbErr> {
    streams
        .iter()
        .map(|(account_id, live, _)| {
            last.get(&((*account_id).to_owned(), *live))
                .copied()
                .ok_or_else(|| DbErr::Custom("an event stream counter returned no row".into()))
        })
        .collect()
}

/// An event ready to be written but for its number, which counts `back`
/// from the new last number of its transaction's stream `stream`.
struct Fresh {
    stream: usize,
    back: i64,
    id: String,
    kind: &'static str,
    body: Vec<u8>,
}

/// Writes `changes` as events, in order, at the end of their transaction:
/// each stream's counter is moved on once (streams in one order, so
/// concurrent transactions cannot deadlock on them) and its events take the
/// numbers it freed. Returns the streams' new heads, to be announced once
/// the transaction has committed (see [`announce`]).
///
/// On PostgreSQL one statement moves the counters on and inserts the events
/// numbered from them; elsewhere the counters move first and the events
/// follow.
pub async fn append<C: ConnectionTrait>(db: &C, changes: Vec<Change>) -> Result<Vec<Head>, DbErr> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_stream: std::collections::BTreeMap<(String, bool), Vec<Change>> = Default::default();
    for change in changes {
        by_stream
            .entry((change.account_id.clone(), change.live))
            .or_default()
            .push(change);
    }
    let now = ids::now_micros();
    let mut streams: Vec<(String, bool, i64)> = Vec::with_capacity(by_stream.len());
    let mut fresh = Vec::new();
    for (stream, ((account_id, live), changes)) in by_stream.into_iter().enumerate() {
        let count = changes.len() as i64;
        for (offset, change) in changes.into_iter().enumerate() {
            let id = ids::event_id();
            let kind = change.kind;
            // The number is the row's own column, left out of the body.
            let body = body(change.into_event(id.clone(), 0, now));
            fresh.push(Fresh {
                stream,
                back: count - 1 - offset as i64,
                id,
                kind,
                body,
            });
        }
        streams.push((account_id, live, count));
    }
    let keys: Vec<(&str, bool, i64)> = streams
        .iter()
        .map(|(account_id, live, count)| (account_id.as_str(), *live, *count))
        .collect();
    let lasts = if db.get_database_backend() == DatabaseBackend::Postgres {
        advance_and_insert(db, &keys, fresh, now).await?
    } else {
        let lasts = advance(db, &keys).await?;
        let rows = fresh.into_iter().map(|event| {
            let (account_id, live, _) = keys[event.stream];
            event::ActiveModel::from(event::Model {
                id: event.id,
                account_id: account_id.to_owned(),
                live,
                seq: lasts[event.stream] - event.back,
                kind: event.kind.to_owned(),
                created_at: now,
                body: event.body,
            })
        });
        crate::db::insert_all(db, rows.collect()).await?;
        lasts
    };
    Ok(streams
        .into_iter()
        .zip(lasts)
        .map(|((account_id, live, _), seq)| Head {
            account_id,
            live,
            seq,
        })
        .collect())
}

/// [`advance`] and the insert of the events it numbers, in one PostgreSQL
/// statement (one round trip fewer in the group's transaction, which holds
/// its streams' counters from here to its commit), of one text however many
/// streams and events it writes (so each connection prepares it once): the
/// values come as arrays, the counters' upsert is a data-modifying `WITH`
/// whose returned numbers number the inserted rows, and it locks the counter
/// rows to the commit in the order of `streams`, just as [`advance`] does.
/// Returns the streams' new last numbers.
async fn advance_and_insert<C: ConnectionTrait>(
    db: &C,
    streams: &[(&str, bool, i64)],
    fresh: Vec<Fresh>,
    now: i64,
) -> Result<Vec<i64>, DbErr> {
    const SQL: &str = "WITH fresh AS (\
           SELECT * FROM unnest($2::text[], $3::int8[], $4::int8[], $5::text[], $6::bytea[]) \
           AS f (id, stream, back, kind, body)), \
         streams AS (\
           SELECT * FROM unnest($7::text[], $8::bool[], $9::int8[]) WITH ORDINALITY \
           AS s (account_id, live, count, stream)), \
         counters AS (\
           INSERT INTO event_streams (account_id, live, seq) \
           SELECT account_id, live, count FROM streams ORDER BY stream \
           ON CONFLICT (account_id, live) DO UPDATE SET seq = event_streams.seq + excluded.seq \
           RETURNING account_id, live, seq), \
         numbered AS (\
           SELECT s.stream, c.account_id, c.live, c.seq FROM streams s \
           JOIN counters c ON c.account_id = s.account_id AND c.live = s.live), \
         written AS (\
           INSERT INTO events (id, account_id, live, seq, type, created_at, body) \
           SELECT f.id, n.account_id, n.live, n.seq - f.back, f.kind, $1, f.body \
           FROM fresh f JOIN numbered n ON n.stream = f.stream \
           RETURNING 1) \
         SELECT account_id, live, seq, (SELECT count(*) FROM written) AS written FROM counters";
    let expected = fresh.len();
    let (mut ids, mut of_stream, mut backs, mut kinds, mut bodies) = (
        Vec::with_capacity(expected),
        Vec::with_capacity(expected),
        Vec::with_capacity(expected),
        Vec::with_capacity(expected),
        Vec::with_capacity(expected),
    );
    for event in fresh {
        ids.push(event.id);
        of_stream.push(event.stream as i64 + 1);
        backs.push(event.back);
        kinds.push(event.kind.to_owned());
        bodies.push(event.body);
    }
    let values: Vec<Value> = vec![
        now.into(),
        ids.into(),
        of_stream.into(),
        backs.into(),
        kinds.into(),
        bodies.into(),
        streams
            .iter()
            .map(|s| s.0.to_owned())
            .collect::<Vec<_>>()
            .into(),
        streams.iter().map(|s| s.1).collect::<Vec<_>>().into(),
        streams.iter().map(|s| s.2).collect::<Vec<_>>().into(),
    ];
    let found = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            SQL,
            values,
        ))
        .await?;
    let mut last: HashMap<(String, bool), i64> = HashMap::with_capacity(found.len());
    for row in found {
        let written: i64 = row.try_get("", "written")?;
        if written != expected as i64 {
            return Err(DbErr::Custom(format!(
                "{written} of {expected} events were written"
            )));
        }
        last.insert(
            (row.try_get("", "account_id")?, row.try_get("", "live")?),
            row.try_get("", "seq")?,
        );
    }
    lasts_in_order(streams, &last)
}

/// Tells the other servers on PostgreSQL where these streams stand, after
/// their commits: a `NOTIFY` inside the writing transaction would hold
/// PostgreSQL's database-wide notification lock through the commit, so that
/// every server's writes of every stream would commit one at a time.
pub async fn announce<C: ConnectionTrait>(db: &C, heads: &[Head]) -> Result<(), DbErr> {
    for chunk in heads.chunks(100) {
        let calls: Vec<String> = (0..chunk.len())
            .map(|i| format!("pg_notify($1, ${})", i + 2))
            .collect();
        let mut values: Vec<Value> = vec![CHANNEL.into()];
        values.extend(chunk.iter().map(|head| head.announcement().into()));
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            format!("SELECT {}", calls.join(", ")),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// The body stored for `event`: the event without what the row's columns
/// hold (id, type, mode, time and number), which [`decode`] puts back.
fn body(mut event: pb::Event) -> Vec<u8> {
    event.id.clear();
    event.r#type.clear();
    event.live = false;
    event.created_at = None;
    event.sequence = 0;
    event.encode_to_vec()
}

/// The event a row holds (bodies written before [`body`] left the columns'
/// fields out hold the same values).
fn decode(row: event::Model) -> Result<pb::Event> {
    let mut event = pb::Event::decode(row.body.as_slice()).map_err(|e| {
        Error::Internal(DbErr::Custom(format!(
            "event {} is unreadable: {e}",
            row.id
        )))
    })?;
    event.created_at = Some(crate::proto::timestamp(row.created_at));
    event.id = row.id;
    event.r#type = row.kind;
    event.live = row.live;
    event.sequence = row.seq;
    Ok(event)
}

fn of(tenant: &Tenant) -> sea_orm::Select<event::Entity> {
    event::Entity::find().filter(tenant.scope(event::Column::AccountId, event::Column::Live))
}

fn typed(select: sea_orm::Select<event::Entity>, types: &Types) -> sea_orm::Select<event::Entity> {
    if types.all() {
        select
    } else {
        select.filter(event::Column::Kind.is_in(types.iter()))
    }
}

/// The last number of the tenant's stream; 0 before its first event.
pub async fn head<C: ConnectionTrait>(db: &C, tenant: &Tenant) -> Result<i64> {
    let seq: Option<i64> = event_stream::Entity::find()
        .filter(tenant.scope(event_stream::Column::AccountId, event_stream::Column::Live))
        .select_only()
        .column(event_stream::Column::Seq)
        .into_tuple()
        .one(db)
        .await?;
    Ok(seq.unwrap_or(0))
}

/// Up to `limit` events of the stream after number `seq`, oldest first.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    seq: i64,
    limit: u64,
) -> Result<Vec<pb::Event>> {
    of(tenant)
        .filter(event::Column::Seq.gt(seq))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Up to `limit` events of the stream after number `seq`, oldest first, as
/// `(id, number, type)` without their bodies.
pub async fn index_after<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    seq: i64,
    limit: u64,
) -> Result<Vec<(String, i64, String)>> {
    Ok(of(tenant)
        .filter(event::Column::Seq.gt(seq))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::Seq)
        .column(event::Column::Kind)
        .into_tuple()
        .all(db)
        .await?)
}

/// The stream number of event `id` of the tenant, if it is still kept.
pub async fn seq_of<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<Option<i64>> {
    Ok(of(tenant)
        .filter(event::Column::Id.eq(id))
        .select_only()
        .column(event::Column::Seq)
        .into_tuple()
        .one(db)
        .await?)
}

/// One event of the tenant.
pub async fn get<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<pb::Event> {
    if !ids::could_exist(id) {
        return Err(Error::not_found("event", id));
    }
    let row = of(tenant)
        .filter(event::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("event", id))?;
    decode(row)
}

/// What a list of events asks for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub limit: u64,
    /// Older than this stream number (`starting_after`)...
    pub before: Option<i64>,
    /// ...or newer than this one (`ending_before`).
    pub after: Option<i64>,
    pub types: Types,
    pub created_gte: Option<i64>,
    pub created_lte: Option<i64>,
    /// Events to skip, newest first (without cursors).
    pub offset: u64,
    pub include_total: bool,
}

/// A page of events, newest first.
pub struct EventPage {
    pub events: Vec<pb::Event>,
    pub has_more: bool,
    pub total: Option<u64>,
}

/// A page of the tenant's events, newest first, whether more lie beyond it,
/// and how many match in all if asked.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    query: &ListQuery,
) -> Result<EventPage> {
    let mut select = typed(of(tenant), &query.types);
    if let Some(gte) = query.created_gte {
        select = select.filter(event::Column::CreatedAt.gte(gte));
    }
    if let Some(lte) = query.created_lte {
        select = select.filter(event::Column::CreatedAt.lte(lte));
    }
    let total = if query.include_total {
        use sea_orm::PaginatorTrait;
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let (events, has_more) = page(db, select, query).await?;
    Ok(EventPage {
        events,
        has_more,
        total,
    })
}

async fn page<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<event::Entity>,
    query: &ListQuery,
) -> Result<(Vec<pb::Event>, bool)> {
    let mut rows = match (query.before, query.after) {
        (_, Some(after)) => {
            // The page just newer than `after`, read upwards, shown newest first.
            let mut rows = select
                .filter(event::Column::Seq.gt(after))
                .order_by_asc(event::Column::Seq)
                .limit(query.limit + 1)
                .all(db)
                .await?;
            let more = rows.len() as u64 > query.limit;
            rows.truncate(query.limit as usize);
            rows.reverse();
            let events = rows.into_iter().map(decode).collect::<Result<_>>()?;
            return Ok((events, more));
        }
        (Some(before), None) => select.filter(event::Column::Seq.lt(before)),
        (None, None) => select.offset(query.offset),
    }
    .order_by_desc(event::Column::Seq)
    .limit(query.limit + 1)
    .all(db)
    .await?;
    let more = rows.len() as u64 > query.limit;
    rows.truncate(query.limit as usize);
    Ok((rows.into_iter().map(decode).collect::<Result<_>>()?, more))
}

/// Deletes up to `batch` events created before `cutoff`; how many it deleted.
pub async fn prune<C: ConnectionTrait>(db: &C, cutoff: i64, batch: u64) -> Result<u64> {
    // Event ids begin with their time, so the oldest are the lowest ids: the
    // primary key finds them, and no index on the time is kept up by writes.
    let below = ids::time_ordered_floor("evt_", cutoff);
    let ids: Vec<String> = event::Entity::find()
        .filter(event::Column::Id.lt(below))
        .select_only()
        .column(event::Column::Id)
        .order_by_asc(event::Column::Id)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let deleted = event::Entity::delete_many()
        .filter(event::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The current heads of the given streams (for servers that poll).
pub async fn heads<C: ConnectionTrait>(db: &C, streams: &[(String, bool)]) -> Result<Vec<Head>> {
    if streams.is_empty() {
        return Ok(Vec::new());
    }
    let mut any = sea_orm::Condition::any();
    for (account_id, live) in streams {
        any = any.add(
            sea_orm::Condition::all()
                .add(event_stream::Column::AccountId.eq(account_id.as_str()))
                .add(event_stream::Column::Live.eq(*live)),
        );
    }
    Ok(event_stream::Entity::find()
        .filter(any)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Head {
            account_id: row.account_id,
            live: row.live,
            seq: row.seq,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> pb::Event {
        pb::Event {
            id: "evt_0190a1b2c3d4e5f6a7b8c9d0".into(),
            r#type: "customer.created".into(),
            live: true,
            created_at: Some(crate::proto::timestamp(1_700_000_000_123_456)),
            object: Some(pb::event::Object::Customer(pb::Customer {
                id: "cus_0190a1b2c3d4e5f6a7b8c9d0".into(),
                name: Some("Ada".into()),
                ..Default::default()
            })),
            request: Some(pb::EventRequest {
                id: Some("req-1".into()),
                idempotency_key: None,
            }),
            sequence: 42,
            ..Default::default()
        }
    }

    fn row(body: Vec<u8>) -> event::Model {
        let event = event();
        event::Model {
            id: event.id,
            account_id: "acct_1".into(),
            live: event.live,
            seq: event.sequence,
            kind: event.r#type,
            created_at: 1_700_000_000_123_456,
            body,
        }
    }

    #[test]
    fn a_stored_body_reads_back_as_the_event() {
        let stored = body(event());
        assert!(stored.len() < event().encode_to_vec().len());
        assert_eq!(decode(row(stored)).unwrap(), event());
    }

    #[test]
    fn bodies_stored_whole_read_the_same() {
        assert_eq!(decode(row(event().encode_to_vec())).unwrap(), event());
    }

    #[test]
    fn an_unreadable_body_is_an_internal_error() {
        assert!(matches!(
            decode(row(vec![0xff; 3])),
            Err(Error::Internal(_))
        ));
    }
}
