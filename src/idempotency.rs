//! Idempotency keys: a create sent again with the same `idempotency-key`
//! (after a timeout, a crash, a lost response) returns the first outcome
//! instead of creating a second object.
//!
//! The key's row is written in the create's own transaction, so the object
//! and the record of it commit together or not at all. A concurrent request
//! with the same key waits on the key's unique index and then replays the
//! first one's response. A failed request leaves no record, so it can be retried.

use prost::Message;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};
use tonic::Request;

use crate::auth::Tenant;
use crate::db::entities::idempotency_key;
use crate::error::{Error, Reason, Result};
use crate::ids;

/// The metadata (and, through the gateway, HTTP header) that carries the key.
pub const HEADER: &str = "idempotency-key";
pub const KEY_MAX: usize = 255;
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
        return Err(Error::invalid(
            HEADER,
            Reason::TooLong,
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
    // Inserting first takes the key (and SQLite's write lock) before any read.
    // A savepoint keeps a duplicate-key failure from aborting the transaction.
    let savepoint = txn.begin().await?;
    match idempotency_key::Entity::insert(row.clone())
        .exec_without_returning(&savepoint)
        .await
    {
        Ok(_) => {
            savepoint.commit().await?;
            return Ok(Claim::Proceed(Some(Slot { row })));
        }
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            savepoint.rollback().await?;
        }
        Err(err) => return Err(err.into()),
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
