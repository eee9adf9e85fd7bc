//! The limits the service enforces, which the gateway describes (OpenAPI) and
//! reports (422s) as they are.

/// Characters of an email address.
pub const EMAIL_MAX: usize = 254;
/// Characters of a customer's name.
pub const NAME_MAX: usize = 256;
/// Characters of a phone number.
pub const PHONE_MAX: usize = 64;
/// Characters of a description (customers and payments).
pub const DESCRIPTION_MAX: usize = 1000;
/// Characters of a subscription's plan.
pub const PLAN_MAX: usize = 256;
/// Keys of a metadata map.
pub const METADATA_MAX_KEYS: usize = 50;
/// Characters of a metadata key.
pub const METADATA_KEY_MAX: usize = 40;
/// Characters of a metadata value.
pub const METADATA_VALUE_MAX: usize = 500;
/// Characters of an idempotency key.
pub const IDEMPOTENCY_KEY_MAX: usize = 255;
/// The largest page a list request may ask for.
pub const PAGE_MAX: i32 = 1000;
/// The page size of a list request that names none.
pub const PAGE_DEFAULT: i32 = 10;
/// How deeply a customer filter tree may nest.
pub const FILTER_MAX_DEPTH: usize = 8;
/// How many conditions a customer filter tree may hold.
pub const FILTER_MAX_CONDITIONS: usize = 50;

/// Characters of a customer search query.
pub const SEARCH_QUERY_MAX: usize = 1000;
/// The largest page a search may ask for.
pub const SEARCH_PAGE_MAX: i32 = 100;
/// The page size of a search that names none.
pub const SEARCH_PAGE_DEFAULT: i32 = 10;

/// Characters of a webhook endpoint's URL.
pub const WEBHOOK_URL_MAX: usize = 2048;
/// Event types or patterns one webhook endpoint may name.
pub const WEBHOOK_ENABLED_EVENTS_MAX: usize = 16;

/// The `google.rpc.ErrorInfo` domain of the service's errors.
pub const ERROR_DOMAIN: &str = "customerd";

/// The `ErrorInfo` metadata key that carries the limit of the `index`th field
/// violation of a `BadRequest` (the limit a string, map or number broke).
pub fn limit_key(index: usize) -> String {
    format!("limit.{index}")
}

/// How a number broke its limit: it must be greater than (`gt`), at least
/// (`ge`), less than (`lt`) or at most (`le`) the violation's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Bound {
    pub const ALL: [Bound; 4] = [Self::Gt, Self::Ge, Self::Lt, Self::Le];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
    }
}

/// The `ErrorInfo` metadata key that carries the [`Bound`] of the `index`th
/// field violation, beside its limit.
pub fn bound_key(index: usize) -> String {
    format!("bound.{index}")
}
