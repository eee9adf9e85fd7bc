//! The one table of the gateway's operations: every profile serves each
//! at its base path ([`crate::profiles::routes`]), and the OpenAPI document
//! describes each ([`crate::openapi`]).

use axum::routing::MethodFilter;

/// An operation's HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    /// As the OpenAPI document names it.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }

    pub fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// The handler that serves an operation, in every profile (see
/// [`crate::profiles::routes`], which matches every one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler {
    CreateCustomer,
    ListCustomers,
    SearchCustomers,
    RetrieveCustomer,
    UpdateCustomer,
    DeleteCustomer,
    CustomerPayments,
    CustomerSubscriptions,
    CreatePayment,
    ListPayments,
    RetrievePayment,
    CreateSubscription,
    ListSubscriptions,
    RetrieveSubscription,
    CancelSubscription,
    ListEvents,
    RetrieveEvent,
    StreamEvents,
    CreateWebhookEndpoint,
    ListWebhookEndpoints,
    RetrieveWebhookEndpoint,
    UpdateWebhookEndpoint,
    DeleteWebhookEndpoint,
    ListWebhookDeliveries,
}

/// A parameter (or group of them) of an operation.
#[derive(Clone, Copy)]
pub enum Param {
    /// The `{id}` of a noun whose ids start with the prefix.
    Id(&'static str, &'static str),
    /// The profile's paging over the noun.
    Paging(&'static str),
    Idempotency,
    Expand,
    /// The `customer` filter of a list of the noun.
    OfCustomer(&'static str),
    /// The `status` filter of a subscription list.
    Status,
    /// The profile's own customer list filters.
    CustomerFilters,
    /// A search's query and paging.
    SearchQuery,
    EventFilters,
    /// Where an event stream starts, and what it carries.
    StreamFrom,
    /// The `event` filter of a delivery list.
    Event,
}

/// What an operation answers with 200.
#[derive(Clone, Copy)]
pub enum Answer {
    /// One object of the resource, and what it is.
    Object(&'static str, &'static str),
    /// One page of the resource, and what it is.
    List(&'static str, &'static str),
    /// The profile's answer to a deletion of the resource.
    Deleted(&'static str),
    /// The resource, with the `secret` that only its create shows.
    Created(&'static str),
    Search,
    /// Server-sent events.
    Stream,
}

/// One operation of every profile.
pub struct Op {
    pub verb: Verb,
    /// After the profile's base path.
    pub path: &'static str,
    /// What serves it.
    pub serve: Handler,
    /// The operationId, after the profile's tag.
    pub id: &'static str,
    pub params: &'static [Param],
    /// The request body's schema.
    pub body: Option<&'static str>,
    pub answer: Answer,
    /// Whether it may resume after an event no longer kept, a 410.
    pub gone: bool,
    pub summary: &'static str,
}

/// Every operation of every profile: [`crate::profiles::routes`] serves
/// them and [`crate::openapi`] documents them.
#[rustfmt::skip]
pub const OPERATIONS: &[Op] = {
    use Answer::*;
    use Handler::*;
    use Param::*;
    use Verb::*;
    const PAGE_OF_PAYMENTS: &str = "One page of payments, newest first.";
    const PAGE_OF_SUBSCRIPTIONS: &str = "One page of subscriptions, newest first.";
    &[
        Op { verb: Post, path: "/customers", serve: CreateCustomer, id: "create_customer", params: &[Idempotency], body: Some("CustomerCreate"), answer: Object("Customer", "The new customer."), gone: false,
            summary: "Create a customer." },
        Op { verb: Get, path: "/customers", serve: ListCustomers, id: "list_customers", params: &[Paging("customer"), CustomerFilters], body: None, answer: List("Customer", "One page of customers."), gone: false,
            summary: "List customers, newest first." },
        Op { verb: Get, path: "/customers/search", serve: SearchCustomers, id: "search_customers", params: &[SearchQuery], body: None, answer: Search, gone: false,
            summary: "Search customers with Stripe's query language, newest first." },
        Op { verb: Get, path: "/customers/{id}", serve: RetrieveCustomer, id: "retrieve_customer", params: &[Id("customer", "cus")], body: None, answer: Object("Customer", "The customer."), gone: false,
            summary: "Retrieve a customer." },
        Op { verb: Patch, path: "/customers/{id}", serve: UpdateCustomer, id: "update_customer", params: &[Id("customer", "cus")], body: Some("CustomerUpdate"), answer: Object("Customer", "The updated customer."), gone: false,
            summary: "Update a customer: omitted fields keep, null clears, metadata merges (null or \"\" removes a key, `\"metadata\": null` clears all)." },
        Op { verb: Post, path: "/customers/{id}", serve: UpdateCustomer, id: "update_customer_post", params: &[Id("customer", "cus")], body: Some("CustomerUpdate"), answer: Object("Customer", "The updated customer."), gone: false,
            summary: "Update a customer (POST, as Stripe-style clients send it); same as PATCH." },
        Op { verb: Delete, path: "/customers/{id}", serve: DeleteCustomer, id: "delete_customer", params: &[Id("customer", "cus")], body: None, answer: Deleted("Customer"), gone: false,
            summary: "Delete a customer: its active, trialing and past-due subscriptions are canceled and its payments detached (`customer: null`)." },
        Op { verb: Get, path: "/customers/{id}/payments", serve: CustomerPayments, id: "list_customer_payments", params: &[Id("customer", "cus"), Paging("payment"), Expand], body: None, answer: List("Payment", PAGE_OF_PAYMENTS), gone: false,
            summary: "List a customer's payments, newest first; 404 for a customer the key cannot see (or a deleted one)." },
        Op { verb: Get, path: "/customers/{id}/subscriptions", serve: CustomerSubscriptions, id: "list_customer_subscriptions", params: &[Id("customer", "cus"), Paging("subscription"), Status, Expand], body: None, answer: List("Subscription", PAGE_OF_SUBSCRIPTIONS), gone: false,
            summary: "List a customer's subscriptions, newest first; 404 for a customer the key cannot see (or a deleted one)." },
        Op { verb: Post, path: "/payments", serve: CreatePayment, id: "create_payment", params: &[Idempotency, Expand], body: Some("PaymentCreate"), answer: Object("Payment", "The new payment."), gone: false,
            summary: "Record a payment, optionally for a customer of the key's account and mode." },
        Op { verb: Get, path: "/payments", serve: ListPayments, id: "list_payments", params: &[Paging("payment"), OfCustomer("payment"), Expand], body: None, answer: List("Payment", PAGE_OF_PAYMENTS), gone: false,
            summary: "List payments, newest first." },
        Op { verb: Get, path: "/payments/{id}", serve: RetrievePayment, id: "retrieve_payment", params: &[Id("payment", "pay"), Expand], body: None, answer: Object("Payment", "The payment."), gone: false,
            summary: "Retrieve a payment." },
        Op { verb: Post, path: "/subscriptions", serve: CreateSubscription, id: "create_subscription", params: &[Idempotency, Expand], body: Some("SubscriptionCreate"), answer: Object("Subscription", "The new subscription."), gone: false,
            summary: "Subscribe a customer of the key's account and mode to a plan." },
        Op { verb: Get, path: "/subscriptions", serve: ListSubscriptions, id: "list_subscriptions", params: &[Paging("subscription"), OfCustomer("subscription"), Status, Expand], body: None, answer: List("Subscription", PAGE_OF_SUBSCRIPTIONS), gone: false,
            summary: "List subscriptions, newest first." },
        Op { verb: Get, path: "/subscriptions/{id}", serve: RetrieveSubscription, id: "retrieve_subscription", params: &[Id("subscription", "sub"), Expand], body: None, answer: Object("Subscription", "The subscription."), gone: false,
            summary: "Retrieve a subscription." },
        Op { verb: Delete, path: "/subscriptions/{id}", serve: CancelSubscription, id: "delete_subscription", params: &[Id("subscription", "sub")], body: None, answer: Object("Subscription", "The canceled subscription."), gone: false,
            summary: "Cancel a subscription, as the Stripe SDKs send it; same as `POST …/cancel`." },
        Op { verb: Post, path: "/subscriptions/{id}/cancel", serve: CancelSubscription, id: "cancel_subscription", params: &[Id("subscription", "sub")], body: Some("SubscriptionCancel"), answer: Object("Subscription", "The canceled subscription."), gone: false,
            summary: "Cancel a subscription. One already canceled is a 409 and keeps its `canceled_at`." },
        Op { verb: Get, path: "/events", serve: ListEvents, id: "list_events", params: &[Paging("event"), EventFilters], body: None, answer: List("Event", "One page of events."), gone: true,
            summary: "List events, newest first." },
        Op { verb: Get, path: "/events/{id}", serve: RetrieveEvent, id: "retrieve_event", params: &[Id("event", "evt")], body: None, answer: Object("Event", "The event."), gone: false,
            summary: "Retrieve an event." },
        Op { verb: Get, path: "/events/stream", serve: StreamEvents, id: "stream_events", params: &[StreamFrom], body: None, answer: Stream, gone: true,
            summary: "Server-sent events, oldest first: each as `id: evt_…`, `event: <type>`, `data: <the event as one line of JSON>`; \
                      from after `Last-Event-ID` or `starting_after`, else from now on; a comment line at least every 15 s. \
                      A watcher that leaves too many events unread is ended with an `error` event; reconnect to resume." },
        Op { verb: Post, path: "/webhook_endpoints", serve: CreateWebhookEndpoint, id: "create_webhook_endpoint", params: &[], body: Some("WebhookEndpointCreate"), answer: Created("WebhookEndpoint"), gone: false,
            summary: "Create a webhook endpoint: the events it names are POSTed to its URL as JSON in this profile's format, signed with the `secret` this reply alone shows \
                      (header `{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`)." },
        Op { verb: Get, path: "/webhook_endpoints", serve: ListWebhookEndpoints, id: "list_webhook_endpoints", params: &[Paging("webhook endpoint")], body: None, answer: List("WebhookEndpoint", "One page of webhook endpoints."), gone: false,
            summary: "List webhook endpoints, newest first." },
        Op { verb: Get, path: "/webhook_endpoints/{id}", serve: RetrieveWebhookEndpoint, id: "retrieve_webhook_endpoint", params: &[Id("webhook endpoint", "we")], body: None, answer: Object("WebhookEndpoint", "The endpoint."), gone: false,
            summary: "Retrieve a webhook endpoint (without its secret)." },
        Op { verb: Patch, path: "/webhook_endpoints/{id}", serve: UpdateWebhookEndpoint, id: "update_webhook_endpoint", params: &[Id("webhook endpoint", "we")], body: Some("WebhookEndpointUpdate"), answer: Object("WebhookEndpoint", "The updated endpoint."), gone: false,
            summary: "Update a webhook endpoint: omitted fields keep, `description: null` clears; `enabled_events` replaces the list. \
                      A disabled endpoint is sent nothing; enabled again, it receives the events committed from then on." },
        Op { verb: Post, path: "/webhook_endpoints/{id}", serve: UpdateWebhookEndpoint, id: "update_webhook_endpoint_post", params: &[Id("webhook endpoint", "we")], body: Some("WebhookEndpointUpdate"), answer: Object("WebhookEndpoint", "The updated endpoint."), gone: false,
            summary: "Update a webhook endpoint (POST, as Stripe-style clients send it); same as PATCH." },
        Op { verb: Delete, path: "/webhook_endpoints/{id}", serve: DeleteWebhookEndpoint, id: "delete_webhook_endpoint", params: &[Id("webhook endpoint", "we")], body: None, answer: Deleted("WebhookEndpoint"), gone: false,
            summary: "Delete a webhook endpoint; its pending deliveries are dropped." },
        Op { verb: Get, path: "/webhook_endpoints/{id}/deliveries", serve: ListWebhookDeliveries, id: "list_webhook_deliveries", params: &[Id("webhook endpoint", "we"), Paging("delivery attempt"), Event], body: None, answer: List("WebhookDelivery", "One page of delivery attempts."), gone: false,
            summary: "List an endpoint's delivery attempts, newest first; 404 for an endpoint the key cannot see." },
    ]
};
