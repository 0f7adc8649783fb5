//! Server functions for signing in, the customer switcher and administration. The mutations are
//! posted by plain HTML forms (no browser code); each ends in a redirect (see `server::forms`).
//! Ids, roles and flags arrive typed: a value no form of ours sends is refused with a 400 before
//! any of this runs. Only what a person types is text.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::server::context;
use domain::Password;
use domain::model::{
    AccountView, AdminCustomerView, AdminCustomersView, AdminUsersView, OptionalId, Role,
    SignInView,
};
#[cfg(feature = "ssr")]
use domain::{
    Field,
    model::{FormId, Kept},
};

#[server(input = GetUrl, endpoint = "load_sign_in")]
pub async fn load_sign_in() -> Result<SignInView, ApiError> {
    use crate::server::with_status;
    with_status(
        async {
            Ok(SignInView {
                flash: context::take_flash().await?,
            })
        }
        .await,
    )
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: Password, next: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::accounts::sign_in;
    use backend::auth;
    let outcome = async {
        let state = app_state()?;
        let address = context::client_address(&state.security).await;
        sign_in(
            &state,
            &context::session().await?,
            &email,
            password,
            &next,
            &address,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_form(
        FormId::SignIn,
        &auth::sign_in_then(&next),
        Kept::of(&[(Field::Email, &email)]),
        outcome,
    )
    .await
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::sign_out;
    let outcome = async { sign_out(&context::session().await?).await }.await;
    finish_form(FormId::SignIn, "/sign-in", Default::default(), outcome).await
}

/// Keeps the colour theme chosen in the header (a cookie) and goes back to the page.
#[server(endpoint = "set_theme")]
pub async fn set_theme(theme: domain::model::Theme, back: String) -> Result<(), ApiError> {
    crate::server::prefs::keep_theme(theme);
    crate::server::forms::back_to(FormId::Theme, &back).await
}

/// Keeps whose zone the calendar shows times in (a cookie) and goes back to the page.
#[server(endpoint = "set_times_in")]
pub async fn set_times_in(times_in: domain::model::TimesIn, back: String) -> Result<(), ApiError> {
    crate::server::prefs::keep_times_in(times_in);
    crate::server::forms::back_to(FormId::Times, &back).await
}

/// `customer` is a customer id, or empty for all of the viewer's customers.
#[server(endpoint = "switch_customer")]
pub async fn switch_customer(customer: OptionalId, back: String) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::switch_customer;
    use backend::auth;
    let outcome = async {
        switch_customer(
            &*context::viewer()?,
            &context::session().await?,
            customer.0,
            &back,
        )
        .await
    }
    .await;
    finish_form(
        FormId::Switcher,
        &auth::local_path(&back),
        Default::default(),
        outcome,
    )
    .await
}

#[server(input = GetUrl, endpoint = "load_account")]
pub async fn load_account() -> Result<AccountView, ApiError> {
    use crate::server::with_status;
    use backend::auth;
    with_status(
        async {
            let (state, viewer) = (crate::server::app_state()?, context::viewer()?);
            let headers = use_context::<axum::http::request::Parts>()
                .map(|p| p.headers)
                .unwrap_or_default();
            Ok(AccountView {
                session: viewer.session_view(),
                feed: backend::feed::feed_view(&state, &viewer).await?,
                notifications: backend::inbox::notifications_view(&state, &viewer).await?,
                origin: auth::own_origin(&state.security, &headers).unwrap_or_default(),
                flash: context::take_flash().await?,
            })
        }
        .await,
    )
}

/// Issues the person's calendar feed address (replacing any earlier one); shown once on the
/// account page.
#[server(endpoint = "start_feed")]
pub async fn start_feed() -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::feed;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        feed::start_feed(&state, &viewer, chrono::Utc::now()).await
    }
    .await;
    finish_form(FormId::Feed, "/account", Default::default(), outcome).await
}

/// Turns the person's calendar feed off: its address stops working.
#[server(endpoint = "stop_feed")]
pub async fn stop_feed() -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::feed;
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        feed::stop_feed(&state, &viewer).await
    }
    .await;
    finish_form(FormId::Feed, "/account", Default::default(), outcome).await
}

/// `password` is the new password, `repeat` the same again.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: Password,
    password: Password,
    repeat: Password,
) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::change_own_password;

    use crate::server::app_state;
    let outcome = async {
        let state = app_state()?;
        change_own_password(
            &state,
            &*context::viewer()?,
            &context::session().await?,
            current,
            password,
            repeat,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_form(FormId::Password, "/account", Default::default(), outcome).await
}

#[server(input = GetUrl, endpoint = "load_admin_users")]
pub async fn load_admin_users() -> Result<AdminUsersView, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::accounts;
    with_status(
        async {
            let viewer = context::viewer()?;
            viewer.require_admin()?;
            accounts::users_view(&app_state()?, &viewer, context::take_flash().await?).await
        }
        .await,
    )
}

