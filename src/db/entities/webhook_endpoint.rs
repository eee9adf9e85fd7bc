//! A webhook endpoint: where a tenant's events are POSTed, and how far its
//! stream has been scheduled for delivery.

// The entity derives expand to code that names the prelude's items unqualified.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub live: bool,
    pub url: String,
    pub description: Option<String>,
    /// The event types and patterns, comma-separated, as given.
    pub enabled_events: String,
    pub status: EndpointStatus,
    /// The profile whose JSON the endpoint receives.
    pub format: String,
    /// The signing secret: sealed with the server's `--secret-key` when
    /// `sealed`, else as issued.
    pub secret: Vec<u8>,
    pub sealed: bool,
    /// The number of the last event of the stream scheduled for it.
    pub cursor: i64,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

/// Whether an endpoint is sent events; stored as its REST name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EndpointStatus {
    #[sea_orm(string_value = "enabled")]
    Enabled,
    #[sea_orm(string_value = "disabled")]
    Disabled,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
