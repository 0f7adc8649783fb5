//! `Idempotency-Key` on POST: the first answer is kept for 24 hours; a repeat with the same key
//! and body gets it again, with another body a 422. A booking made under a key also carries a form
//! key derived from it, so even a repeat that races the first (or follows a crash before the
//! answer was kept) books once.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::{ApiError, param};
use crate::db;
use crate::state::AppState;

/// How long an answer is kept.
pub const KEPT_HOURS: i64 = 24;
/// A first request still unanswered after this long died with its process: a repeat may go on.
const ABANDONED_AFTER_SECONDS: i64 = 120;
pub const MAX_KEY_CHARS: usize = 255;

fn hex_sha256(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What to do with a POST.
#[derive(Debug, Clone, PartialEq)]
pub enum Begun {
    /// Answer it; `form_key` is the booking form's key to use.
    Fresh { form_key: String, kept: bool },
    /// Answered before: this again.
    Replay {
        status: u16,
        location: Option<String>,
        body: String,
    },
}

/// Starts a POST of key `key_id` to `path` with `body`, under `idem_key` if one was sent.
pub async fn begin(
    state: &AppState,
    key_id: i64,
    idem_key: Option<&str>,
    path: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Begun, ApiError> {
    let Some(idem_key) = idem_key else {
        return Ok(Begun::Fresh {
            form_key: format!("api{key_id}.{}", uuid::Uuid::new_v4().simple()),
            kept: false,
        });
    };
    if idem_key.is_empty()
        || idem_key.len() > MAX_KEY_CHARS
        || !idem_key.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    {
        return Err(param(
            "Idempotency-Key",
            format!("1 to {MAX_KEY_CHARS} visible ASCII characters (a UUID is a good choice)."),
        ));
    }
    let request_hash = hex_sha256(&[path.as_bytes(), body]);
    let form_key = format!("api{key_id}.{}", &hex_sha256(&[idem_key.as_bytes()])[..40]);
    for _ in 0..3 {
        let kept = match db::claim_idempotency(
            &state.db,
            key_id,
            idem_key,
            &request_hash,
            now,
            now - Duration::hours(KEPT_HOURS),
        )
        .await?
        {
            db::IdemClaim::Claimed => {
                return Ok(Begun::Fresh {
                    form_key,
                    kept: true,
                });
            }
            db::IdemClaim::Vanished => continue,
            db::IdemClaim::Kept(kept) => kept,
        };
        if kept.request_hash != request_hash {
            return Err(ApiError::KeyReused);
        }
        if kept.status != 0 {
            return Ok(Begun::Replay {
                status: u16::try_from(kept.status).unwrap_or(200),
                location: kept.location,
                body: kept.body.unwrap_or_default(),
            });
        }
        if now - kept.created_at < Duration::seconds(ABANDONED_AFTER_SECONDS) {
            return Err(ApiError::InProgress);
        }
        // Its process died before answering: start over (the booking's form key still books
        // once). Only that claim is released: a repeat that took over meanwhile keeps its own.
        db::release_idempotency(&state.db, key_id, idem_key, Some(kept.created_at)).await?;
    }
    Err(ApiError::InProgress)
}

/// Keeps the answer to a POST begun with `idem_key`; a failure of ours (5xx) is not kept, so a
/// repeat tries again.
pub async fn finish(
    state: &AppState,
    key_id: i64,
    idem_key: &str,
    status: u16,
    location: Option<&str>,
    body: &str,
) -> Result<(), ApiError> {
    if status >= 500 || status == 429 {
        db::release_idempotency(&state.db, key_id, idem_key, None).await?;
    } else {
        db::keep_answer(&state.db, key_id, idem_key, status, location, body).await?;
    }
    Ok(())
}
