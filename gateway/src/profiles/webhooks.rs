//! The webhook endpoint routes of every profile: create, list, retrieve and
//! update through the generic handlers (see [`Resource`] and [`Listed`]), and
//! here delete and the list of an endpoint's delivery attempts.

use std::future::Future;
use std::pin::Pin;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Id, ListReply, Object, Profile, Upstream, listing, object};
use crate::auth::Caller;
use crate::body::Body;
use crate::customers::Deleted;
use crate::error::{ApiError, Origin, from_body, from_query, json_response, problems_of};
use crate::objects::TimeStyle;
use crate::proto::pb;
use crate::query::{Paging, Query};
use crate::resources::{Answer, Listed, Page, Resource};
use crate::validation::Loc;
use crate::webhooks::{self, WebhookDeliveryJson, WebhookEndpointJson};

/// Where the profiles mount endpoints.
pub const COLLECTION: &str = "/webhook_endpoints";

impl Object for pb::WebhookEndpoint {
    type Json<'a> = WebhookEndpointJson<'a>;

    fn json(&self, style: TimeStyle) -> WebhookEndpointJson<'_> {
        WebhookEndpointJson::new(self, style)
    }
}

impl Object for pb::WebhookDelivery {
    type Json<'a> = WebhookDeliveryJson<'a>;

    fn json(&self, style: TimeStyle) -> WebhookDeliveryJson<'_> {
        WebhookDeliveryJson::new(self, style)
    }
}

impl Resource for pb::WebhookEndpoint {
    const COLLECTION: &'static str = COLLECTION;
    const EXPANDS: bool = false;

    /// Events go out in the JSON of the profile the endpoint is created
    /// through. The service's requests take no `validate_only`, so a body
    /// that does not bind is answered with its own problems alone.
    fn create<P: Profile>(
        upstream: &Upstream,
        caller: &Caller,
        body: Body,
        _expand: Vec<String>,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Self>, ApiError>> + Send>> {
        let bound = webhooks::create_request(body, P::TAG);
        let (caller, mut client) = (caller.clone(), upstream.webhooks());
        Box::pin(async move {
            let request = caller.request(bound.into_result()?);
            let reply = client
                .create_webhook_endpoint(request)
                .await
                .map_err(from_body)?;
            Ok(reply.into_inner().webhook_endpoint)
        })
    }

    fn retrieve(
        upstream: &Upstream,
        caller: &Caller,
        id: String,
        _expand: Vec<String>,
    ) -> Answer<Self> {
        let request = caller.request(pb::GetWebhookEndpointRequest { id });
        let mut client = upstream.webhooks();
        Box::pin(async move {
            let reply = client.get_webhook_endpoint(request).await?;
            Ok(reply.into_inner().webhook_endpoint)
        })
    }
}

impl Listed for pb::WebhookEndpoint {
    /// Every endpoint of the key's account and mode; no filters.
    fn list<P: Profile>(
        upstream: &Upstream,
        caller: &Caller,
        _query: &mut Query,
        paging: &Paging,
        _of: Option<String>,
    ) -> Page<Self> {
        let request = caller.request(pb::ListWebhookEndpointsRequest::from(paging));
        let mut client = upstream.webhooks();
        Box::pin(async move {
            let reply = client.list_webhook_endpoints(request).await?;
            Ok(reply.into_inner().into_page())
        })
    }
}

/// `PATCH` (or `POST`) `/webhook_endpoints/{id}`: see [`webhooks::update_request`].
pub async fn update<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    body: Body,
) -> Result<Response, ApiError> {
    let request = caller.request(webhooks::update_request(id, body).into_result()?);
    let reply = upstream
        .webhooks()
        .update_webhook_endpoint(request)
        .await
        .map_err(from_body)?;
    Ok(P::object(&object(reply.into_inner().webhook_endpoint)?))
}

