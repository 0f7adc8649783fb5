//! Plain HTML forms (no browser code needed): each submit ends in a redirect, to the result or back to
//! the form with its problems and what was typed, kept for one page load in a session flash.

use backend::ServerError;
use backend::auth;
use backend::forms::Done;
use domain::error::AppError;

use crate::error::ApiError;
use domain::model::{FormFlash, FormId, Kept};

use super::context;
use super::error::with_status;

/// Ends a form submit. A browser's plain form post is always redirected: to the result, or back to
/// the form with the problems and what was typed (never passwords); signed-out people go to the
/// sign-in page. Other callers (the islands, tests) get the error itself with its HTTP status.
pub async fn finish_form(
    form: FormId,
    back: &str,
    values: Kept,
    outcome: Result<Done, ServerError>,
) -> Result<(), ApiError> {
    with_status(finish(form, back, values, outcome).await)
}

async fn finish(
    form: FormId,
    back: &str,
    values: Kept,
    outcome: Result<Done, ServerError>,
) -> Result<(), ServerError> {
    let html = context::accepts_html();
    match outcome {
        Ok(done) => {
            if let Some(success) = done.success {
                let flash = FormFlash {
                    success: Some(success),
                    reveal: done.reveal,
                    ..FormFlash::empty(form)
                };
                auth::set_flash(&context::session().await?, &flash).await?;
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
                form,
                values,
                errors,
                notice,
                success: None,
                reveal: None,
            };
            auth::set_flash(&context::session().await?, &flash).await?;
            leptos_axum::redirect(back);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Ends a form that only keeps a choice (in a cookie): back to the page it was sent from.
pub async fn back_to(form: FormId, back: &str) -> Result<(), ApiError> {
    let back = auth::local_path(back);
    finish_form(form, &back, Default::default(), Ok(Done::go(back.clone()))).await
}
