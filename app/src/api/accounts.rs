//! Server functions for signing in, the customer switcher and administration. The mutations take
//! plain form fields (strings, as a browser sends them) so they work from HTML forms without any
//! browser code; each ends in a redirect (see `server::accounts::finish_form`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{
    AccountView, AdminCustomerView, AdminCustomersView, AdminUsersView, SignInView,
};

/// The administrators' page of a customer, for redirects (only a number goes into the path).
#[cfg(feature = "ssr")]
fn customer_page(customer: &str) -> String {
    match customer.trim().parse::<i64>() {
        Ok(id) => format!("/admin/customers/{id}"),
        Err(_) => "/admin/customers".into(),
    }
}

#[server(input = GetUrl)]
pub async fn load_sign_in() -> Result<SignInView, AppError> {
    use crate::server::{auth, with_status};
    with_status(
        async {
            Ok(SignInView {
                flash: auth::take_flash().await?,
            })
        }
        .await,
    )
}

#[server]
pub async fn sign_in(email: String, password: String, next: String) -> Result<(), AppError> {
    use crate::server::accounts::{finish_form, kept, sign_in};
    use crate::server::{app_state, auth};
    let outcome = async {
        let state = app_state()?;
        let address = auth::client_address(&state.security).await;
        sign_in(
            &state,
            &email,
            password,
            &next,
            &address,
            std::time::Instant::now(),
        )
        .await
    }
    .await;
    let back = format!(
        "/sign-in?next={}",
        auth::url_encode(&auth::local_path(&next))
    );
    finish_form(
        "sign-in",
        &back,
        kept(&[("email", &email), ("next", &next)]),
        outcome,
    )
    .await
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::accounts::{finish_form, sign_out};
    finish_form("sign-in", "/sign-in", Default::default(), sign_out().await).await
}

/// `customer` is a customer id, or empty for all of the viewer's customers.
#[server]
pub async fn switch_customer(customer: String, back: String) -> Result<(), AppError> {
    use crate::server::accounts::{finish_form, switch_customer};
    use crate::server::auth;
    let outcome = async { switch_customer(&*auth::viewer()?, &customer, &back).await }.await;
    finish_form(
        "switcher",
        &auth::local_path(&back),
        Default::default(),
        outcome,
    )
    .await
}

#[server(input = GetUrl)]
pub async fn load_account() -> Result<AccountView, AppError> {
    use crate::server::{auth, with_status};
    with_status(
        async {
            let viewer = auth::viewer()?;
            Ok(AccountView {
                session: viewer.session_view(),
                flash: auth::take_flash().await?,
            })
        }
        .await,
    )
}

/// `password` is the new password, `repeat` the same again.
#[server]
pub async fn change_password(
    current: String,
    password: String,
    repeat: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{change_own_password, finish_form};
    use crate::server::{app_state, auth};
    let outcome = async {
        let state = app_state()?;
        let address = auth::client_address(&state.security).await;
        change_own_password(
            &state,
            &*auth::viewer()?,
            current,
            password,
            &repeat,
            &address,
            std::time::Instant::now(),
        )
        .await
    }
    .await;
    finish_form("password", "/account", Default::default(), outcome).await
}

#[server(input = GetUrl)]
pub async fn load_admin_users() -> Result<AdminUsersView, AppError> {
    use crate::server::{accounts, app_state, auth, with_status};
    with_status(
        async {
            let viewer = auth::viewer()?;
            viewer.require_admin()?;
            accounts::users_view(&app_state()?, &viewer, auth::take_flash().await?).await
        }
        .await,
    )
}

