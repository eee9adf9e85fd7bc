//! Creating, listing, revoking, rolling, hashing and looking up secret keys.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};

use super::Tenant;
use crate::db::entities::{account, api_key};
use crate::error::{Error, Result};
use crate::ids;

/// Test keys see sandbox data; live keys see production data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    fn of(live: bool) -> Self {
        if live { Self::Live } else { Self::Test }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
        }
    }

    fn secret_prefix(self) -> &'static str {
        match self {
            Self::Test => "sk_test_",
            Self::Live => "sk_live_",
        }
    }
}

/// How many characters of a secret a listing shows: the mode prefix and four more.
pub const SHOWN_PREFIX: usize = 12;

/// A key just created: the only moment its secret is known.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub account_name: String,
    pub mode: Mode,
}

/// Whether `secret` has the shape of a secret key at all.
pub fn looks_like_secret(secret: &str) -> bool {
    secret.starts_with(Mode::Test.secret_prefix()) || secret.starts_with(Mode::Live.secret_prefix())
}

/// The SHA-256 of a secret: the only form in which keys are stored.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A digest as stored: lowercase hex.
pub fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a key for the account named `account_name`, creating the account if needed.
pub async fn create_key(
    db: &DatabaseConnection,
    account_name: &str,
    mode: Mode,
) -> Result<IssuedKey> {
    let txn = crate::db::begin_write(db).await?;
    let key = create_key_in(&txn, account_name, mode).await?;
    txn.commit().await?;
    Ok(key)
}

async fn create_key_in<C: ConnectionTrait>(
    txn: &C,
    account_name: &str,
    mode: Mode,
) -> Result<IssuedKey, DbErr> {
    let existing = account::Entity::find()
        .filter(account::Column::Name.eq(account_name))
        .one(txn)
        .await?;
    let account = match existing {
        Some(a) => a,
        None => {
            account::ActiveModel {
                id: Set(ids::account_id()),
                name: Set(account_name.to_owned()),
                created_at: Set(ids::now_micros()),
            }
            .insert(txn)
            .await?
        }
    };
    insert_key(txn, &account, mode).await
}

