//! A payment record. Its metadata is a JSON object in one column: payments
//! never change after creation, so no per-key updates race.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub live: bool,
    /// Null when the payment has no customer or its customer was deleted.
    pub customer_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub description: Option<String>,
    /// A JSON object of strings.
    pub metadata: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
