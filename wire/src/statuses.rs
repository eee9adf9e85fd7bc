//! Status names as REST clients write them: the proto enum's value name
//! without its prefix, lowercased (`SUBSCRIPTION_STATUS_PAST_DUE` is `past_due`).

use std::sync::OnceLock;

use crate::pb;

/// What a proto status enum has in common.
pub trait Status: Copy + Sized + 'static {
    /// The prefix of every value name, e.g. `PAYMENT_STATUS_`.
    const PREFIX: &'static str;
    /// Every value but `UNSPECIFIED`, in declaration order.
    const ALL: &'static [Self];
    fn proto_name(self) -> &'static str;

    /// The REST name, e.g. `succeeded`.
    fn wire_name(self) -> String {
        self.proto_name()
            .strip_prefix(Self::PREFIX)
            .unwrap_or(self.proto_name())
            .to_ascii_lowercase()
    }

    /// The value a REST name names.
    fn from_wire_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.wire_name() == name)
    }

    /// Every `(REST name, value)`, in declaration order.
    fn table() -> &'static [(&'static str, Self)];
}

fn build<T: Status>() -> Vec<(&'static str, T)> {
    T::ALL
        .iter()
        .map(|s| (&*Box::leak(s.wire_name().into_boxed_str()), *s))
        .collect()
}

impl Status for pb::PaymentStatus {
    const PREFIX: &'static str = "PAYMENT_STATUS_";
    const ALL: &'static [Self] = &[Self::Pending, Self::Succeeded, Self::Failed, Self::Refunded];

    fn proto_name(self) -> &'static str {
        self.as_str_name()
    }

    fn table() -> &'static [(&'static str, Self)] {
        static TABLE: OnceLock<Vec<(&'static str, pb::PaymentStatus)>> = OnceLock::new();
        TABLE.get_or_init(build)
    }
}

impl Status for pb::SubscriptionStatus {
    const PREFIX: &'static str = "SUBSCRIPTION_STATUS_";
    const ALL: &'static [Self] = &[Self::Active, Self::Trialing, Self::PastDue, Self::Canceled];

    fn proto_name(self) -> &'static str {
        self.as_str_name()
    }

    fn table() -> &'static [(&'static str, Self)] {
        static TABLE: OnceLock<Vec<(&'static str, pb::SubscriptionStatus)>> = OnceLock::new();
        TABLE.get_or_init(build)
    }
}

impl Status for pb::WebhookEndpointStatus {
    const PREFIX: &'static str = "WEBHOOK_ENDPOINT_STATUS_";
    const ALL: &'static [Self] = &[Self::Enabled, Self::Disabled];

    fn proto_name(self) -> &'static str {
        self.as_str_name()
    }

    fn table() -> &'static [(&'static str, Self)] {
        static TABLE: OnceLock<Vec<(&'static str, pb::WebhookEndpointStatus)>> = OnceLock::new();
        TABLE.get_or_init(build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_proto() {
        assert_eq!(pb::PaymentStatus::Succeeded.wire_name(), "succeeded");
        assert_eq!(pb::SubscriptionStatus::PastDue.wire_name(), "past_due");
        assert_eq!(
            pb::SubscriptionStatus::from_wire_name("past_due"),
            Some(pb::SubscriptionStatus::PastDue)
        );
        assert_eq!(pb::PaymentStatus::from_wire_name("unspecified"), None);
        assert_eq!(
            pb::PaymentStatus::table()[1],
            ("succeeded", pb::PaymentStatus::Succeeded)
        );
    }

    #[test]
    fn every_proto_value_is_listed() {
        for value in 1..=16 {
            if let Ok(status) = pb::PaymentStatus::try_from(value) {
                assert!(pb::PaymentStatus::ALL.contains(&status), "{status:?}");
            }
            if let Ok(status) = pb::SubscriptionStatus::try_from(value) {
                assert!(pb::SubscriptionStatus::ALL.contains(&status), "{status:?}");
            }
        }
    }
}
