//! The `customers.v1.WebhookEndpointService` gRPC API.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use super::{Settings, address, input, store};
use crate::auth::Tenant;
use crate::db::entities::webhook_attempt;
use crate::db::entities::webhook_endpoint::{self, EndpointStatus};
use crate::error::{Error, Reason, Result};
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::webhook_endpoint_service_server::WebhookEndpointService;
use crate::proto::timestamp;

pub struct WebhookApi {
    db: DatabaseConnection,
    settings: Arc<Settings>,
    /// Tells this server's delivery worker that endpoints changed.
    changed: Arc<Notify>,
}

impl WebhookApi {
    pub fn new(db: DatabaseConnection, settings: Arc<Settings>, changed: Arc<Notify>) -> Self {
        Self {
            db,
            settings,
            changed,
        }
    }

    /// A parsed URL must also resolve, and (unless allowed) only to public
    /// addresses.
    async fn reachable(&self, url: &str) -> Result<()> {
        let parsed = address::parse(url)
            .map_err(|e| Error::invalid("url", Reason::InvalidValue, e.to_string()))?;
        address::check(&parsed, self.settings.allow_private)
            .await
            .map_err(|e| Error::invalid("url", Reason::InvalidValue, e.to_string()))
    }
}

pub fn endpoint_to_proto(
    row: webhook_endpoint::Model,
    secret: Option<String>,
) -> pb::WebhookEndpoint {
    pb::WebhookEndpoint {
        enabled_events: row
            .enabled_events
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        status: match row.status {
            EndpointStatus::Enabled => pb::WebhookEndpointStatus::Enabled,
            EndpointStatus::Disabled => pb::WebhookEndpointStatus::Disabled,
        } as i32,
        created_at: Some(timestamp(row.created_at)),
        updated_at: Some(timestamp(row.updated_at)),
        secret: secret.unwrap_or_default(),
        id: row.id,
        url: row.url,
        description: row.description,
        format: row.format,
        live: row.live,
    }
}

fn attempt_to_proto(row: webhook_attempt::Model) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        id: row.id,
        webhook_endpoint: row.endpoint_id,
        event_id: row.event_id,
        event_type: row.event_type,
        attempt: row.attempt,
        status_code: row.status_code,
        error: row.error,
        delivered: row.delivered,
        created_at: Some(timestamp(row.created_at)),
        duration_ms: row.duration_ms,
        next_retry_at: row.next_retry_at.map(timestamp),
    }
}

#[tonic::async_trait]
impl WebhookEndpointService for WebhookApi {
    async fn create_webhook_endpoint(
        &self,
        request: Request<pb::CreateWebhookEndpointRequest>,
    ) -> Result<Response<pb::CreateWebhookEndpointResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let new = input::new_endpoint(request.into_inner())?;
        self.reachable(&new.url).await?;
        let (row, secret) =
            store::create(&self.db, &tenant, self.settings.key.as_ref(), new).await?;
        tracing::info!(endpoint = %row.id, "webhook endpoint created");
        self.changed.notify_one();
        Ok(Response::new(pb::CreateWebhookEndpointResponse {
            webhook_endpoint: Some(endpoint_to_proto(row, Some(secret))),
        }))
    }

    async fn get_webhook_endpoint(
        &self,
        request: Request<pb::GetWebhookEndpointRequest>,
    ) -> Result<Response<pb::GetWebhookEndpointResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let row = store::get(&self.db, &tenant, &request.get_ref().id).await?;
        Ok(Response::new(pb::GetWebhookEndpointResponse {
            webhook_endpoint: Some(endpoint_to_proto(row, None)),
        }))
    }

    async fn list_webhook_endpoints(
        &self,
        request: Request<pb::ListWebhookEndpointsRequest>,
    ) -> Result<Response<pb::ListWebhookEndpointsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let page = input::page(request.get_ref())?;
        let page = store::list(&self.db, &tenant, &page).await?;
        let page = page.map(|row| endpoint_to_proto(row, None));
        Ok(Response::new(page.into()))
    }

    async fn update_webhook_endpoint(
        &self,
        request: Request<pb::UpdateWebhookEndpointRequest>,
    ) -> Result<Response<pb::UpdateWebhookEndpointResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let request = request.into_inner();
        let id = request.id.clone();
        let changes = input::changes(request)?;
        if let Some(url) = &changes.url {
            self.reachable(url).await?;
        }
        let row = store::update(&self.db, &tenant, &id, changes).await?;
        self.changed.notify_one();
        Ok(Response::new(pb::UpdateWebhookEndpointResponse {
            webhook_endpoint: Some(endpoint_to_proto(row, None)),
        }))
    }

    async fn delete_webhook_endpoint(
        &self,
        request: Request<pb::DeleteWebhookEndpointRequest>,
    ) -> Result<Response<pb::DeleteWebhookEndpointResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let row = store::delete(&self.db, &tenant, &request.get_ref().id).await?;
        tracing::info!(endpoint = %row.id, "webhook endpoint deleted");
        Ok(Response::new(pb::DeleteWebhookEndpointResponse {
            id: row.id.clone(),
            deleted: true,
            webhook_endpoint: Some(endpoint_to_proto(row, None)),
        }))
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Result<Response<pb::ListWebhookDeliveriesResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.get_ref();
        let page = input::page(req)?;
        let page = store::attempts(
            &self.db,
            &tenant,
            &req.webhook_endpoint,
            req.event_id.as_deref(),
            &page,
        )
        .await?;
        Ok(Response::new(page.map(attempt_to_proto).into()))
    }
}
