//! The `customers.v1.SubscriptionService` gRPC API.

use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use super::{NewSubscription, Subscription, SubscriptionQuery, SubscriptionStatus, input, store};
use crate::auth::Tenant;
use crate::db::{Isolation, Writer, write_one};
use crate::error::both;
use crate::events::{self, Object, Origin};
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::subscription_service_server::SubscriptionService;
use crate::proto::timestamp;
use crate::{expand, idempotency};

const CREATE: &str = "/customers.v1.SubscriptionService/CreateSubscription";

pub struct SubscriptionApi {
    db: DatabaseConnection,
    writer: Writer,
}

impl SubscriptionApi {
    pub fn new(db: DatabaseConnection, writer: Writer) -> Self {
        Self { db, writer }
    }
}

impl From<SubscriptionStatus> for pb::SubscriptionStatus {
    fn from(s: SubscriptionStatus) -> Self {
        match s {
            SubscriptionStatus::Active => Self::Active,
            SubscriptionStatus::Trialing => Self::Trialing,
            SubscriptionStatus::PastDue => Self::PastDue,
            SubscriptionStatus::Canceled => Self::Canceled,
        }
    }
}

impl From<Subscription> for pb::Subscription {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            customer: s.customer,
            plan: s.plan,
            status: pb::SubscriptionStatus::from(s.status) as i32,
            metadata: s.metadata.into_iter().collect(),
            live: s.live,
            created_at: Some(timestamp(s.created_at)),
            canceled_at: s.canceled_at.map(timestamp),
            expanded_customer: None,
        }
    }
}

expand::expandable!(
    Subscription as pb::Subscription,
    new: NewSubscription,
    query: SubscriptionQuery,
    event: events::SUBSCRIPTION_CREATED,
    Object::Subscription,
    store: store
);

#[tonic::async_trait]
impl SubscriptionService for SubscriptionApi {
    async fn create_subscription(
        &self,
        request: Request<pb::CreateSubscriptionRequest>,
    ) -> Result<Response<pb::CreateSubscriptionResponse>, Status> {
        // The customer is checked after the key is claimed.
        idempotency::answer_create(
            &self.writer,
            Isolation::Savepoint,
            CREATE,
            request,
            |req| both(expand::parse(&req.expand), input::new_subscription(req)),
            |tx, (expand, new)| {
                Box::pin(async move {
                    let subscription = expand::create::<Subscription>(tx, new, expand).await?;
                    Ok(pb::CreateSubscriptionResponse {
                        subscription: Some(subscription),
                    })
                })
            },
        )
        .await
    }

    async fn get_subscription(
        &self,
        request: Request<pb::GetSubscriptionRequest>,
    ) -> Result<Response<pb::GetSubscriptionResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.get_ref();
        let subscription =
            expand::get::<Subscription>(&self.db, &tenant, &req.id, &req.expand).await?;
        Ok(Response::new(pb::GetSubscriptionResponse {
            subscription: Some(subscription),
        }))
    }

    async fn cancel_subscription(
        &self,
        request: Request<pb::CancelSubscriptionRequest>,
    ) -> Result<Response<pb::CancelSubscriptionResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let origin = Origin::of(&request);
        let id = request.into_inner().id;
        // Canceling twice is refused after the (empty) update.
        let subscription = write_one(&self.writer, tenant, origin, id, |tx, id| {
            Box::pin(async move {
                let canceled = store::cancel(&*tx, tx.tenant(), &id).await?;
                let object = Object::Subscription(canceled.clone().into());
                tx.record(events::SUBSCRIPTION_CANCELED, object, None);
                Ok(canceled)
            })
        })
        .await?;
        Ok(Response::new(pb::CancelSubscriptionResponse {
            subscription: Some(subscription.into()),
        }))
    }

    async fn list_subscriptions(
        &self,
        request: Request<pb::ListSubscriptionsRequest>,
    ) -> Result<Response<pb::ListSubscriptionsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.get_ref();
        let query = input::list_query(req);
        let page =
            expand::page::<Subscription>(&self.db, &tenant, &req.expand, query, None).await?;
        Ok(Response::new(page.into()))
    }
}

/// `CustomerService.ListCustomerSubscriptions`: NOT_FOUND for a customer the caller cannot see.
pub async fn list_of_customer(
    db: &DatabaseConnection,
    tenant: &Tenant,
    req: &pb::ListCustomerSubscriptionsRequest,
) -> Result<pb::ListCustomerSubscriptionsResponse, Status> {
    let query = input::customer_query(req);
    let page = expand::page::<Subscription>(db, tenant, &req.expand, query, Some(&req.id)).await?;
    Ok(page.into())
}
