//! One event owed to one endpoint: pending until a 2xx answer, or until it
//! is given up. A claimed row's `next_attempt_at` is its lease.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub state: DeliveryState,
    /// Attempts begun so far; a claim moves it on, so a late outcome of an
    /// earlier claim changes nothing.
    pub attempts: i32,
    /// When the next attempt is due, or (while claimed) when the claim lapses;
    /// microseconds since the Unix epoch.
    pub next_attempt_at: i64,
    pub created_at: i64,
}

/// Where a delivery stands; stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryState {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Given up after `--webhook-max-age`.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
