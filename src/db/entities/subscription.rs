//! A customer's subscription to a plan. Metadata is a JSON object in one column.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub live: bool,
    /// Kept after the customer is deleted, as the record of whose it was.
    pub customer_id: String,
    pub plan: String,
    pub status: SubscriptionStatus,
    /// A JSON object of strings.
    pub metadata: String,
    pub created_at: i64,
    pub canceled_at: Option<i64>,
}

/// Where a subscription stands; stored as its REST name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SubscriptionStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "trialing")]
    Trialing,
    #[sea_orm(string_value = "past_due")]
    PastDue,
    #[sea_orm(string_value = "canceled")]
    Canceled,
}

impl SubscriptionStatus {
    /// Statuses that deleting the customer cancels.
    pub const CANCELABLE: [Self; 3] = [Self::Active, Self::Trialing, Self::PastDue];
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
