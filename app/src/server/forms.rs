//! Plain HTML forms (no browser code needed): each submit ends in a redirect, to the result or back to
//! the form with its problems and what was typed, kept for one page load in a session flash.

use std::collections::BTreeMap;

use super::auth;
use super::error::{ServerError, with_status};
use super::zone::{Zone, check_zone};
use crate::domain::{Field, FieldErrors, Violation};
use crate::error::AppError;
use crate::model::FormFlash;

/// Where a successful submit goes, and what to tell the person there.
pub struct Done {
    pub redirect: String,
    pub success: Option<String>,
    /// Something shown once on the next page and never again (a new feed address).
    pub reveal: Option<String>,
}

impl Done {
    pub fn to(redirect: impl Into<String>, success: impl Into<String>) -> Done {
        Done {
            redirect: redirect.into(),
            success: Some(success.into()),
            reveal: None,
        }
    }

    /// Also shows `secret` once on the page it goes to.
    pub fn revealing(self, secret: String) -> Done {
        Done {
            reveal: Some(secret),
            ..self
        }
    }

    /// Just go there.
    pub fn go(redirect: impl Into<String>) -> Done {
        Done {
            redirect: redirect.into(),
            success: None,
            reveal: None,
        }
    }
}

/// Ends a form submit. A browser's plain form post is always redirected: to the result, or back to
/// the form with the problems and what was typed (never passwords); signed-out people go to the
/// sign-in page. Other callers (the islands, tests) get the error itself with its HTTP status.
pub async fn finish_form(
    form: &str,
    back: &str,
    values: BTreeMap<String, String>,
    outcome: Result<Done, ServerError>,
) -> Result<(), AppError> {
    with_status(finish(form, back, values, outcome).await)
}

async fn finish(
    form: &str,
    back: &str,
    values: BTreeMap<String, String>,
    outcome: Result<Done, ServerError>,
) -> Result<(), ServerError> {
    let html = auth::accepts_html();
    match outcome {
        Ok(done) => {
            if let Some(success) = done.success {
                let flash = FormFlash {
                    form: form.into(),
                    success: Some(success),
                    reveal: done.reveal,
                    ..FormFlash::default()
                };
                auth::set_flash(&auth::session().await?, &flash).await?;
            }
            leptos_axum::redirect(&done.redirect);
            Ok(())
        }
        Err(ServerError::User(AppError::Unauthorized)) if html => {
            leptos_axum::redirect(&auth::sign_in_then(back));
            Ok(())
        }
        Err(e) if html => {
            let (errors, notice) = match e.reported() {
                AppError::Invalid(errors) => (errors, None),
                other => (Default::default(), Some(other.to_string())),
            };
            let flash = FormFlash {
                form: form.into(),
                values,
                errors,
                notice,
                success: None,
                reveal: None,
            };
            auth::set_flash(&auth::session().await?, &flash).await?;
            leptos_axum::redirect(back);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Ends a form that only keeps a choice (in a cookie): back to the page it was sent from.
pub async fn back_to(form: &str, back: &str) -> Result<(), AppError> {
    let back = auth::local_path(back);
    finish_form(form, &back, Default::default(), Ok(Done::go(back.clone()))).await
}

/// Runs a rule, keeping its problem (if any) at its field.
pub fn checked<T>(errors: &mut FieldErrors, rule: Result<T, Violation>) -> Option<T> {
    rule.map_err(|v| errors.add(v)).ok()
}

/// A zone picked (or typed) in a form, its problem at this form's `field`.
pub fn zone_at(errors: &mut FieldErrors, field: Field, name: &str) -> Option<Zone> {
    check_zone(name).map_err(|v| errors.push(field, &v)).ok()
}

/// Keeps what a form sent, minus secrets, for the redirect back.
pub fn kept(values: &[(&str, &str)]) -> BTreeMap<String, String> {
    values
        .iter()
        .filter(|(k, _)| !k.contains("password"))
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}
