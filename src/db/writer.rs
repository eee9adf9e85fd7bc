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
//! several lanes whose groups commit concurrently.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::entities::{customer, customer_metadata};
use crate::error::{Error, Result};

/// How many writes one group takes at most.
const MAX_GROUP: usize = 256;
/// How many writes may wait for a group before callers wait to queue.
const QUEUE: usize = 8192;
/// Rows per insert statement, well within every backend's limit on bound values.
const ROWS_PER_INSERT: usize = 500;

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
}

impl Deferred {
    fn absorb(&mut self, other: Deferred) {
        self.customers.extend(other.customers);
        self.metadata.extend(other.metadata);
    }

    /// Inserts everything, parents before the rows that refer to them.
    async fn insert(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        for chunk in self.customers.chunks(ROWS_PER_INSERT) {
            customer::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        for chunk in self.metadata.chunks(ROWS_PER_INSERT) {
            customer_metadata::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        Ok(())
    }
}

/// The transaction a write runs in, with the rows it defers.
#[derive(Clone, Copy)]
pub struct Tx<'t> {
    txn: &'t DatabaseTransaction,
    deferred: &'t Mutex<Deferred>,
}

impl Deref for Tx<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.txn
    }
}

impl Tx<'_> {
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
}

/// One write: runnable again if its group has to be retried one by one.
trait Job: Send + Sync {
    fn isolation(&self) -> Isolation;
    /// Runs the write; its outcome is kept until [`Job::answer`].
    fn run<'t>(&'t self, tx: Tx<'t>) -> BoxFuture<'t, bool>;
    /// Answers the caller: with the kept outcome if `committed`, else with the failure.
    fn answer(&self, committed: Result<(), &DbErr>);
}

struct Write<T, F> {
    isolation: Isolation,
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

    fn run<'t>(&'t self, tx: Tx<'t>) -> BoxFuture<'t, bool> {
        Box::pin(async move {
            let outcome = (self.op)(tx).await;
            let ok = outcome.is_ok();
            *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            ok
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
    queue: mpsc::Sender<Arc<dyn Job>>,
}

impl Writer {
    /// Starts the lanes that run groups on `db`.
    pub fn start(db: DatabaseConnection) -> Self {
        let lanes = match db.get_database_backend() {
            DatabaseBackend::Sqlite => 1,
            _ => 4,
        };
        let (queue, receiver) = mpsc::channel::<Arc<dyn Job>>(QUEUE);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        for _ in 0..lanes {
            let (db, receiver) = (db.clone(), Arc::clone(&receiver));
            tokio::spawn(async move {
                loop {
                    let mut group = Vec::new();
                    {
                        let mut receiver = receiver.lock().await;
                        let Some(first) = receiver.recv().await else {
                            return;
                        };
                        group.push(first);
                        while group.len() < MAX_GROUP {
                            match receiver.try_recv() {
                                Ok(job) => group.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    run_group(&db, group).await;
                }
            });
        }
        Self { queue }
    }

    /// Runs `op` in a transaction shared with other writes, and returns its
    /// outcome once that transaction has committed. `op` may run more than
    /// once (only the last run counts), so it must not act outside the database.
    pub async fn write<T, F>(&self, isolation: Isolation, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> Fn(Tx<'t>) -> BoxFuture<'t, Result<T>> + Send + Sync + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Arc::new(Write {
            isolation,
            op,
            outcome: Mutex::new(None),
            reply: Mutex::new(Some(reply)),
        });
        let stopped = || Error::Unavailable(DbErr::Custom("the server is stopping".to_owned()));
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        // Take SQLite's write lock first, so no read lock waits to be upgraded.
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

async fn run_group(db: &DatabaseConnection, group: Vec<Arc<dyn Job>>) {
    if group.len() == 1 {
        return run_alone(db, &group[0]).await;
    }
    if run_together(db, &group).await.is_err() {
        for job in &group {
            run_alone(db, job).await;
        }
    }
}

/// The group has to run again, one write per transaction.
struct Retry;

async fn run_together(db: &DatabaseConnection, group: &[Arc<dyn Job>]) -> Result<(), Retry> {
    let txn = begin(db).await.map_err(|_| Retry)?;
    let mut deferred = Deferred::default();
    for job in group {
        let own = Mutex::new(Deferred::default());
        match job.isolation() {
            Isolation::Shared => {
                if !job
                    .run(Tx {
                        txn: &txn,
                        deferred: &own,
                    })
                    .await
                {
                    let _ = txn.rollback().await;
                    return Err(Retry);
                }
            }
            Isolation::Savepoint => {
                let savepoint = txn.begin().await.map_err(|_| Retry)?;
                if job
                    .run(Tx {
                        txn: &savepoint,
                        deferred: &own,
                    })
                    .await
                {
                    savepoint.commit().await.map_err(|_| Retry)?;
                } else {
                    // Its error is its answer; nothing of it stays.
                    savepoint.rollback().await.map_err(|_| Retry)?;
                    continue;
                }
            }
        }
        deferred.absorb(own.into_inner().unwrap_or_else(|e| e.into_inner()));
    }
    if deferred.insert(&txn).await.is_err() {
        let _ = txn.rollback().await;
        return Err(Retry);
    }
    let committed = txn.commit().await;
    for job in group {
        job.answer(committed.as_ref().map(|_| ()));
    }
    Ok(())
}

async fn run_alone(db: &DatabaseConnection, job: &Arc<dyn Job>) {
    let txn = match begin(db).await {
        Ok(txn) => txn,
        Err(err) => return job.answer(Err(&err)),
    };
    let deferred = Mutex::new(Deferred::default());
    if !job
        .run(Tx {
            txn: &txn,
            deferred: &deferred,
        })
        .await
    {
        let _ = txn.rollback().await;
        return job.answer(Ok(()));
    }
    let deferred = deferred.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Err(err) = deferred.insert(&txn).await {
        let _ = txn.rollback().await;
        return job.answer(Err(&err));
    }
    let committed = txn.commit().await;
    job.answer(committed.as_ref().map(|_| ()));
}
