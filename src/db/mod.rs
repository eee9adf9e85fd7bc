//! Database access: connection, migrations and entities. Nothing here knows of
//! gRPC or HTTP.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

pub mod entities;
mod exclusive;
pub mod indexes;
mod migrations;
mod owned;
mod presence;
pub mod text_search;
mod writer;

pub use exclusive::exclusively;
pub use migrations::Migrator;
pub use owned::{OfCustomer, Owned, find_owned, page_owned};
pub use presence::Presence;
pub use writer::{BoxFuture, Isolation, Tx, Writer, begin as begin_write};

/// Runs `op` through `writer` on the tenant's existing row `id`, which the
/// write locks first (see [`Writer::write`]), in a savepoint of its group;
/// each run of `op` gets its own copy of the id.
pub async fn write_one<T, F>(
    writer: &Writer,
    tenant: crate::auth::Tenant,
    origin: crate::events::Origin,
    id: String,
    op: F,
) -> crate::error::Result<T>
where
    T: Send + 'static,
    F: for<'t> Fn(Tx<'t>, String) -> BoxFuture<'t, crate::error::Result<T>> + Send + Sync + 'static,
{
    let target = id.clone();
    writer
        .write(Isolation::Savepoint, tenant, Some(id), origin, move |tx| {
            op(tx, target.clone())
        })
        .await
}

/// Rows per insert statement, well within every backend's limit on bound values.
const ROWS_PER_INSERT: usize = 500;

/// Inserts `rows` with as few statements as the backends allow, moving each
/// row into its statement.
pub async fn insert_all<A, C>(db: &C, rows: Vec<A>) -> Result<(), DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
    C: sea_orm::ConnectionTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        <A::Entity as sea_orm::EntityTrait>::insert_many(rows.by_ref().take(ROWS_PER_INSERT))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The pool size when none is asked for: SQLite serves reads from a few
/// connections beside its one writer; servers take more.
pub fn default_max_connections(url: &str) -> u32 {
    if url.starts_with("sqlite:") { 4 } else { 10 }
}

/// Opens a connection pool of at most `max_connections` (or the backend's
/// default) for `url` (`sqlite:`, `postgres:` or `mysql:`).
///
/// SQLite files are created when missing and run in WAL mode with full
/// synchronisation, so an acknowledged write survives a crash.
pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(max_connections.unwrap_or_else(|| default_max_connections(url)));
    opts.sqlx_logging(false)
        // A ping before every checkout costs a round trip per query; only a
        // connection idle long enough to have been dropped is checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
        // Opening can meet another process's lock without waiting on it (while
        // that process turns a new file to WAL, or recovers the WAL index);
        // processes starting together retry for as long as they would wait on
        // a busy database.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match Database::connect(opts.clone()).await {
                Err(err)
                    if err.to_string().contains("database is locked")
                        && std::time::Instant::now() < deadline =>
                {
                    tracing::debug!(error = %err, "database busy while opening; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                outcome => return outcome,
            }
        }
    }
    Database::connect(opts).await
}

/// Applies every pending migration, once however many processes start
/// together: the others wait, then find nothing pending.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    exclusively(db, "customerd_migrate", |txn| {
        Box::pin(async move { Migrator::up(txn, None).await })
    })
    .await
}

/// Marks the database as served by this process (see [`Presence`]), waiting
/// while a sole server makes room.
pub async fn join(url: &str) -> std::io::Result<Option<std::sync::Arc<Presence>>> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || Presence::join(&url))
        .await
        .map_err(std::io::Error::other)?
        .map(|p| p.map(std::sync::Arc::new))
}
