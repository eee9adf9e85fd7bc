//! Creating, hashing and looking up secret keys.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::Tenant;
use crate::db::entities::{account, api_key};
use crate::error::Result;
use crate::ids;

/// Test keys see sandbox data; live keys see production data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Test,
    Live,
}

/// A key just created: the only moment its secret is known.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub secret: String,
    pub account_id: String,
    pub account_name: String,
    pub mode: Mode,
}

fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a key for the account named `account_name`, creating the account if needed.
pub async fn create_key(
    db: &DatabaseConnection,
    account_name: &str,
    mode: Mode,
) -> Result<IssuedKey> {
    let txn = db.begin().await?;
    let existing = account::Entity::find()
        .filter(account::Column::Name.eq(account_name))
        .one(&txn)
        .await?;
    let account = match existing {
        Some(a) => a,
        None => {
            account::ActiveModel {
                id: Set(ids::account_id()),
                name: Set(account_name.to_owned()),
                created_at: Set(ids::now_micros()),
            }
            .insert(&txn)
            .await?
        }
    };
    let prefix = match mode {
        Mode::Test => "sk_test_",
        Mode::Live => "sk_live_",
    };
    let secret = ids::random_token(prefix, 20);
    api_key::ActiveModel {
        id: Set(ids::key_id()),
        account_id: Set(account.id.clone()),
        live: Set(mode == Mode::Live),
        key_hash: Set(hash(&secret)),
        key_prefix: Set(secret[..prefix.len() + 4].to_owned()),
        created_at: Set(ids::now_micros()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(IssuedKey {
        secret,
        account_id: account.id,
        account_name: account.name,
        mode,
    })
}

/// Creates the first test key when the database holds none yet.
pub async fn ensure_initial_key(db: &DatabaseConnection) -> Result<Option<IssuedKey>> {
    if api_key::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    create_key(db, "default", Mode::Test).await.map(Some)
}

/// The tenant a secret key belongs to, or `None` for an unknown key.
pub async fn authenticate<C: ConnectionTrait>(db: &C, secret: &str) -> Result<Option<Tenant>> {
    if !(secret.starts_with("sk_test_") || secret.starts_with("sk_live_")) {
        return Ok(None);
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash(secret)))
        .one(db)
        .await?;
    Ok(key.map(|k| Tenant {
        account_id: k.account_id,
        live: k.live,
    }))
}
