//! A secret API key, stored only as its SHA-256 hash.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub live: bool,
    #[sea_orm(unique)]
    pub key_hash: String,
    /// The first characters of the key, enough to recognise it in a listing.
    pub key_prefix: String,
    pub created_at: i64,
    /// Microseconds since the Unix epoch after which the key is refused
    /// (set when the key is rolled); `None` never expires.
    pub expires_at: Option<i64>,
    /// When the key was revoked; a revoked key is refused.
    pub revoked_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
