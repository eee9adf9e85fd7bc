//! The `customers.v1.PaymentService` gRPC API.

use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use super::{NewPayment, Payment, PaymentQuery, PaymentStatus, input, store};
use crate::auth::Tenant;
use crate::db::{Isolation, Writer};
use crate::error::both;
use crate::events::{self, Object};
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::payment_service_server::PaymentService;
use crate::proto::timestamp;
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

expand::expandable!(
    Payment as pb::Payment,
    new: NewPayment,
    query: PaymentQuery,
    event: events::PAYMENT_CREATED,
    Object::Payment,
    store: store
);

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
            |req| both(expand::parse(&req.expand), input::new_payment(req)),
            |tx, (expand, new)| {
                Box::pin(async move {
                    let payment = expand::create::<Payment>(tx, new, expand).await?;
                    Ok(pb::CreatePaymentResponse {
                        payment: Some(payment),
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
        let req = request.get_ref();
        let payment = expand::get::<Payment>(&self.db, &tenant, &req.id, &req.expand).await?;
        Ok(Response::new(pb::GetPaymentResponse {
            payment: Some(payment),
        }))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.get_ref();
        let query = input::list_query(req);
        let page = expand::page::<Payment>(&self.db, &tenant, &req.expand, query, None).await?;
        Ok(Response::new(page.into()))
    }
}

/// `CustomerService.ListCustomerPayments`: NOT_FOUND for a customer the caller cannot see.
pub async fn list_of_customer(
    db: &DatabaseConnection,
    tenant: &Tenant,
    req: &pb::ListCustomerPaymentsRequest,
) -> Result<pb::ListCustomerPaymentsResponse, Status> {
    let query = input::customer_query(req);
    let page = expand::page::<Payment>(db, tenant, &req.expand, query, Some(&req.id)).await?;
    Ok(page.into())
}
