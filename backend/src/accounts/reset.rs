//! Password reset by mail: "Forgot your password?" writes a single-use link (30 minutes; only its
//! hash is kept) to the mail outbox, with the same answer whether or not the address has an
//! account; opening it sets a new password, which ends the person's other sessions and calendar
//! feed, as an administrator's reset does.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::auth::hash_password;
use crate::db::{self, MailKind, NewMail};
use crate::error::ServerError;
use crate::forms::{Done, checked};
use crate::state::AppState;
use crate::throttle::{Begun, SignInLimiter};
use domain::error::AppError;
use domain::model::Outcome;
use domain::notify::RESET_VALID_MINUTES;
use domain::{
    Field, FieldErrors, MAX_EMAIL_CHARS, Password, Violation, check_email, check_new_password,
};

/// A token as stored: its SHA-256, hex.
fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Asks for a reset link for `email`. Whether or not it has an account, the answer is the same and
/// takes the same path through the throttle; a link is written only for an enabled account.
pub async fn forgot_password(
    state: &AppState,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let email = email.trim();
    let mut errors = FieldErrors::default();
    if email.chars().count() > MAX_EMAIL_CHARS {
        errors.add(Violation::TooLong {
            field: Field::Email,
            what: "the email address".into(),
            max: MAX_EMAIL_CHARS,
        });
    } else {
        checked(&mut errors, check_email(email));
    }
    errors.into_result()?;
    if let Begun::Wait(wait) = state
        .sign_in_limiter
        .begin_reset(&state.db, email, address, now)
        .await?
    {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return Err(ServerError::Wait {
            answer: AppError::TooManyAttempts(format!(
                "Too many reset links were asked for. Wait {minutes} minute{} and try again.",
                if minutes == 1 { "" } else { "s" }
            )),
            wait,
        });
    }
    if let Some(user) = db::user_by_email(&state.db, email).await?
        && user.disabled_at.is_none()
    {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let expires = now + Duration::minutes(RESET_VALID_MINUTES);
        let mut tx = state.db.begin().await?;
        let reset = db::insert_reset(&mut tx, user.id, &token_hash(&token), now, expires).await?;
        db::enqueue_mail(
            &mut tx,
            &NewMail {
                user_id: user.id,
                to: &user.email,
                kind: MailKind::PasswordReset,
                notification_id: None,
                reset_id: Some(reset),
                digest_date: None,
                message_key: &format!("reset-{reset}"),
                token: Some(&token),
                due: now,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user = user.id, "password reset link written");
    }
    Ok(Done::to("/sign-in", Outcome::ResetMailed))
}

/// Whether `token` is a reset link that still works (for the page that asks for the new password).
pub async fn reset_link_works(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServerError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(false);
    }
    Ok(db::reset_by_hash(&state.db, &token_hash(token))
        .await?
        .is_some_and(|r| r.used_at.is_none() && r.expires_at > now))
}

/// Sets a new password from a reset link, once: every session of the person ends (their epoch
/// moves on) and with it their calendar feed address; every throttle count on the account lifts.
pub async fn reset_password_with_token(
    state: &AppState,
    token: &str,
    new: Password,
    repeated: Password,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let mut errors = FieldErrors::default();
    if checked(&mut errors, check_new_password(new.expose())).is_some() && new != repeated {
        errors.add(Violation::PasswordsDiffer);
    }
    let reset = if token.is_empty() || token.len() > 200 {
        None
    } else {
        db::reset_by_hash(&state.db, &token_hash(token)).await?
    };
    let reset = reset.filter(|r| r.used_at.is_none() && r.expires_at > now);
    if reset.is_none() {
        errors.add(Violation::ResetLinkInvalid);
    }
    errors.into_result()?;
    let Some(reset) = reset else {
        return Err(Violation::ResetLinkInvalid.into());
    };
    let user = db::user_by_id(&state.db, reset.user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(Violation::ResetLinkInvalid)?;
    let hash = hash_password(new).await?;
    let mut tx = state.db.begin().await?;
    if !db::use_reset(&mut tx, reset.id, user.id, now).await? {
        return Err(Violation::ResetLinkInvalid.into());
    }
    db::set_password(&mut tx, user.id, &hash).await?;
    db::delete_feed(&mut tx, user.id).await?;
    tx.commit().await?;
    SignInLimiter::lift(&state.db, &user.email, user.id).await?;
    tracing::info!(user = user.id, "password reset by mail");
    Ok(Done::to("/sign-in", Outcome::PasswordResetByMail))
}
