//! Part of how many customers a tenant has: the total is the sum of the
//! tenant's slots, so concurrent writers seldom update the same row.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub live: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub slot: i32,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
