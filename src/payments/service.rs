//! The `customers.v1.PaymentService` gRPC API.

use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use super::{Payment, PaymentStatus, input, store};
use crate::auth::Tenant;
use crate::db::{Isolation, Writer};
use crate::error::both;
use crate::events::{self, Object};
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::payment_service_server::PaymentService;
use crate::proto::{count, timestamp};
use crate::{expand, idempotency};

const CREATE: &str = "/customers.v1.PaymentService/CreatePayment";

pub struct PaymentApi {
    db: DatabaseConnection,
    writer: Writer,
}

impl PaymentApi {
    pub fn new(db: DatabaseConnection, writer: Writer) -> Self {
        Self { db, writer }
    }
}

impl From<PaymentStatus> for pb::PaymentStatus {
    fn from(s: PaymentStatus) -> Self {
        match s {
            PaymentStatus::Pending => Self::Pending,
            PaymentStatus::Succeeded => Self::Succeeded,
            PaymentStatus::Failed => Self::Failed,
            PaymentStatus::Refunded => Self::Refunded,
        }
    }
}

impl From<Payment> for pb::Payment {
    fn from(p: Payment) -> Self {
        Self {
            id: p.id,
            customer: p.customer,
            amount: p.amount,
            currency: p.currency,
            status: pb::PaymentStatus::from(p.status) as i32,
            description: p.description,
            metadata: p.metadata.into_iter().collect(),
            live: p.live,
            created_at: Some(timestamp(p.created_at)),
            expanded_customer: None,
        }
    }
}

#[tonic::async_trait]
impl PaymentService for PaymentApi {
    async fn create_payment(
        &self,
        request: Request<pb::CreatePaymentRequest>,
    ) -> Result<Response<pb::CreatePaymentResponse>, Status> {
        // The customer is checked after the key is claimed.
        idempotency::answer_create(
            &self.writer,
            Isolation::Savepoint,
            CREATE,
            request,
            |req| {
                let expand = expand::parse(&req.expand);
                both(expand, input::new_payment(req))
            },
            |tx, (expand, new)| {
                Box::pin(async move {
                    let tenant = tx.tenant();
                    let created = store::create(&*tx, tenant, new).await?;
                    let object = Object::Payment(created.clone().into());
                    tx.record(events::PAYMENT_CREATED, object, None);
                    Ok(pb::CreatePaymentResponse {
                        payment: Some(expand::message(&*tx, tenant, created, expand).await?),
                    })
                })
            },
        )
        .await
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::GetPaymentResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let expand = expand::parse(&request.get_ref().expand)?;
        let found = store::get(&self.db, &tenant, &request.get_ref().id).await?;
        Ok(Response::new(pb::GetPaymentResponse {
            payment: Some(expand::message(&self.db, &tenant, found, expand).await?),
        }))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.get_ref();
        let (expand, query) = both(expand::parse(&req.expand), input::list_query(req))?;
        let page = store::list(&self.db, &tenant, &query).await?;
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: expand::messages(&self.db, &tenant, page.items, expand).await?,
            has_more: page.has_more,
            total_count: page.total.map(count),
        }))
    }
}

/// `CustomerService.ListCustomerPayments`: NOT_FOUND for a customer the caller cannot see.
pub async fn list_of_customer(
    db: &DatabaseConnection,
    tenant: &Tenant,
    req: &pb::ListCustomerPaymentsRequest,
) -> Result<pb::ListCustomerPaymentsResponse, Status> {
    let (expand, query) = both(expand::parse(&req.expand), input::customer_query(req))?;
    if !crate::customers::store::exists(db, tenant, &req.id).await? {
        return Err(crate::error::Error::not_found("customer", &req.id).into());
    }
    let page = store::list(db, tenant, &query).await?;
    Ok(pb::ListCustomerPaymentsResponse {
        payments: expand::messages(db, tenant, page.items, expand).await?,
        has_more: page.has_more,
        total_count: page.total.map(count),
    })
}
