//! Signing in and out, the customer switcher, and changing one's own password.

use chrono::{DateTime, Utc};
use domain::model::Outcome;

use tower_sessions::Session;

use crate::auth::{self, Viewer, hash_password, password_matches};
use crate::db::{self};
use crate::error::ServerError;
use crate::forms::{Done, checked};
use crate::state::AppState;
use crate::throttle::Begun;
use domain::error::AppError;
use domain::{
    Field, FieldErrors, MAX_EMAIL_CHARS, PASSWORD_MAX_CHARS, Password, Violation,
    check_new_password,
};

/// "1 minute", "15 minutes": a throttling wait, rounded up.
fn minutes_label(wait: std::time::Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

/// One message for every refused sign-in: it must not tell whether the email has an account.
pub const SIGN_IN_REFUSED: &str =
    "That email and password do not match an active account. Check both and try again.";

pub async fn sign_in(
    state: &AppState,
    session: &Session,
    email: &str,
    password: Password,
    next: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let email = email.trim();
    let mut errors = FieldErrors::default();
    if email.is_empty() {
        errors.add(Violation::Required {
            field: Field::Email,
            what: "your email address".into(),
        });
    }
    if password.expose().is_empty() {
        errors.add(Violation::Required {
            field: Field::Password,
            what: "your password".into(),
        });
    }
    // No account has a longer address or password: refused before any work (no hashing).
    if email.chars().count() > MAX_EMAIL_CHARS {
        errors.add(Violation::TooLong {
            field: Field::Email,
            what: "the email address".into(),
            max: MAX_EMAIL_CHARS,
        });
    }
    if password.expose().chars().count() > PASSWORD_MAX_CHARS {
        errors.add(Violation::PasswordTooLong);
    }
    errors.into_result()?;
    let attempt = match state
        .sign_in_limiter
        .begin(&state.db, email, address, now)
        .await?
    {
        Begun::Counted(attempt) => attempt,
        Begun::Wait(wait) => {
            tracing::warn!(%address, "sign-in throttled");
            return Err(ServerError::Wait {
                answer: AppError::TooManyAttempts(format!(
                    "Too many failed sign-ins for this account or from this network. Wait {} and try again, or ask an administrator to reset your password.",
                    minutes_label(wait)
                )),
                wait,
            });
        }
    };
    let user = db::user_by_email(&state.db, email).await?;
    let matches = password_matches(password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match user {
        Some(u) if matches && u.disabled_at.is_none() => u,
        _ => {
            tracing::info!(%address, "sign-in refused");
            return Err(AppError::Forbidden(SIGN_IN_REFUSED.into()).into());
        }
    };
    state
        .sign_in_limiter
        .succeeded(&state.db, email, address, &attempt)
        .await?;
    auth::start_session(session, &user).await?;
    tracing::info!(user = user.id, "signed in");
    Ok(Done::go(auth::local_path(next)))
}

pub async fn sign_out(session: &Session) -> Result<Done, ServerError> {
    auth::end_session(session).await?;
    Ok(Done::to("/sign-in", Outcome::SignedOut))
}

/// The customer switcher: one customer (views and bookings are for it) or all (`None`).
pub async fn switch_customer(
    viewer: &Viewer,
    session: &Session,
    customer: Option<i64>,
    back: &str,
) -> Result<Done, ServerError> {
    let chosen = match customer {
        None => None,
        Some(id) => Some(viewer.customer(id)?.id),
    };
    auth::select_customer(session, chosen).await?;
    Ok(Done::go(auth::local_path(back)))
}

/// Anyone signed in changes their own password: the current one first (its own count per person,
/// so a left-open session cannot be used to guess it and nobody's sign-in failures hold it up),
/// then the new one twice.
pub async fn change_own_password(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    current: Password,
    new: Password,
    repeated: Password,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let mut errors = FieldErrors::default();
    if current.expose().is_empty() {
        errors.add(Violation::Required {
            field: Field::CurrentPassword,
            what: "your current password".into(),
        });
    } else if current.expose().chars().count() > PASSWORD_MAX_CHARS {
        errors.push(Field::CurrentPassword, &Violation::PasswordTooLong);
    }
    if checked(&mut errors, check_new_password(new.expose())).is_some() && new != repeated {
        errors.add(Violation::PasswordsDiffer);
    }
    errors.into_result()?;
    match state
        .sign_in_limiter
        .begin_change(&state.db, viewer.user_id, now)
        .await?
    {
        Begun::Counted(_) => {}
        Begun::Wait(wait) => {
            return Err(ServerError::Wait {
                answer: AppError::TooManyAttempts(format!(
                    "Too many wrong passwords. Wait {} and try again.",
                    minutes_label(wait)
                )),
                wait,
            });
        }
    };
    let me = db::user_by_id(&state.db, viewer.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !password_matches(current, Some(me.password_hash.clone())).await {
        return Err(Violation::CurrentPasswordWrong.into());
    }
    state
        .sign_in_limiter
        .change_succeeded(&state.db, viewer.user_id)
        .await?;
    let hash = hash_password(new).await?;
    db::set_password(&state.db, me.id, &hash).await?;
    super::users::keep_own_session(state, viewer, session, me.id).await?;
    tracing::info!(user = me.id, "password changed by its owner");
    Ok(Done::to("/account", Outcome::PasswordChanged))
}
