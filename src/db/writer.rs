//! Group commit: writes that arrive together share one transaction, so one
//! commit (and one disk flush) covers all of them, and each is answered only
//! after that commit.
//!
//! Each write keeps its own outcome. A write that can fail after changing
//! something (a rule checked after a write) runs inside a savepoint, so its
//! failure undoes only its own changes. Any other failure, and any failure of
//! the shared transaction itself, makes the whole group run again one write
//! per transaction, which is how every write ran before grouping.
//!
//! New rows that nothing else in the group can refer to yet (a new customer
//! and its metadata: no caller knows the id before the answer) may be
//! deferred: the group inserts all of them with one statement per table just
//! before it commits.
//!
//! SQLite allows one writer at a time, so it gets one lane; other databases get
//! several lanes whose groups commit concurrently. Each event stream (an
//! account in one mode) has its lane, and every write goes to the lane of the
//! stream it writes: a group locks its streams' counters until it commits (see
//! [`crate::events::log`]), so two groups of one stream could only commit one
//! after the other anyway, and groups of different lanes share no row. Groups
//! that still meet on a row (other servers' groups, on one database) can
//! deadlock where no single write would; the database then fails one write of
//! one group, which runs again on its own (as does any write failed by a
//! deadlock, a serialization failure or a busy lock), a few times, before its
//! caller hears of it.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::entities::{customer, customer_metadata};
use crate::auth::Tenant;
use crate::error::{Error, Result};
use crate::events::log::{self as event_log, Head};
use crate::events::{Change, Hub, Object, Origin};

/// How many writes one group takes at most.
const MAX_GROUP: usize = 256;
/// How many writes may wait for a group (over all lanes) before callers wait to queue.
const QUEUE: usize = 8192;
/// How many lanes run groups at once where the database allows it.
const LANES: usize = 4;

/// How a write is kept apart from the others of its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// It fails only before changing anything, or for reasons that would fail
    /// its group anyway (the group then runs again one by one).
    Shared,
    /// It may fail after changing something; a savepoint undoes its part alone.
    Savepoint,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// New rows to insert when the group commits.
#[derive(Default)]
struct Deferred {
    customers: Vec<customer::ActiveModel>,
    metadata: Vec<customer_metadata::ActiveModel>,
    /// The group's changes, written last as events.
    events: Vec<Change>,
}

impl Deferred {
    fn absorb(&mut self, other: Deferred) {
        self.customers.extend(other.customers);
        self.metadata.extend(other.metadata);
        self.events.extend(other.events);
    }

    /// Inserts everything, parents before the rows that refer to them, and
    /// the events last (their streams' counters stay locked until the
    /// commit, so they are taken as late as possible). Returns the streams'
    /// new heads.
    async fn insert(self, txn: &DatabaseTransaction) -> Result<Vec<Head>, DbErr> {
        super::insert_all(txn, self.customers).await?;
        super::insert_all(txn, self.metadata).await?;
        event_log::append(txn, self.events).await
    }
}

/// The transaction a write runs in, with the rows it defers, and the tenant
/// and request it runs for.
#[derive(Clone, Copy)]
pub struct Tx<'t> {
    txn: &'t DatabaseTransaction,
    deferred: &'t Mutex<Deferred>,
    tenant: &'t Tenant,
    origin: &'t Origin,
}

impl Deref for Tx<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.txn
    }
}

impl<'t> Tx<'t> {
    /// The tenant the write runs for; its events go to this tenant's stream.
    pub fn tenant(&self) -> &'t Tenant {
        self.tenant
    }

    fn deferred(&self) -> MutexGuard<'_, Deferred> {
        self.deferred.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Inserts a new customer row when the group commits.
    pub fn defer_customer(&self, row: customer::ActiveModel) {
        self.deferred().customers.push(row);
    }

    /// Inserts new metadata rows (of a customer deferred before) when the group commits.
    pub fn defer_metadata(&self, rows: impl IntoIterator<Item = customer_metadata::ActiveModel>) {
        self.deferred().metadata.extend(rows);
    }

    /// Records a change as an event of the tenant's stream, written with the
    /// write (and undone with it).
    pub fn record(
        &self,
        kind: &'static str,
        object: Object,
        previous: Option<(Object, Vec<String>)>,
    ) {
        self.deferred().events.push(Change {
            account_id: self.tenant.account_id.clone(),
            live: self.tenant.live,
            kind,
            object,
            previous,
            origin: self.origin.clone(),
        });
    }
}