/// `DELETE /webhook_endpoints/{id}`: `{id, object, deleted: true}`, or in
/// the epoch profile the endpoint as it was. Its pending deliveries are dropped.
pub async fn delete<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let request = caller.request(pb::DeleteWebhookEndpointRequest { id: id.clone() });
    let reply = upstream
        .webhooks()
        .delete_webhook_endpoint(request)
        .await
        .map_err(from_body)?
        .into_inner();
    if P::DELETE_ANSWERS_OBJECT {
        return Ok(P::object(&object(reply.webhook_endpoint)?));
    }
    Ok(json_response(
        StatusCode::OK,
        &Deleted {
            id: &id,
            object: "webhook_endpoint",
            deleted: true,
        },
    ))
}

/// The deliveries list's answer: the service names the endpoint
/// `webhook_endpoint` (the path's `id`) and the filter `event_id` (the query's `event`).
fn deliveries_answer(status: tonic::Status) -> ApiError {
    if status.code() != tonic::Code::InvalidArgument {
        return from_query(status);
    }
    let mut problems = problems_of(&status, Origin::Query);
    for problem in &mut problems {
        if problem.loc == Loc::query("webhook_endpoint") {
            problem.loc = Loc::path("id");
        } else if problem.loc == Loc::query("event_id") {
            problem.loc = Loc::query("event");
        }
    }
    ApiError::Invalid(problems)
}

/// `GET /webhook_endpoints/{id}/deliveries`: the endpoint's attempts, newest
/// first, in the profile's envelope; `event` (an event id) keeps that event's.
pub async fn deliveries<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    let request = pb::ListWebhookDeliveriesRequest {
        webhook_endpoint: id.clone(),
        event_id: query.string("event").filter(|e| !e.is_empty()),
        ..(&paging).into()
    };
    query.finish()?;
    let reply = upstream
        .webhooks()
        .list_webhook_deliveries(caller.request(request))
        .await
        .map_err(deliveries_answer)?;
    let url = format!("{}{COLLECTION}/{id}/deliveries", P::BASE);
    Ok(listing::<P, _>(url, paging, reply.into_inner().into_page()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::epoch::Epoch;
    use crate::profiles::four_geeks::FourGeeks;
    use crate::profiles::paygate::Paygate;

    /// Whether `P` answers a customer's deletion with the customer itself.
    async fn customer_delete_is_the_object<P: Profile>() -> bool {
        let customer = pb::Customer {
            id: "cus_1".into(),
            ..Default::default()
        };
        let body = axum::body::to_bytes(P::deleted(&customer).into_body(), usize::MAX)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json.get("deleted").is_none()
    }

    #[tokio::test]
    async fn endpoints_are_deleted_as_each_profile_deletes_customers() {
        assert_eq!(
            Paygate::DELETE_ANSWERS_OBJECT,
            customer_delete_is_the_object::<Paygate>().await
        );
        assert_eq!(
            FourGeeks::DELETE_ANSWERS_OBJECT,
            customer_delete_is_the_object::<FourGeeks>().await
        );
        assert_eq!(
            Epoch::DELETE_ANSWERS_OBJECT,
            customer_delete_is_the_object::<Epoch>().await
        );
    }

    #[test]
    fn delivery_list_problems_point_at_the_path_and_query() {
        use tonic_types::{ErrorDetails, StatusExt};
        let status = tonic::Status::with_error_details(
            tonic::Code::InvalidArgument,
            "invalid",
            ErrorDetails::with_bad_request(vec![
                tonic_types::FieldViolation::new("webhook_endpoint", "is not an endpoint id"),
                tonic_types::FieldViolation::new("event_id", "is not an event id"),
            ]),
        );
        let ApiError::Invalid(problems) = deliveries_answer(status) else {
            panic!("a 422");
        };
        let locs: Vec<&Loc> = problems.iter().map(|p| &p.loc).collect();
        assert_eq!(locs, [&Loc::path("id"), &Loc::query("event")]);
    }
}
