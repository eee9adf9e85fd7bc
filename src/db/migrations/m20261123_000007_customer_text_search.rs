//! Substring search on customers' text fields served by an index: an FTS5
//! trigram table on SQLite, `pg_trgm` GIN indexes on PostgreSQL (see
//! `crate::db::text_search`).

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use crate::db::text_search::{COLUMNS, SQLITE_TABLE, postgres_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let columns = COLUMNS.join(", ");
                let new = COLUMNS.map(|c| format!("new.{c}")).join(", ");
                let old = COLUMNS.map(|c| format!("old.{c}")).join(", ");
                let t = SQLITE_TABLE;
                for sql in [
                    format!(
                        "CREATE VIRTUAL TABLE {t} USING fts5({columns}, \
                         content='customers', content_rowid='rowid', tokenize='trigram')"
                    ),
                    format!("INSERT INTO {t}({t}) VALUES ('rebuild')"),
                    format!(
                        "CREATE TRIGGER {t}_insert AFTER INSERT ON customers BEGIN \
                         INSERT INTO {t}(rowid, {columns}) VALUES (new.rowid, {new}); END"
                    ),
                    format!(
                        "CREATE TRIGGER {t}_delete AFTER DELETE ON customers BEGIN \
                         INSERT INTO {t}({t}, rowid, {columns}) VALUES ('delete', old.rowid, {old}); END"
                    ),
                    format!(
                        "CREATE TRIGGER {t}_update AFTER UPDATE OF {columns} ON customers BEGIN \
                         INSERT INTO {t}({t}, rowid, {columns}) VALUES ('delete', old.rowid, {old}); \
                         INSERT INTO {t}(rowid, {columns}) VALUES (new.rowid, {new}); END"
                    ),
                ] {
                    db.execute_unprepared(&sql).await?;
                }
            }
            DatabaseBackend::Postgres => {
                // pg_trgm is a trusted extension, but a role may still lack
                // the right to create it: then substring searches scan.
                db.execute_unprepared("SAVEPOINT text_search").await?;
                if db
                    .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    .await
                    .is_err()
                {
                    db.execute_unprepared("ROLLBACK TO SAVEPOINT text_search")
                        .await?;
                    tracing::warn!(
                        "cannot create the pg_trgm extension: contains and starts_with \
                         searches on customers will scan"
                    );
                    return Ok(());
                }
                db.execute_unprepared("RELEASE SAVEPOINT text_search")
                    .await?;
                for column in COLUMNS {
                    let index = postgres_index(column);
                    db.execute_unprepared(&format!(
                        "CREATE INDEX IF NOT EXISTS {index} ON customers USING gin \
                         (translate({column}, '{UPPER}', '{LOWER}') gin_trgm_ops)"
                    ))
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let t = SQLITE_TABLE;
                for sql in [
                    format!("DROP TRIGGER IF EXISTS {t}_insert"),
                    format!("DROP TRIGGER IF EXISTS {t}_delete"),
                    format!("DROP TRIGGER IF EXISTS {t}_update"),
                    format!("DROP TABLE IF EXISTS {t}"),
                ] {
                    db.execute_unprepared(&sql).await?;
                }
            }
            DatabaseBackend::Postgres => {
                for column in COLUMNS {
                    db.execute_unprepared(&format!(
                        "DROP INDEX IF EXISTS {}",
                        postgres_index(column)
                    ))
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