#[server]
pub async fn create_user(
    email: String,
    name: String,
    role: String,
    customer: String,
    password: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{UserInput, create_user, finish_form, kept};
    use crate::server::{app_state, auth};
    let input = UserInput {
        email: &email,
        name: &name,
        role: &role,
        customer: &customer,
    };
    let outcome = async {
        create_user(
            &app_state()?,
            &*auth::viewer()?,
            &input,
            password,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let values = kept(&[
        ("email", &email),
        ("name", &name),
        ("role", &role),
        ("customer", &customer),
    ]);
    finish_form("new-user", "/admin/users", values, outcome).await
}

#[server]
pub async fn change_role(user: String, role: String, customer: String) -> Result<(), AppError> {
    use crate::server::accounts::{change_role, finish_form, kept};
    use crate::server::{app_state, auth};
    let outcome =
        async { change_role(&app_state()?, &*auth::viewer()?, &user, &role, &customer).await }
            .await;
    let values = kept(&[("role", &role), ("customer", &customer)]);
    finish_form(&format!("user-{user}"), "/admin/users", values, outcome).await
}

/// `disabled` is "true" to disable the account, anything else to enable it.
#[server]
pub async fn set_user_disabled(user: String, disabled: String) -> Result<(), AppError> {
    use crate::server::accounts::{finish_form, set_disabled};
    use crate::server::{app_state, auth};
    let outcome = async {
        set_disabled(
            &app_state()?,
            &*auth::viewer()?,
            &user,
            disabled == "true",
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_form(
        &format!("user-{user}"),
        "/admin/users",
        Default::default(),
        outcome,
    )
    .await
}

#[server]
pub async fn reset_password(user: String, password: String) -> Result<(), AppError> {
    use crate::server::accounts::{finish_form, reset_password};
    use crate::server::{app_state, auth};
    let outcome =
        async { reset_password(&app_state()?, &*auth::viewer()?, &user, password).await }.await;
    finish_form(
        &format!("user-{user}"),
        "/admin/users",
        Default::default(),
        outcome,
    )
    .await
}

#[server(input = GetUrl)]
pub async fn load_admin_customers() -> Result<AdminCustomersView, AppError> {
    use crate::server::{accounts, app_state, auth, with_status};
    with_status(
        async {
            let viewer = auth::viewer()?;
            viewer.require_admin()?;
            accounts::customers_view(&app_state()?, &viewer, auth::take_flash().await?).await
        }
        .await,
    )
}

#[server(input = GetUrl)]
pub async fn load_admin_customer(id: i64) -> Result<AdminCustomerView, AppError> {
    use crate::server::{accounts, app_state, auth, with_status};
    with_status(
        async {
            let viewer = auth::viewer()?;
            viewer.require_admin()?;
            accounts::customer_view(&app_state()?, &viewer, id, auth::take_flash().await?).await
        }
        .await,
    )
}

#[server]
pub async fn create_customer(
    name: String,
    aura_customer_id: String,
    default_timezone: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{CustomerInput, create_customer, finish_form, kept};
    use crate::server::{app_state, auth};
    let input = CustomerInput {
        name: &name,
        aura_customer_id: &aura_customer_id,
        default_timezone: &default_timezone,
    };
    let outcome = async {
        create_customer(&app_state()?, &*auth::viewer()?, &input, chrono::Utc::now()).await
    }
    .await;
    let values = kept(&[
        ("name", &name),
        ("aura_customer_id", &aura_customer_id),
        ("default_timezone", &default_timezone),
    ]);
    finish_form("new-customer", "/admin/customers", values, outcome).await
}

#[server]
pub async fn update_customer(
    customer: String,
    name: String,
    aura_customer_id: String,
    default_timezone: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{CustomerInput, finish_form, kept, update_customer};
    use crate::server::{app_state, auth};
    let input = CustomerInput {
        name: &name,
        aura_customer_id: &aura_customer_id,
        default_timezone: &default_timezone,
    };
    let outcome =
        async { update_customer(&app_state()?, &*auth::viewer()?, &customer, &input).await }.await;
    let values = kept(&[
        ("name", &name),
        ("aura_customer_id", &aura_customer_id),
        ("default_timezone", &default_timezone),
    ]);
    let back = customer_page(&customer);
    finish_form("customer", &back, values, outcome).await
}

#[server]
pub async fn add_site(
    customer: String,
    name: String,
    address: String,
    latitude: String,
    longitude: String,
    timezone: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{SiteInput, add_site, finish_form, kept};
    use crate::server::{app_state, auth};
    let input = SiteInput {
        name: &name,
        address: &address,
        latitude: &latitude,
        longitude: &longitude,
        timezone: &timezone,
    };
    let outcome = async {
        add_site(
            &app_state()?,
            &*auth::viewer()?,
            &customer,
            &input,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let values = kept(&[
        ("name", &name),
        ("address", &address),
        ("latitude", &latitude),
        ("longitude", &longitude),
        ("timezone", &timezone),
    ]);
    let back = customer_page(&customer);
    finish_form("new-site", &back, values, outcome).await
}

#[server]
pub async fn assign_manager(customer: String, manager: String) -> Result<(), AppError> {
    use crate::server::accounts::{assign_manager, finish_form, kept};
    use crate::server::{app_state, auth};
    let outcome =
        async { assign_manager(&app_state()?, &*auth::viewer()?, &customer, &manager).await }.await;
    let back = customer_page(&customer);
    finish_form("assign", &back, kept(&[("manager", &manager)]), outcome).await
}

#[server]
pub async fn unassign_manager(customer: String, manager: String) -> Result<(), AppError> {
    use crate::server::accounts::{finish_form, unassign_manager};
    use crate::server::{app_state, auth};
    let outcome =
        async { unassign_manager(&app_state()?, &*auth::viewer()?, &customer, &manager).await }
            .await;
    let back = customer_page(&customer);
    finish_form("assign", &back, Default::default(), outcome).await
}
