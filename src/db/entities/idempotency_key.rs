//! The outcome of a create request sent with an idempotency key.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub live: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The gRPC method the key was first used with.
    pub operation: String,
    /// SHA-256 of the first request's encoded message.
    pub request_hash: String,
    /// The encoded response message.
    pub response: Vec<u8>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
