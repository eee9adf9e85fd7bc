//! The index behind `contains` and `starts_with` on customers' text fields.
//!
//! On SQLite, an FTS5 table with the trigram tokenizer, kept by triggers in
//! the transaction of every write (whoever makes it); on PostgreSQL, a
//! `pg_trgm` GIN index per field on the ASCII-folded text, when the
//! extension can be created (otherwise those searches scan). MySQL and
//! MariaDB have no substring index: there they scan the tenant's rows.

/// The fields the index covers.
pub const COLUMNS: [&str; 4] = ["email", "name", "phone", "description"];

/// The FTS5 table on SQLite.
pub const SQLITE_TABLE: &str = "customers_text";

/// The name of the trigram index of `column` on PostgreSQL.
pub fn postgres_index(column: &str) -> String {
    format!("customers_{column}_trigrams")
}
