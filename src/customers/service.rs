//! The `customers.v1.CustomerService` gRPC API.

use sea_orm::{DatabaseConnection, TransactionTrait};
use tonic::{Request, Response, Status};

use super::{Customer, input, store};
use crate::auth::Tenant;
use crate::error::Error;
use crate::idempotency::{self, Claim};
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::customer_service_server::CustomerService;
use crate::proto::{count, timestamp};
use crate::{payments, subscriptions};

const CREATE: &str = "/customers.v1.CustomerService/CreateCustomer";

pub struct CustomerApi {
    db: DatabaseConnection,
}

impl CustomerApi {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl From<Customer> for pb::Customer {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id,
            email: c.email,
            name: c.name,
            phone: c.phone,
            description: c.description,
            metadata: c.metadata.into_iter().collect(),
            live: c.live,
            created_at: Some(timestamp(c.created_at)),
            updated_at: Some(timestamp(c.updated_at)),
        }
    }
}

#[tonic::async_trait]
impl CustomerService for CustomerApi {
    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::CreateCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let key = idempotency::key_of(&request)?;
        let message = request.into_inner();
        let new = input::new_customer(message.clone())?;
        let txn = self.db.begin().await.map_err(Error::from)?;
        let slot = match idempotency::claim(&txn, &tenant, key.as_deref(), CREATE, &message).await?
        {
            Claim::Replay(reply) => return Ok(Response::new(reply)),
            Claim::Proceed(slot) => slot,
        };
        let customer = store::create(&txn, &tenant, new).await?;
        let reply = pb::CreateCustomerResponse {
            customer: Some(customer.into()),
        };
        idempotency::record(&txn, slot, &reply).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(reply))
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let customer = store::get(&self.db, &tenant, &request.get_ref().id).await?;
        Ok(Response::new(pb::GetCustomerResponse {
            customer: Some(customer.into()),
        }))
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::UpdateCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let changes = input::customer_changes(request.get_ref())?;
        let customer = store::update(&self.db, &tenant, &request.get_ref().id, changes).await?;
        Ok(Response::new(pb::UpdateCustomerResponse {
            customer: Some(customer.into()),
        }))
    }

    async fn delete_customer(
        &self,
        request: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::DeleteCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let customer = store::delete(&self.db, &tenant, &request.get_ref().id).await?;
        Ok(Response::new(pb::DeleteCustomerResponse {
            customer: Some(customer.into()),
        }))
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let query = input::list_query(request.get_ref())?;
        let page = store::list(&self.db, &tenant, query).await?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers: page.items.into_iter().map(Into::into).collect(),
            has_more: page.has_more,
            total_count: page.total.map(count),
        }))
    }

    async fn list_customer_payments(
        &self,
        request: Request<pb::ListCustomerPaymentsRequest>,
    ) -> Result<Response<pb::ListCustomerPaymentsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        payments::service::list_of_customer(&self.db, &tenant, request.get_ref())
            .await
            .map(Response::new)
    }

    async fn list_customer_subscriptions(
        &self,
        request: Request<pb::ListCustomerSubscriptionsRequest>,
    ) -> Result<Response<pb::ListCustomerSubscriptionsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        subscriptions::service::list_of_customer(&self.db, &tenant, request.get_ref())
            .await
            .map(Response::new)
    }
}