/// How a write ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    Done,
    /// Its error is its answer.
    Failed,
    /// The database gave up on it for a reason that is gone when it runs
    /// again (a deadlock, a serialization failure, a busy lock).
    Transient,
}

/// How many times a write failed by a transient error runs on its own.
const ATTEMPTS: u32 = 6;

/// One write: runnable again if its group has to be retried one by one.
trait Job: Send + Sync {
    fn isolation(&self) -> Isolation;
    /// The first existing row the write locks (see [`Writer::write`]).
    fn locks(&self) -> Option<&str>;
    /// The tenant it runs for.
    fn tenant(&self) -> &Tenant;
    /// The request it runs for.
    fn origin(&self) -> &Origin;
    /// Runs the write; its outcome is kept until [`Job::answer`].
    fn run<'t>(&'t self, tx: Tx<'t>) -> BoxFuture<'t, Ran>;
    /// Answers the caller: with the kept outcome if `committed`, else with the failure.
    fn answer(&self, committed: Result<(), &DbErr>);
}

struct Write<T, F> {
    isolation: Isolation,
    tenant: Tenant,
    locks: Option<String>,
    origin: Origin,
    op: F,
    outcome: Mutex<Option<Result<T>>>,
    reply: Mutex<Option<oneshot::Sender<Result<T>>>>,
}

impl<T, F> Job for Write<T, F>
where
    T: Send + 'static,
    F: for<'t> Fn(Tx<'t>) -> BoxFuture<'t, Result<T>> + Send + Sync,
{
    fn isolation(&self) -> Isolation {
        self.isolation
    }

    fn locks(&self) -> Option<&str> {
        self.locks.as_deref()
    }

    fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    fn origin(&self) -> &Origin {
        &self.origin
    }

    fn run<'t>(&'t self, tx: Tx<'t>) -> BoxFuture<'t, Ran> {
        Box::pin(async move {
            let outcome = (self.op)(tx).await;
            let ran = match &outcome {
                Ok(_) => Ran::Done,
                Err(Error::Internal(err) | Error::Unavailable(err)) if transient(err) => {
                    Ran::Transient
                }
                Err(_) => Ran::Failed,
            };
            *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            ran
        })
    }

    fn answer(&self, committed: Result<(), &DbErr>) {
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let answer = match (committed, outcome) {
            (_, Some(Err(err))) => Err(err),
            (Ok(()), Some(Ok(value))) => Ok(value),
            (Err(err), _) => Err(failure(err)),
            (Ok(()), None) => Err(Error::Internal(DbErr::Custom(
                "a write was answered before it ran".to_owned(),
            ))),
        };
        if let Some(reply) = self.reply.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = reply.send(answer);
        }
    }
}

/// Whether the database failed a statement for a reason that running the
/// transaction again removes: PostgreSQL's deadlock and serialization
/// failures, MySQL's deadlock and lock wait timeout, SQLite's busy locks.
fn transient(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    let (DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err))) = err
    else {
        return false;
    };
    let SqlxError::Database(db) = &**err else {
        return false;
    };
    if let Some(mysql) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        return matches!(mysql.number(), 1205 | 1213);
    }
    matches!(
        db.code().as_deref(),
        // PostgreSQL (SQLSTATE)
        Some("40P01" | "40001")
        // SQLite (result codes): BUSY, LOCKED, BUSY_SNAPSHOT
        | Some("5" | "6" | "517")
    )
}

/// The error every write of a failed group is answered with.
fn failure(err: &DbErr) -> Error {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
            Error::Unavailable(DbErr::Custom(err.to_string()))
        }
        _ => Error::Internal(DbErr::Custom(err.to_string())),
    }
}

