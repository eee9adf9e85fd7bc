//! API keys and the layer that turns a request's key into its tenant.

mod cache;
mod keys;
mod layer;

pub use cache::KeyCache;
pub use keys::{
    Credential, IssuedKey, KeyInfo, KeyStatus, Mode, authenticate, create_key, ensure_initial_key,
    list_keys, revoke_key, roll_key,
};
pub use layer::AuthLayer;

use sea_orm::{ColumnTrait, Condition};
use tonic::{Request, Status};

/// Whose data a request may see: one account, in one mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub account_id: String,
    pub live: bool,
}

impl Tenant {
    /// The condition that keeps a query to this tenant's rows of a table.
    pub fn scope<C: ColumnTrait>(&self, account_id: C, live: C) -> Condition {
        Condition::all()
            .add(account_id.eq(self.account_id.as_str()))
            .add(live.eq(self.live))
    }

    /// The tenant the auth layer attached to this request.
    pub fn of<T>(req: &Request<T>) -> Result<Self, Status> {
        req.extensions()
            .get::<Tenant>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("missing API key"))
    }
}
