//! One change, as its stream orders it.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub live: bool,
    /// The position in the (account, mode) stream, from 1, without gaps.
    pub seq: i64,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    /// The encoded `customers.v1.Event`.
    pub body: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
