//! Work that must happen once however many processes start together on one
//! database (migrations, the first key): done in a transaction that holds a
//! lock only one process gets at a time. The others wait for it, then find
//! the work done.
//!
//! PostgreSQL: a transaction-scoped advisory lock. MySQL and MariaDB: a named
//! lock (`GET_LOCK`) held from before the transaction begins until after it
//! commits, on a connection of its own (named locks belong to a session, and
//! DDL there commits on its own). SQLite: its write lock, taken when the
//! transaction begins.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

/// How long a process waits for another to finish (MySQL; the others wait as
/// long as it takes, bounded by their statement and busy timeouts).
const WAIT_SECONDS: i64 = 120;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stable 63-bit number for a lock name (FNV-1a), for PostgreSQL's advisory locks.
fn lock_number(name: &str) -> i64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash >> 1) as i64
}

/// Runs `work` in a transaction that holds the lock called `name`, and commits.
pub async fn exclusively<T, F>(db: &DatabaseConnection, name: &str, work: F) -> Result<T, DbErr>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, DbErr>>,
{
    if db.get_database_backend() == DatabaseBackend::MySql {
        return exclusively_on_mysql(db, name, work).await;
    }
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [lock_number(name).into()],
        ))
        .await?;
    }
    finish(txn, work).await
}

async fn finish<T, F>(txn: DatabaseTransaction, work: F) -> Result<T, DbErr>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, DbErr>>,
{
    match work(&txn).await {
        Ok(value) => txn.commit().await.map(|()| value),
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

async fn exclusively_on_mysql<T, F>(
    db: &DatabaseConnection,
    name: &str,
    work: F,
) -> Result<T, DbErr>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, DbErr>>,
{
    // One connection, so the lock, the work and the release share a session.
    let options = db.get_mysql_connection_pool().connect_options();
    let pool = sea_orm::sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())))?;
    let session = sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool);
    let backend = DatabaseBackend::MySql;
    let got: Option<i64> = session
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT GET_LOCK(?, ?)",
            [name.into(), WAIT_SECONDS.into()],
        ))
        .await?
        .and_then(|row| row.try_get_by_index(0).ok());
    if got != Some(1) {
        session.close().await.ok();
        return Err(DbErr::Custom(format!(
            "another process held the lock '{name}' for more than {WAIT_SECONDS} s"
        )));
    }
    let outcome = match session.begin().await {
        Ok(txn) => finish(txn, work).await,
        Err(err) => Err(err),
    };
    session
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "DO RELEASE_LOCK(?)",
            [name.into()],
        ))
        .await
        .ok();
    session.close().await.ok();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_numbers_are_stable_and_distinct() {
        assert_eq!(
            lock_number("customerd_migrate"),
            lock_number("customerd_migrate")
        );
        assert_ne!(
            lock_number("customerd_migrate"),
            lock_number("customerd_first_key")
        );
        assert!(lock_number("x") >= 0);
    }
}
