//! API keys: made on a page or on the command line, shown once, kept as a hash; each acts for
//! exactly one customer with its scopes, until it expires (to the second) or is revoked (at once,
//! on every process: both are read on every request).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::auth::{KeyRef, Viewer};
use crate::db::{self, CustomerRow, KeyRow};
use crate::error::ServerError;
use crate::secret::Secret;
use crate::state::AppState;
use domain::api::{MAX_KEY_NAME_CHARS, Scope};
use domain::error::AppError;
use domain::model::Role;
use domain::{Field, FieldErrors};

/// What every key starts with: recognisable in logs and by secret scanners.
pub const KEY_PREFIX: &str = "aura_";
/// How many of a key's first characters identify it on pages.
const SHOWN_CHARS: usize = 12;

/// A new key's secret: the prefix and 64 lower-case hex digits (244 random bits).
fn new_secret() -> Secret {
    Secret::new(format!(
        "{KEY_PREFIX}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// How a key is found: the SHA-256 of its secret, in hex.
pub fn hash_key(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key to make.
pub struct KeyRequest<'a> {
    pub name: &'a str,
    pub scopes: &'a str,
    /// Empty: it never expires; else an RFC 3339 instant (`2027-01-31T23:59:59Z`).
    pub expires_at: &'a str,
}

/// A key made: its row, and its secret (shown once, never stored).
pub struct MadeKey {
    pub row: KeyRow,
    pub secret: Secret,
}

/// Makes a key for `customer`, by `created_by` (a person, or the command line).
pub async fn make_key(
    db: &db::Db,
    customer: &CustomerRow,
    request: &KeyRequest<'_>,
    created_by: (&str, Option<i64>),
    now: DateTime<Utc>,
) -> Result<MadeKey, ServerError> {
    let mut errors = FieldErrors::default();
    let name = request.name.trim();
    if name.is_empty() {
        errors.insert(Field::Name, "Give the key a name (what uses it).");
    } else if name.chars().count() > MAX_KEY_NAME_CHARS {
        errors.insert(
            Field::Name,
            format!("A key's name is at most {MAX_KEY_NAME_CHARS} characters."),
        );
    } else if name.chars().any(char::is_control) {
        errors.insert(Field::Name, "A key's name is one line of text.");
    }
    let scopes = match Scope::parse_list(request.scopes) {
        Ok(s) if s.is_empty() => {
            errors.insert(Field::Scopes, "Choose at least one scope.");
            Vec::new()
        }
        Ok(s) => s,
        Err(e) => {
            errors.insert(Field::Scopes, e);
            Vec::new()
        }
    };
    let expires_at = match request.expires_at.trim() {
        "" => None,
        text => match DateTime::parse_from_rfc3339(text) {
            Ok(at) if at.with_timezone(&Utc) > now => Some(at.with_timezone(&Utc)),
            Ok(_) => {
                errors.insert(Field::Expires, "The expiry must be in the future.");
                None
            }
            Err(_) => {
                errors.insert(
                    Field::Expires,
                    "Give the expiry as a date and time with its offset, e.g. 2027-01-31T23:59:59Z.",
                );
                None
            }
        },
    };
    errors.into_result()?;
    let secret = new_secret();
    let shown: String = secret.expose().chars().take(SHOWN_CHARS).collect();
    let id = db::insert_key(
        db,
        &db::NewKey {
            customer_id: customer.id,
            name,
            prefix: &shown,
            key_hash: &hash_key(secret.expose()),
            scopes: &scopes,
            created_by: created_by.0,
            created_by_user_id: created_by.1,
            expires_at,
            at: now,
        },
    )
    .await?;
    let row = db::key_by_id(db, id)
        .await?
        .ok_or_else(|| ServerError::internal("a key just made is gone"))?;
    tracing::info!(key = id, customer = customer.id, scopes = %Scope::join(&scopes), "API key made");
    Ok(MadeKey { row, secret })
}

/// Who may manage keys: administrators for any customer, customers and account managers for
/// those they act for (the viewer's reach).
pub async fn keys_in_reach(state: &AppState, viewer: &Viewer) -> Result<Vec<KeyRow>, ServerError> {
    Ok(db::keys_of(&state.db, &viewer.scope()).await?)
}

/// Makes a key on a page, for a customer in the viewer's reach.
pub async fn make_key_for(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    request: &KeyRequest<'_>,
    now: DateTime<Utc>,
) -> Result<MadeKey, ServerError> {
    let customer = viewer.customer(customer_id)?.clone();
    let by = match viewer.role {
        Role::Customer => viewer.name.clone(),
        _ => format!("{} ({})", viewer.name, viewer.role.label()),
    };
    make_key(
        &state.db,
        &customer,
        request,
        (&by, Some(viewer.user_id)),
        now,
    )
    .await
}

/// Revokes a key of a customer in the viewer's reach; at once, everywhere.
pub async fn revoke_key_for(
    state: &AppState,
    viewer: &Viewer,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<KeyRow, ServerError> {
    let key = db::key_by_id(&state.db, key_id)
        .await?
        .filter(|k| viewer.scope().includes(k.customer_id))
        .ok_or_else(|| AppError::NotFound("No such key.".into()))?;
    if !db::revoke_key(&state.db, key.id, now).await? {
        return Err(AppError::Conflict("This key is already revoked.".into()).into());
    }
    tracing::info!(key = key.id, by = viewer.user_id, "API key revoked");
    Ok(key)
}

/// Why a request's key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No `Authorization: Bearer …`, or one that is not a key of ours.
    Missing,
    Unknown,
    Revoked,
    Expired,
    /// The key's customer may not be reached any more.
    Gone,
    /// Too many requests this minute: try again after this many seconds.
    Busy(u64),
}

impl KeyRefusal {
    pub fn detail(&self) -> String {
        match self {
            KeyRefusal::Missing => {
                "Send an API key as \"Authorization: Bearer KEY\". Keys are made on the API keys page or with `server api-key add`.".into()
            }
            KeyRefusal::Unknown => "This API key is not known.".into(),
            KeyRefusal::Revoked => "This API key was revoked.".into(),
            KeyRefusal::Expired => "This API key has expired.".into(),
            KeyRefusal::Gone => "This API key's customer is no longer served here.".into(),
            KeyRefusal::Busy(wait) => format!(
                "Too many requests with this key: at most the per-minute limit. Try again in {wait} s."
            ),
        }
    }
}

/// The key a request presents (the `Authorization` header's value), checked now: known, not
/// revoked, not expired, within its rate. What it may reach is its customer, as that customer's
/// own system; its scopes come with it.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    per_minute: u32,
    now: DateTime<Utc>,
) -> Result<Result<(Viewer, Vec<Scope>), KeyRefusal>, ServerError> {
    let Some(secret) = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| s.starts_with(KEY_PREFIX) && s.len() < 200)
    else {
        return Ok(Err(KeyRefusal::Missing));
    };
    let Some(key) = db::key_by_hash(&state.db, &hash_key(secret)).await? else {
        return Ok(Err(KeyRefusal::Unknown));
    };
    if key.revoked_at.is_some() {
        return Ok(Err(KeyRefusal::Revoked));
    }
    if !key.usable_at(now) {
        return Ok(Err(KeyRefusal::Expired));
    }
    let count = db::count_request(&state.db, key.id, now).await?;
    if count > i64::from(per_minute) {
        let wait = 60 - now.timestamp().rem_euclid(60);
        return Ok(Err(KeyRefusal::Busy(wait.max(1) as u64)));
    }
    let Some(customer) = db::customer_by_id(&state.db, key.customer_id).await? else {
        return Ok(Err(KeyRefusal::Gone));
    };
    let created_by_user_id = key.created_by_user_id;
    let viewer = Viewer {
        user_id: created_by_user_id.unwrap_or(0),
        name: key.name.clone(),
        email: String::new(),
        role: Role::Customer,
        customers: vec![customer],
        selected: None,
        needs_attention: None,
        unread: None,
        key: Some(KeyRef {
            id: key.id,
            name: key.name.clone(),
            created_by_user_id,
        }),
    };
    Ok(Ok((viewer, key.scopes())))
}