async fn insert_key<C: ConnectionTrait>(
    db: &C,
    account: &account::Model,
    mode: Mode,
) -> Result<IssuedKey, DbErr> {
    let secret = ids::random_token(mode.secret_prefix(), 20);
    let id = ids::key_id();
    api_key::ActiveModel {
        id: Set(id.clone()),
        account_id: Set(account.id.clone()),
        live: Set(mode == Mode::Live),
        key_hash: Set(hex(&digest(&secret))),
        key_prefix: Set(secret[..SHOWN_PREFIX].to_owned()),
        created_at: Set(ids::now_micros()),
        expires_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(IssuedKey {
        id,
        secret,
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        mode,
    })
}

/// Creates the first test key when the database holds none yet: once,
/// however many processes start together.
pub async fn ensure_initial_key(db: &DatabaseConnection) -> Result<Option<IssuedKey>> {
    let created = crate::db::exclusively(db, "customerd_first_key", |txn| {
        Box::pin(async move {
            if api_key::Entity::find().count(txn).await? > 0 {
                return Ok(None);
            }
            create_key_in(txn, "default", Mode::Test).await.map(Some)
        })
    })
    .await?;
    Ok(created)
}

/// Whether a key may be used at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Expired,
    Revoked,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// What is known of a stored key (never its secret).
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub id: String,
    pub account_name: String,
    pub mode: Mode,
    /// The first [`SHOWN_PREFIX`] characters of the secret.
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl KeyInfo {
    pub fn status(&self, now_micros: i64) -> KeyStatus {
        status(self.revoked_at, self.expires_at, now_micros)
    }
}

fn status(revoked_at: Option<i64>, expires_at: Option<i64>, now_micros: i64) -> KeyStatus {
    if revoked_at.is_some() {
        KeyStatus::Revoked
    } else if expires_at.is_some_and(|at| at <= now_micros) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

/// Every key, oldest first, optionally of one account only.
pub async fn list_keys(
    db: &DatabaseConnection,
    account_name: Option<&str>,
) -> Result<Vec<KeyInfo>> {
    let mut accounts = account::Entity::find();
    if let Some(name) = account_name {
        accounts = accounts.filter(account::Column::Name.eq(name));
    }
    let accounts = accounts.all(db).await?;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::AccountId.is_in(accounts.iter().map(|a| a.id.clone())))
        .order_by_asc(api_key::Column::CreatedAt)
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?;
    Ok(keys
        .into_iter()
        .map(|k| {
            let account_name = accounts
                .iter()
                .find(|a| a.id == k.account_id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            info(k, account_name)
        })
        .collect())
}

fn info(key: api_key::Model, account_name: String) -> KeyInfo {
    KeyInfo {
        id: key.id,
        account_name,
        mode: Mode::of(key.live),
        prefix: key.key_prefix,
        created_at: key.created_at,
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
    }
}

/// The stored key that `key` names: a key id (`key_…`) or the secret itself.
async fn find_key<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<(api_key::Model, account::Model)> {
    let by = if looks_like_secret(key) {
        api_key::Column::KeyHash.eq(hex(&digest(key)))
    } else {
        api_key::Column::Id.eq(key)
    };
    let shown = if looks_like_secret(key) {
        format!("{}…", &key[..SHOWN_PREFIX.min(key.len())])
    } else {
        key.to_owned()
    };
    let found = api_key::Entity::find().filter(by).one(db).await?;
    let Some(found) = found else {
        return Err(Error::not_found("API key", shown));
    };
    let account = account::Entity::find_by_id(found.account_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("account", found.account_id.clone()))?;
    Ok((found, account))
}

/// Revokes a key (by id or secret) from now on; revoking twice keeps the first time.
pub async fn revoke_key(db: &DatabaseConnection, key: &str) -> Result<KeyInfo> {
    let (found, account) = find_key(db, key).await?;
    let now = ids::now_micros();
    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(found.id.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let (revoked, _) = find_key(db, &found.id).await?;
    Ok(info(revoked, account.name))
}

/// Issues a new key for the account and mode of `key`, which stays valid for
/// `grace` more (never longer than it already would). A revoked key cannot be rolled.
pub async fn roll_key(db: &DatabaseConnection, key: &str, grace: Duration) -> Result<IssuedKey> {
    let txn = crate::db::begin_write(db).await?;
    let (old, account) = find_key(&txn, key).await?;
    if old.revoked_at.is_some() {
        return Err(Error::FailedPrecondition(format!(
            "{} is revoked; create a new key instead",
            old.id
        )));
    }
    let grace = i64::try_from(grace.as_micros()).unwrap_or(i64::MAX);
    let until = ids::now_micros().saturating_add(grace);
    let expires_at = old.expires_at.map_or(until, |at| at.min(until));
    api_key::Entity::update_many()
        .col_expr(api_key::Column::ExpiresAt, Expr::value(expires_at))
        .filter(api_key::Column::Id.eq(old.id.as_str()))
        .exec(&txn)
        .await?;
    let issued = insert_key(&txn, &account, Mode::of(old.live)).await?;
    txn.commit().await?;
    Ok(issued)
}

/// What a key lookup finds for one digest: whose it is and until when it may be used.
#[derive(Debug, Clone)]
pub struct Credential {
    pub tenant: Tenant,
    pub expires_at: Option<i64>,
}

/// The usable keys among `digests` (hex), each with its digest. Revoked keys
/// are left out, like keys that do not exist.
pub async fn find_credentials<C: ConnectionTrait>(
    db: &C,
    digests: Vec<String>,
) -> Result<Vec<(String, Credential)>> {
    let keys = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.is_in(digests))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    Ok(keys
        .into_iter()
        .map(|k| {
            let credential = Credential {
                tenant: Tenant {
                    account_id: k.account_id,
                    live: k.live,
                },
                expires_at: k.expires_at,
            };
            (k.key_hash, credential)
        })
        .collect())
}

/// The tenant a secret key belongs to, or `None` for an unknown, revoked or
/// expired key. Reads the database every time; requests go through
/// [`KeyCache`](super::KeyCache).
pub async fn authenticate<C: ConnectionTrait>(db: &C, secret: &str) -> Result<Option<Tenant>> {
    if !looks_like_secret(secret) {
        return Ok(None);
    }
    let found = find_credentials(db, vec![hex(&digest(secret))]).await?;
    let now = ids::now_micros();
    Ok(found
        .into_iter()
        .map(|(_, c)| c)
        .find(|c| status(None, c.expires_at, now) == KeyStatus::Active)
        .map(|c| c.tenant))
}
