//! The code generated from `proto/` (in the wire crate), and conversions for
//! its well-known types.

pub use customerd_wire::FILE_DESCRIPTOR_SET;
pub use customerd_wire::proto::customers;

/// A protobuf timestamp for microseconds since the Unix epoch.
pub fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// Microseconds since the Unix epoch as an RFC 3339 UTC time, e.g. `2024-01-15T10:00:00Z`.
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).map_or_else(
        || micros.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

/// A row count as the `int64` the list responses carry.
pub fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A list response is one page of objects: `$items`, whether more lie
/// beyond, and the total when asked for.
macro_rules! list_responses {
    ($($response:ident { $items:ident: $object:ident }),* $(,)?) => {$(
        impl From<crate::paging::Page<customers::v1::$object>> for customers::v1::$response {
            fn from(page: crate::paging::Page<customers::v1::$object>) -> Self {
                Self {
                    $items: page.items,
                    has_more: page.has_more,
                    total_count: page.total.map(count),
                }
            }
        }
    )*};
}

list_responses!(
    ListCustomersResponse {
        customers: Customer
    },
    ListPaymentsResponse { payments: Payment },
    ListCustomerPaymentsResponse { payments: Payment },
    ListSubscriptionsResponse {
        subscriptions: Subscription
    },
    ListCustomerSubscriptionsResponse {
        subscriptions: Subscription
    },
    ListWebhookEndpointsResponse {
        webhook_endpoints: WebhookEndpoint
    },
    ListWebhookDeliveriesResponse {
        deliveries: WebhookDelivery
    },
);
