//! The session cookie's contents: who is signed in (under which grant), the switcher's customer,
//! and the one-shot flash a plain form leaves for the page it redirects to.

use crate::db::Db;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::viewer::Viewer;
use crate::db::{self, UserRow};
use crate::error::ServerError;
use domain::model::FormFlash;

const SESSION_USER: &str = "user";
const SESSION_CUSTOMER: &str = "customer";
const SESSION_FLASH: &str = "flash";

/// What the session remembers about the person: who, and under which grant (`epoch` changes when
/// an administrator disables the account or changes its role or password, ending the session).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SessionUser {
    id: i64,
    epoch: i64,
}

fn session_failed(e: tower_sessions::session::Error) -> ServerError {
    ServerError::internal(format!("session store failed: {e}"))
}

/// The person this session belongs to, if it is still valid.
pub async fn load_viewer(pool: &Db, session: &Session) -> Result<Option<Viewer>, ServerError> {
    let Some(su) = session
        .get::<SessionUser>(SESSION_USER)
        .await
        .map_err(session_failed)?
    else {
        return Ok(None);
    };
    let user = db::user_by_id(pool, su.id).await?;
    let Some(user) = user.filter(|u| u.disabled_at.is_none() && u.session_epoch == su.epoch) else {
        // Disabled, deleted, or its grant changed: this session is over.
        session.flush().await.map_err(session_failed)?;
        return Ok(None);
    };
    let selected = session
        .get::<i64>(SESSION_CUSTOMER)
        .await
        .map_err(session_failed)?;
    Ok(Some(Viewer::of_user(pool, user, selected).await?))
}

/// Starts a signed-in session under a fresh id (so an id planted before sign-in is worthless) and
/// with nothing carried over from whoever used this browser before.
pub async fn start_session(session: &Session, user: &UserRow) -> Result<(), ServerError> {
    session.clear().await;
    session.cycle_id().await.map_err(session_failed)?;
    session
        .insert(
            SESSION_USER,
            SessionUser {
                id: user.id,
                epoch: user.session_epoch,
            },
        )
        .await
        .map_err(session_failed)
}

pub async fn end_session(session: &Session) -> Result<(), ServerError> {
    session.flush().await.map_err(session_failed)
}

pub async fn select_customer(session: &Session, customer: Option<i64>) -> Result<(), ServerError> {
    match customer {
        Some(id) => session.insert(SESSION_CUSTOMER, id).await,
        None => session.remove::<i64>(SESSION_CUSTOMER).await.map(|_| ()),
    }
    .map_err(session_failed)
}

pub async fn set_flash(session: &Session, flash: &FormFlash) -> Result<(), ServerError> {
    session
        .insert(SESSION_FLASH, flash)
        .await
        .map_err(session_failed)
}

/// The flash left by the last form submit, removed so it shows once.
pub async fn take_flash(session: &Session) -> Result<Option<FormFlash>, ServerError> {
    // A flash written by an earlier version in a shape this one does not read (left between a
    // submit and the next page across an upgrade) is dropped, not an error: it only said once
    // what a form did.
    let flash = match session.get::<FormFlash>(SESSION_FLASH).await {
        Ok(flash) => flash,
        Err(tower_sessions::session::Error::SerdeJson(e)) => {
            tracing::debug!(error = %e, "dropped a flash this version cannot read");
            session
                .remove_value(SESSION_FLASH)
                .await
                .map_err(session_failed)?;
            None
        }
        Err(e) => return Err(session_failed(e)),
    };
    if flash.is_some() {
        session
            .remove_value(SESSION_FLASH)
            .await
            .map_err(session_failed)?;
    }
    Ok(flash)
}