#[server(endpoint = "create_user")]
pub async fn create_user(
    email: String,
    name: String,
    role: Role,
    customer: OptionalId,
    password: Password,
) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::{UserInput, create_user};

    use crate::server::app_state;
    let input = UserInput {
        email: &email,
        name: &name,
        role,
        customer: customer.0,
    };
    let outcome = async {
        create_user(
            &app_state()?,
            &*context::viewer()?,
            &input,
            password,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let customer = customer.text();
    let values = Kept::of(&[
        (Field::Email, &email),
        (Field::Name, &name),
        (Field::Role, role.key()),
        (Field::Customer, &customer),
    ]);
    finish_form(FormId::NewUser, "/admin/users", values, outcome).await
}

#[server(endpoint = "change_role")]
pub async fn change_role(user: i64, role: Role, customer: OptionalId) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::change_role;

    use crate::server::app_state;
    let outcome = async {
        change_role(
            &app_state()?,
            &*context::viewer()?,
            &context::session().await?,
            user,
            role,
            customer.0,
        )
        .await
    }
    .await;
    let customer = customer.text();
    let values = Kept::of(&[(Field::Role, role.key()), (Field::Customer, &customer)]);
    finish_form(FormId::User(user), "/admin/users", values, outcome).await
}

/// `disabled`: true disables the account, false enables it again.
#[server(endpoint = "set_user_disabled")]
pub async fn set_user_disabled(user: i64, disabled: bool) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::set_disabled;

    use crate::server::app_state;
    let outcome = async {
        set_disabled(
            &app_state()?,
            &*context::viewer()?,
            user,
            disabled,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_form(
        FormId::User(user),
        "/admin/users",
        Default::default(),
        outcome,
    )
    .await
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(user: i64, password: Password) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::reset_password;

    use crate::server::app_state;
    let outcome = async {
        reset_password(
            &app_state()?,
            &*context::viewer()?,
            &context::session().await?,
            user,
            password,
        )
        .await
    }
    .await;
    finish_form(
        FormId::User(user),
        "/admin/users",
        Default::default(),
        outcome,
    )
    .await
}

#[server(input = GetUrl, endpoint = "load_admin_customers")]
pub async fn load_admin_customers() -> Result<AdminCustomersView, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::accounts;
    with_status(
        async {
            let viewer = context::viewer()?;
            viewer.require_admin()?;
            accounts::customers_view(&app_state()?, &viewer, context::take_flash().await?).await
        }
        .await,
    )
}

#[server(input = GetUrl, endpoint = "load_admin_customer")]
pub async fn load_admin_customer(id: i64) -> Result<AdminCustomerView, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::accounts;
    with_status(
        async {
            let viewer = context::viewer()?;
            viewer.require_admin()?;
            accounts::customer_view(&app_state()?, &viewer, id, context::take_flash().await?).await
        }
        .await,
    )
}

#[server(endpoint = "create_customer")]
pub async fn create_customer(
    name: String,
    aura_customer_id: String,
    default_timezone: String,
) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::{CustomerInput, create_customer};

    use crate::server::app_state;
    let input = CustomerInput {
        name: &name,
        aura_customer_id: &aura_customer_id,
        default_timezone: &default_timezone,
    };
    let outcome = async {
        create_customer(
            &app_state()?,
            &*context::viewer()?,
            &input,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let values = input.kept();
    finish_form(FormId::NewCustomer, "/admin/customers", values, outcome).await
}

#[server(endpoint = "update_customer")]
pub async fn update_customer(
    customer: i64,
    name: String,
    aura_customer_id: String,
    default_timezone: String,
) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::{CustomerInput, update_customer};

    use crate::server::app_state;
    let input = CustomerInput {
        name: &name,
        aura_customer_id: &aura_customer_id,
        default_timezone: &default_timezone,
    };
    let outcome =
        async { update_customer(&app_state()?, &*context::viewer()?, customer, &input).await }
            .await;
    let values = input.kept();
    let back = format!("/admin/customers/{customer}");
    finish_form(FormId::Customer, &back, values, outcome).await
}

/// `manager` may be left on the empty choice (and is then asked for).
#[server(endpoint = "assign_manager")]
pub async fn assign_manager(customer: i64, manager: OptionalId) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::assign_manager;

    use crate::server::app_state;
    let outcome =
        async { assign_manager(&app_state()?, &*context::viewer()?, customer, manager.0).await }
            .await;
    let back = format!("/admin/customers/{customer}");
    let manager = manager.text();
    finish_form(
        FormId::Assign,
        &back,
        Kept::of(&[(Field::Manager, &manager)]),
        outcome,
    )
    .await
}

#[server(endpoint = "unassign_manager")]
pub async fn unassign_manager(customer: i64, manager: i64) -> Result<(), ApiError> {
    use crate::server::forms::finish_form;
    use backend::accounts::unassign_manager;

    use crate::server::app_state;
    let outcome =
        async { unassign_manager(&app_state()?, &*context::viewer()?, customer, manager).await }
            .await;
    let back = format!("/admin/customers/{customer}");
    finish_form(FormId::Assign, &back, Default::default(), outcome).await
}
