//! Idempotency keys: a create sent again with the same `idempotency-key`
//! (after a timeout, a crash, a lost response) returns the first outcome
//! instead of creating a second object.
//!
//! The key's row is written in the create's own transaction, so the object
//! and the record of it commit together or not at all. A concurrent request
//! with the same key waits on the key's unique index and then replays the
//! first one's response. A failed request leaves no record, so it can be retried.

use customerd_wire::validate_only::ValidateOnly;
use std::sync::Arc;

use prost::Message;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, QueryFilter, SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};
use tonic::Request;

use crate::auth::Tenant;
use crate::db::entities::idempotency_key;
use crate::db::{BoxFuture, Isolation, Tx, Writer};
use crate::error::{Error, Reason, Result};
use crate::events::Origin;
use crate::ids;

/// The metadata (and, through the gateway, HTTP header) that carries the key.
pub use customerd_wire::headers::IDEMPOTENCY_KEY as HEADER;
use customerd_wire::limits::IDEMPOTENCY_KEY_MAX as KEY_MAX;
/// How long a key is remembered; after that it may be used afresh.
pub const RETENTION_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// The key a request carries, if any.
pub fn key_of<T>(request: &Request<T>) -> Result<Option<String>> {
    let Some(value) = request.metadata().get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| Error::invalid(HEADER, Reason::InvalidValue, "must be visible ASCII"))?
        .trim();
    if key.is_empty() {
        return Ok(None);
    }
    if key.len() > KEY_MAX {
        return Err(Error::over_limit(
            HEADER,
            Reason::TooLong,
            KEY_MAX,
            format!("must be at most {KEY_MAX} characters"),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// A claimed key, to be completed with the response by [`record`].
pub struct Slot {
    row: idempotency_key::ActiveModel,
}

/// What to do with a request.
pub enum Claim<M> {
    /// Go ahead (and `record` the response when there is a slot).
    Proceed(Option<Slot>),
    /// The key was used before with the same request: answer this.
    Replay(M),
}

fn fingerprint(operation: &str, request: &impl Message) -> String {
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(request.encode_to_vec());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn this_key(tenant: &Tenant, key: &str) -> sea_orm::Condition {
    tenant
        .scope(
            idempotency_key::Column::AccountId,
            idempotency_key::Column::Live,
        )
        .add(idempotency_key::Column::Key.eq(key))
}

/// Claims `key` for this request inside `txn`, or finds the first outcome.
pub async fn claim<M: Message + Default>(
    txn: &DatabaseTransaction,
    tenant: &Tenant,
    key: Option<&str>,
    operation: &str,
    request: &impl Message,
) -> Result<Claim<M>> {
    let Some(key) = key else {
        return Ok(Claim::Proceed(None));
    };
    let now = ids::now_micros();
    let row = idempotency_key::ActiveModel {
        account_id: Set(tenant.account_id.clone()),
        live: Set(tenant.live),
        key: Set(key.to_owned()),
        operation: Set(operation.to_owned()),
        request_hash: Set(fingerprint(operation, request)),
        response: Set(Vec::new()),
        created_at: Set(now),
    };
    // Inserting first takes the key before any read; a concurrent request with
    // the same key waits here until the first one commits or rolls back.
    if insert_if_absent(txn, row.clone()).await? {
        return Ok(Claim::Proceed(Some(Slot { row })));
    }
    let Some(first) = idempotency_key::Entity::find()
        .filter(this_key(tenant, key))
        .one(txn)
        .await?
    else {
        return Err(Error::Aborted(
            "a request with this idempotency key is in progress; retry".to_owned(),
        ));
    };
    if first.created_at < now - RETENTION_MICROS {
        idempotency_key::Entity::delete_many()
            .filter(this_key(tenant, key))
            .exec(txn)
            .await?;
        idempotency_key::Entity::insert(row.clone())
            .exec_without_returning(txn)
            .await?;
        return Ok(Claim::Proceed(Some(Slot { row })));
    }
    let same_request = row.operation.as_ref() == &first.operation
        && row.request_hash.as_ref() == &first.request_hash;
    if !same_request {
        return Err(Error::FailedPrecondition(format!(
            "idempotency key '{key}' was already used with different parameters"
        )));
    }
    let reply = M::decode(first.response.as_slice()).map_err(|e| {
        Error::Internal(sea_orm::DbErr::Custom(format!(
            "stored idempotent response is not valid: {e}"
        )))
    })?;
    Ok(Claim::Replay(reply))
}

/// Inserts a key's row unless the key is taken; whether it was inserted.
async fn insert_if_absent(
    txn: &DatabaseTransaction,
    row: idempotency_key::ActiveModel,
) -> Result<bool> {
    if txn.get_database_backend() != DatabaseBackend::MySql {
        let inserted = idempotency_key::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    idempotency_key::Column::AccountId,
                    idempotency_key::Column::Live,
                    idempotency_key::Column::Key,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        return Ok(inserted > 0);
    }
    // MySQL reports a row found by ON DUPLICATE KEY like one inserted, and
    // INSERT IGNORE would hide other errors: a savepoint keeps the
    // duplicate-key failure from aborting the transaction.
    let savepoint = txn.begin().await?;
    match idempotency_key::Entity::insert(row)
        .exec_without_returning(&savepoint)
        .await
    {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(true)
        }
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

/// Stores the response for a claimed key, in the same transaction.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    slot: Option<Slot>,
    response: &impl Message,
) -> Result<()> {
    let Some(Slot { mut row }) = slot else {
        return Ok(());
    };
    row.response = Set(response.encode_to_vec());
    idempotency_key::Entity::update(row).exec(db).await?;
    Ok(())
}

/// The existing row a create locks first, if any: the customer a payment or
/// subscription is for (see [`Writer::write`]).
pub trait Locks {
    fn locks(&self) -> Option<&str>;
}

impl Locks for crate::proto::customers::v1::CreateCustomerRequest {
    fn locks(&self) -> Option<&str> {
        None
    }
}

impl Locks for crate::proto::customers::v1::CreatePaymentRequest {
    fn locks(&self) -> Option<&str> {
        self.customer.as_deref()
    }
}

impl Locks for crate::proto::customers::v1::CreateSubscriptionRequest {
    fn locks(&self) -> Option<&str> {
        Some(&self.customer)
    }
}

/// A create as every service runs it: in one grouped transaction, the key
/// (if any) is claimed, `create` runs and its reply is recorded under the
/// key; a request repeated with the same key gets the first reply instead.
#[allow(clippy::too_many_arguments)]
pub async fn create<Req, Reply, F>(
    writer: &Writer,
    isolation: Isolation,
    origin: Origin,
    tenant: Tenant,
    key: Option<String>,
    operation: &'static str,
    request: Req,
    create: F,
) -> Result<Reply>
where
    Req: Message + Locks + Send + Sync + 'static,
    Reply: Message + Default + Send + 'static,
    F: for<'t> Fn(Tx<'t>, &'t Req) -> BoxFuture<'t, Result<Reply>> + Send + Sync + 'static,
{
    let locks = request.locks().map(str::to_owned);
    let shared = Arc::new((key, request, create));
    writer
        .write(isolation, tenant, locks, origin, move |tx| {
            let shared = Arc::clone(&shared);
            Box::pin(async move {
                let (key, request, create) = &*shared;
                let tenant = tx.tenant();
                let slot = match claim(&tx, tenant, key.as_deref(), operation, request).await? {
                    Claim::Replay(reply) => return Ok(reply),
                    Claim::Proceed(slot) => slot,
                };
                let reply = create(tx, request).await?;
                record(&*tx, slot, &reply).await?;
                Ok(reply)
            })
        })
        .await
}

/// A create request as every service answers it: the tenant and the key
/// taken from the call, the message checked by `validate`, and the result of
/// `create` (given the checked value) run through [`create`]. A
/// `validate_only` request stops after the check, claiming no key.
pub async fn answer_create<Req, New, Reply, F>(
    writer: &Writer,
    isolation: Isolation,
    operation: &'static str,
    request: tonic::Request<Req>,
    validate: impl FnOnce(Req) -> Result<New>,
    make: F,
) -> std::result::Result<tonic::Response<Reply>, tonic::Status>
where
    Req: Message + ValidateOnly + Locks + Clone + Send + Sync + 'static,
    New: Clone + Send + Sync + 'static,
    Reply: Message + Default + Send + 'static,
    F: for<'t> Fn(Tx<'t>, New) -> BoxFuture<'t, Result<Reply>> + Send + Sync + 'static,
{
    let tenant = Tenant::of(&request)?;
    let key = key_of(&request)?;
    let origin = Origin::of(&request);
    let message = request.into_inner();
    let new = validate(message.clone())?;
    if message.validate_only() {
        return Ok(tonic::Response::new(Reply::default()));
    }
    let reply = create(
        writer,
        isolation,
        origin,
        tenant,
        key,
        operation,
        message,
        move |tx, _| make(tx, new.clone()),
    )
    .await?;
    Ok(tonic::Response::new(reply))
}