/// Where writes are sent to be grouped; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    /// One queue per lane.
    lanes: Arc<[mpsc::Sender<Arc<dyn Job>>]>,
}

impl Writer {
    /// Starts the lanes that run groups on `db`; `hub` hears of the events
    /// each group commits.
    pub fn start(db: DatabaseConnection, hub: Hub) -> Self {
        let lanes = match db.get_database_backend() {
            DatabaseBackend::Sqlite => 1,
            _ => LANES,
        };
        let lanes = (0..lanes)
            .map(|_| {
                let (queue, receiver) = mpsc::channel(QUEUE / lanes);
                tokio::spawn(run_lane(db.clone(), hub.clone(), receiver));
                queue
            })
            .collect();
        Self { lanes }
    }

    /// Runs `op` for `tenant` in a transaction shared with other writes of
    /// that tenant's event stream, and returns its outcome once that
    /// transaction has committed. `op` may run more than once (only the last
    /// run counts), so it must not act outside the database. The write's
    /// events name the request `origin`.
    ///
    /// `locks` names the write's first lock on an existing row (a customer id,
    /// or a subscription id for what locks a subscription alone). A group runs
    /// its writes in the order of these names, so two groups take their locks
    /// in one order and cannot deadlock each other: ids of customers sort
    /// before those of the subscriptions they own, as deleting a customer
    /// locks it before them.
    pub async fn write<T, F>(
        &self,
        isolation: Isolation,
        tenant: Tenant,
        locks: Option<String>,
        origin: Origin,
        op: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> Fn(Tx<'t>) -> BoxFuture<'t, Result<T>> + Send + Sync + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let lane = &self.lanes[lane_of(&tenant, self.lanes.len())];
        let job = Arc::new(Write {
            isolation,
            tenant,
            locks,
            origin,
            op,
            outcome: Mutex::new(None),
            reply: Mutex::new(Some(reply)),
        });
        let stopped = || Error::Unavailable(DbErr::Custom("the server is stopping".to_owned()));
        lane.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The lane of `tenant`'s stream, of `lanes`.
fn lane_of(tenant: &Tenant, lanes: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    (&tenant.account_id, tenant.live).hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}

/// Runs the groups of one lane, one after the other, until the writer is dropped.
async fn run_lane(db: DatabaseConnection, hub: Hub, mut queue: mpsc::Receiver<Arc<dyn Job>>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        run_group(&db, &hub, group).await;
    }
}

/// A transaction that writes: on SQLite it takes the write lock at once.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        // Take SQLite's write lock first, so no read lock waits to be upgraded.
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

async fn run_group(db: &DatabaseConnection, hub: &Hub, mut group: Vec<Arc<dyn Job>>) {
    // Stable: writes locking the same row keep their order of arrival.
    group.sort_by(|a, b| a.locks().cmp(&b.locks()));
    if group.len() == 1 {
        return run_alone(db, hub, &group[0]).await;
    }
    if run_together(db, hub, &group).await.is_err() {
        for job in &group {
            run_alone(db, hub, job).await;
        }
    }
}

/// The group has to run again, one write per transaction.
struct Retry;

async fn run_together(
    db: &DatabaseConnection,
    hub: &Hub,
    group: &[Arc<dyn Job>],
) -> Result<(), Retry> {
    let txn = begin(db).await.map_err(|_| Retry)?;
    let mut deferred = Deferred::default();
    // Writes a transient error undid, to run again on their own.
    let mut again = vec![false; group.len()];
    for (i, job) in group.iter().enumerate() {
        let own = Mutex::new(Deferred::default());
        match job.isolation() {
            Isolation::Shared => {
                let tx = Tx {
                    txn: &txn,
                    deferred: &own,
                    tenant: job.tenant(),
                    origin: job.origin(),
                };
                if job.run(tx).await != Ran::Done {
                    let _ = txn.rollback().await;
                    return Err(Retry);
                }
            }
            Isolation::Savepoint => {
                let savepoint = txn.begin().await.map_err(|_| Retry)?;
                let tx = Tx {
                    txn: &savepoint,
                    deferred: &own,
                    tenant: job.tenant(),
                    origin: job.origin(),
                };
                match job.run(tx).await {
                    Ran::Done => savepoint.commit().await.map_err(|_| Retry)?,
                    ran => {
                        // Nothing of it stays; its error is its answer, unless
                        // running it again may succeed.
                        savepoint.rollback().await.map_err(|_| Retry)?;
                        again[i] = ran == Ran::Transient;
                        continue;
                    }
                }
            }
        }
        deferred.absorb(own.into_inner().unwrap_or_else(|e| e.into_inner()));
    }
    let Ok(heads) = deferred.insert(&txn).await else {
        let _ = txn.rollback().await;
        return Err(Retry);
    };
    let committed = txn.commit().await;
    if committed.is_ok() {
        hub.committed(&heads);
    }
    for (job, again) in group.iter().zip(&again) {
        if !again {
            job.answer(committed.as_ref().map(|_| ()));
        }
    }
    for (job, again) in group.iter().zip(again) {
        if again {
            run_alone(db, hub, job).await;
        }
    }
    Ok(())
}

/// Runs one write in its own transaction, again after a transient failure
/// (with a growing, jittered pause) up to [`ATTEMPTS`] times.
async fn run_alone(db: &DatabaseConnection, hub: &Hub, job: &Arc<dyn Job>) {
    let mut attempt = 1;
    loop {
        match run_once(db, hub, job).await {
            Ran::Transient if attempt < ATTEMPTS => {
                let pause = 2u64.pow(attempt) + u64::from(getrandom::u32().unwrap_or(0) % 10);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                attempt += 1;
            }
            // Answered, or out of attempts: its last error is its answer.
            Ran::Transient => return job.answer(Ok(())),
            Ran::Done | Ran::Failed => return,
        }
    }
}

/// One attempt of [`run_alone`]; answers the caller unless it was transient.
async fn run_once(db: &DatabaseConnection, hub: &Hub, job: &Arc<dyn Job>) -> Ran {
    let txn = match begin(db).await {
        Ok(txn) => txn,
        Err(err) => {
            job.answer(Err(&err));
            return Ran::Failed;
        }
    };
    let deferred = Mutex::new(Deferred::default());
    let tx = Tx {
        txn: &txn,
        deferred: &deferred,
        tenant: job.tenant(),
        origin: job.origin(),
    };
    match job.run(tx).await {
        Ran::Done => {}
        Ran::Transient => {
            let _ = txn.rollback().await;
            return Ran::Transient;
        }
        Ran::Failed => {
            let _ = txn.rollback().await;
            job.answer(Ok(()));
            return Ran::Failed;
        }
    }
    let deferred = deferred.into_inner().unwrap_or_else(|e| e.into_inner());
    let heads = match deferred.insert(&txn).await {
        Ok(heads) => heads,
        Err(err) => {
            let _ = txn.rollback().await;
            if transient(&err) {
                return Ran::Transient;
            }
            job.answer(Err(&err));
            return Ran::Failed;
        }
    };
    let committed = txn.commit().await;
    if committed.is_ok() {
        hub.committed(&heads);
    }
    job.answer(committed.as_ref().map(|_| ()));
    Ran::Done
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn tenant(account: usize, live: bool) -> Tenant {
        Tenant {
            account_id: format!("acct_{account:024}"),
            live,
        }
    }

    #[test]
    fn a_stream_keeps_one_lane_and_streams_use_every_lane() {
        for account in 0..200 {
            for live in [false, true] {
                let lane = lane_of(&tenant(account, live), LANES);
                assert!(lane < LANES);
                assert_eq!(lane_of(&tenant(account, live), LANES), lane);
                assert_eq!(lane_of(&tenant(account, live), 1), 0);
            }
        }
        let used: HashSet<usize> = (0..64)
            .map(|account| lane_of(&tenant(account, true), LANES))
            .collect();
        assert_eq!(
            used.len(),
            LANES,
            "64 accounts should spread over every lane"
        );
    }
}
