//! The `customers.v1.CustomerService` gRPC API.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use super::{Customer, CustomerCache, input, search, store};
use crate::auth::Tenant;
use crate::db::{BoxFuture, Isolation, Tx, Writer, write_one};
use crate::events::{self, Object, Origin};
use crate::idempotency;
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::customer_service_server::CustomerService;
use crate::{payments, subscriptions};

const CREATE: &str = "/customers.v1.CustomerService/CreateCustomer";

pub struct CustomerApi {
    db: DatabaseConnection,
    writer: Writer,
    cache: CustomerCache,
}

impl CustomerApi {
    pub fn new(db: DatabaseConnection, writer: Writer, cache: CustomerCache) -> Self {
        Self { db, writer, cache }
    }

    /// Runs `op` on customer `id` (see [`write_one`]) and forgets the
    /// customer's cached copy, whatever the outcome.
    async fn write<F>(
        &self,
        tenant: Tenant,
        origin: Origin,
        id: String,
        op: F,
    ) -> Result<pb::Customer, Status>
    where
        F: for<'t> Fn(Tx<'t>, String) -> BoxFuture<'t, crate::error::Result<Customer>>
            + Send
            + Sync
            + 'static,
    {
        let written = write_one(&self.writer, tenant, origin, id.clone(), op).await;
        self.cache.written(&id);
        Ok(written?.into())
    }
}

#[tonic::async_trait]
impl CustomerService for CustomerApi {
    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::CreateCustomerResponse>, Status> {
        // Checked before: what can fail now fails the database, not a rule.
        idempotency::answer_create(
            &self.writer,
            Isolation::Shared,
            CREATE,
            request,
            input::new_customer,
            |tx, new| {
                Box::pin(async move {
                    let customer: pb::Customer = store::create(tx, tx.tenant(), new).into();
                    let object = Object::Customer(customer.clone());
                    tx.record(events::CUSTOMER_CREATED, object, None);
                    Ok(pb::CreateCustomerResponse {
                        customer: Some(customer),
                    })
                })
            },
        )
        .await
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let id = &request.get_ref().id;
        let customer = match self.cache.get(&tenant, id) {
            Ok(copy) => copy,
            Err(ticket) => {
                let customer = store::get(&self.db, &tenant, id).await?;
                self.cache.keep(ticket, &tenant, &customer);
                customer
            }
        };
        Ok(Response::new(pb::GetCustomerResponse {
            customer: Some(customer.into()),
        }))
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::UpdateCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let changes = Arc::new(input::customer_changes(request.get_ref())?);
        if request.get_ref().validate_only {
            return Ok(Response::new(pb::UpdateCustomerResponse::default()));
        }
        let origin = Origin::of(&request);
        let id = request.into_inner().id;
        // A rule (the metadata key limit) is checked after the writes.
        let customer = self
            .write(tenant, origin, id, move |tx, id| {
                let changes = Arc::clone(&changes);
                Box::pin(async move {
                    let (before, after) = store::update(&*tx, tx.tenant(), &id, &changes).await?;
                    // An update that changes nothing is no event.
                    let changed = events::customer_changes(&before, &after);
                    if !changed.is_empty() {
                        let previous = Object::Customer(before.into());
                        let object = Object::Customer(after.clone().into());
                        let previous = Some((previous, changed));
                        tx.record(events::CUSTOMER_UPDATED, object, previous);
                    }
                    Ok(after)
                })
            })
            .await?;
        Ok(Response::new(pb::UpdateCustomerResponse {
            customer: Some(customer),
        }))
    }

    async fn delete_customer(
        &self,
        request: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::DeleteCustomerResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let origin = Origin::of(&request);
        let id = request.into_inner().id;
        let customer = self
            .write(tenant, origin, id, |tx, id| {
                Box::pin(async move {
                    let deletion = store::delete(&*tx, tx.tenant(), &id).await?;
                    // What went with it first, then the customer itself.
                    for subscription in deletion.canceled {
                        let object = Object::Subscription(subscription.into());
                        tx.record(events::SUBSCRIPTION_CANCELED, object, None);
                    }
                    for payment in deletion.detached {
                        let before: pb::Payment = payment.into();
                        let after = pb::Payment {
                            customer: None,
                            ..before.clone()
                        };
                        let previous = (Object::Payment(before), vec!["customer".to_owned()]);
                        tx.record(
                            events::PAYMENT_UPDATED,
                            Object::Payment(after),
                            Some(previous),
                        );
                    }
                    let object = Object::Customer(deletion.customer.clone().into());
                    tx.record(events::CUSTOMER_DELETED, object, None);
                    Ok(deletion.customer)
                })
            })
            .await?;
        Ok(Response::new(pb::DeleteCustomerResponse {
            customer: Some(customer),
        }))
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let query = input::list_query(request.get_ref())?;
        let page = store::list(&self.db, &tenant, query).await?;
        Ok(Response::new(page.map(pb::Customer::from).into()))
    }

    async fn search_customers(
        &self,
        request: Request<pb::SearchCustomersRequest>,
    ) -> Result<Response<pb::SearchCustomersResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let query = input::search_query(request.get_ref())?;
        let page = store::list(&self.db, &tenant, query).await?;
        let next_page = match page.items.last() {
            Some(last) if page.has_more => search::encode_page(last.created_at, &last.id),
            _ => String::new(),
        };
        Ok(Response::new(pb::SearchCustomersResponse {
            customers: page.items.into_iter().map(Into::into).collect(),
            has_more: page.has_more,
            next_page,
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
