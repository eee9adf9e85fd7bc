//! The requests that take `validate_only` (AIP-163): checked and answered
//! without writing anything.

use crate::pb;

pub trait ValidateOnly {
    fn validate_only(&self) -> bool;
    fn set_validate_only(&mut self);
}

macro_rules! validate_only {
    ($($request:ty),* $(,)?) => {$(
        impl ValidateOnly for $request {
            fn validate_only(&self) -> bool {
                self.validate_only
            }

            fn set_validate_only(&mut self) {
                self.validate_only = true;
            }
        }
    )*};
}

validate_only!(
    pb::CreateCustomerRequest,
    pb::UpdateCustomerRequest,
    pb::CreatePaymentRequest,
    pb::CreateSubscriptionRequest,
);
