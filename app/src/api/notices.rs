//! Server functions for telling people: the inbox, acknowledging, notification choices, password
//! reset by mail, unsubscribe, the delivery log and the mail catcher. Mutations are posted by plain
//! HTML forms and end in a redirect (see `server::forms`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::server::context;
use domain::Password;
use domain::model::{DeliveryLogView, InboxView, MailCatcherView, OptionalId, UnsubscribeView};
#[cfg(feature = "ssr")]
use domain::{
    Field,
    model::{FormId, Kept},
};

/// A page of the inbox: notices older than `before` (empty: the newest).
#[server(input = GetUrl, endpoint = "load_inbox")]
pub async fn load_inbox(before: OptionalId) -> Result<InboxView, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let mut view = backend::inbox::inbox_view(&state, &viewer, before.0).await?;
            view.flash = context::take_flash().await?;
            Ok(view)
        }
        .await,
    )
}

/// Marks notice `id` read, or every notice when `id` is empty; back to `back`.
#[server(endpoint = "mark_read")]
pub async fn mark_read(id: OptionalId, back: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        backend::inbox::mark_read(&state, &viewer, id.0, &back, chrono::Utc::now()).await
    }
    .await;
    finish_form(
        FormId::Inbox,
        &backend::auth::local_path(&back),
        Default::default(),
        outcome,
    )
    .await
}

/// Acknowledges that booking `id` was refused or not sent: it leaves the calendar.
#[server(endpoint = "acknowledge")]
pub async fn acknowledge(id: i64) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        backend::inbox::acknowledge(&state, &viewer, id, chrono::Utc::now()).await
    }
    .await;
    finish_form(
        FormId::Acknowledge,
        &format!("/bookings/{id}"),
        Default::default(),
        outcome,
    )
    .await
}

/// Saves the person's notification choices: `choice[notice]=delivery` for each notice listed.
#[server(endpoint = "save_notifications")]
pub async fn save_notifications(
    #[server(default)] choice: std::collections::BTreeMap<String, String>,
    #[server(default)] digest: Option<String>,
    timezone: String,
    quiet_from: String,
    quiet_to: String,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::inbox::NotificationChoices;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        let mut choices = Vec::new();
        for (notice, delivery) in choice.iter().take(32) {
            match (notice.parse(), delivery.parse()) {
                (Ok(n), Ok(d)) => choices.push((n, d)),
                _ => {
                    return Err(domain::error::AppError::BadRequest(format!(
                        "{notice:?}={delivery:?} is not a notification choice."
                    ))
                    .into());
                }
            }
        }
        backend::inbox::save_notifications(
            &state,
            &viewer,
            &NotificationChoices {
                choices,
                digest: digest.is_some(),
                zone: &timezone,
                quiet_from: &quiet_from,
                quiet_to: &quiet_to,
            },
        )
        .await
    }
    .await;
    finish_form(
        FormId::Notifications,
        "/account#notifications",
        Kept::of(&[
            (Field::Timezone, &timezone),
            (Field::QuietFrom, &quiet_from),
            (Field::QuietTo, &quiet_to),
        ]),
        outcome,
    )
    .await
}

/// "Forgot your password?": writes a reset link to the address, if it has an account. The answer
/// is the same either way.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    let outcome = async {
        let state = app_state()?;
        let address = context::client_address(&state.security).await;
        backend::accounts::forgot_password(&state, &email, &address, chrono::Utc::now()).await
    }
    .await;
    finish_form(
        FormId::Forgot,
        "/forgot-password",
        Kept::of(&[(Field::Email, &email)]),
        outcome.map(|mut done| {
            done.redirect = "/forgot-password".into();
            done
        }),
    )
    .await
}

/// Whether a reset link still works (the reset page asks before showing its form).
#[server(input = GetUrl, endpoint = "load_reset")]
pub async fn load_reset(token: String) -> Result<domain::model::ResetView, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async {
            let state = app_state()?;
            Ok(domain::model::ResetView {
                works: backend::accounts::reset_link_works(&state, &token, chrono::Utc::now())
                    .await?,
                flash: context::take_flash().await?,
            })
        }
        .await,
    )
}

/// Sets a new password from a reset link (`password` twice: `repeat`).
#[server(endpoint = "reset_password_by_mail")]
pub async fn reset_password_by_mail(
    token: String,
    password: Password,
    repeat: Password,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    let back = format!(
        "/reset-password?token={}",
        percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC)
    );
    let outcome = async {
        let state = app_state()?;
        backend::accounts::reset_password_with_token(
            &state,
            &token,
            password,
            repeat,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_form(FormId::Reset, &back, Default::default(), outcome).await
}

/// What an unsubscribe link unsubscribes from (it works signed out: its signature is the
/// credential).
#[server(input = GetUrl, endpoint = "load_unsubscribe")]
pub async fn load_unsubscribe(
    u: String,
    n: String,
    s: String,
    #[server(default)] done: Option<String>,
) -> Result<UnsubscribeView, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async { backend::inbox::unsubscribe_view(&app_state()?, &u, &n, &s, done.is_some()).await }
            .await,
    )
}

/// The delivery log (administrators).
#[server(input = GetUrl, endpoint = "load_delivery_log")]
pub async fn load_delivery_log(before: OptionalId) -> Result<DeliveryLogView, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            backend::inbox::delivery_log(&state, &viewer, before.0, chrono::Utc::now()).await
        }
        .await,
    )
}

/// What the built-in catcher caught (demo mode without SMTP_URL; administrators).
#[server(input = GetUrl, endpoint = "load_mail_catcher")]
pub async fn load_mail_catcher() -> Result<MailCatcherView, ApiError> {
    use crate::server::{app_state, with_status};
    with_status(
        async { backend::inbox::caught_mail(&app_state()?, &*context::viewer()?).await }.await,
    )
}
