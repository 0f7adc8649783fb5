//! Signing in and out, the customer switcher, and what administrators manage: users, customers,
//! sites and account-manager assignments. Forms here are plain HTML forms (no browser code): each
//! submit ends in a redirect, with problems and typed values kept for the page in a flash.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::auth::{
    self, Viewer, accepts_html, hash_password, new_password_problem, password_matches, set_flash,
};
use super::db::{self, CustomerRow, CustomerWriteError, NewSite, NewUser, UserWriteError};
use super::present::{zone, zone_names};
use super::state::{AppState, with_status};
use crate::error::AppError;
use crate::model::{
    AdminCustomerView, AdminCustomersView, AdminUsersView, CustomerListItem, CustomerOption,
    FormFlash, ManagerOption, Role, SiteView, UserListItem,
};

/// Where a successful submit goes, and what to tell the person there.
pub struct Done {
    pub redirect: String,
    pub success: Option<String>,
}

impl Done {
    fn to(redirect: impl Into<String>, success: impl Into<String>) -> Done {
        Done {
            redirect: redirect.into(),
            success: Some(success.into()),
        }
    }
}

/// Ends a form submit. A browser's plain form post is always redirected: to the result, or back to
/// the form with the problems and what was typed (never passwords); signed-out people go to the
/// sign-in page. Other callers get the error itself with its HTTP status.
pub async fn finish_form(
    form: &str,
    back: &str,
    values: BTreeMap<String, String>,
    outcome: Result<Done, AppError>,
) -> Result<(), AppError> {
    let html = accepts_html();
    match outcome {
        Ok(done) => {
            if let Some(success) = done.success {
                let flash = FormFlash {
                    form: form.into(),
                    success: Some(success),
                    ..FormFlash::default()
                };
                set_flash(&auth::session().await?, &flash).await?;
            }
            leptos_axum::redirect(&done.redirect);
            Ok(())
        }
        Err(AppError::Unauthorized) if html => {
            leptos_axum::redirect("/sign-in");
            Ok(())
        }
        Err(e) if html => {
            let (errors, notice) = match e {
                AppError::InvalidForm(errors) => (errors, None),
                other => (BTreeMap::new(), Some(other.to_string())),
            };
            let flash = FormFlash {
                form: form.into(),
                values,
                errors,
                notice,
                success: None,
            };
            set_flash(&auth::session().await?, &flash).await?;
            leptos_axum::redirect(back);
            Ok(())
        }
        Err(e) => with_status(Err(e)),
    }
}

/// Collects field problems; `Err` if there were any.
#[derive(Default)]
struct Problems(BTreeMap<String, String>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidForm(self.0))
        }
    }

    fn only(field: &str, message: impl Into<String>) -> AppError {
        let mut p = Problems::default();
        p.add(field, message);
        AppError::InvalidForm(p.0)
    }
}

fn required(p: &mut Problems, field: &str, value: &str, what: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        p.add(field, format!("Enter {what}."));
    } else if value.chars().count() > max {
        p.add(field, format!("Keep {what} to {max} characters."));
    }
    value.to_string()
}

/// One `@`, something before it, a dotted domain after it, no spaces: the mistakes people make.
pub fn email_looks_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
}

fn parse_email(p: &mut Problems, email: &str) -> String {
    let email = required(p, "email", email, "an email address", 254);
    if !email.is_empty() && !email_looks_valid(&email) {
        p.add("email", "Enter an email address like name@example.com.");
    }
    email
}

fn parse_id(p: &mut Problems, field: &str, value: &str, what: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() {
        p.add(field, format!("Choose {what}."));
        return None;
    }
    match value.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            p.add(field, format!("Choose {what} from the list."));
            None
        }
    }
}

fn parse_zone(p: &mut Problems, field: &str, value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        p.add(field, "Choose a time zone, e.g. Europe/London.");
    } else if zone(value).is_none() {
        p.add(
            field,
            format!("\"{value}\" is not a time zone we know; pick one from the list."),
        );
    }
    value.to_string()
}

// --- Signing in ----------------------------------------------------------------------------------

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
    email: &str,
    password: String,
    next: &str,
    address: &str,
    now: Instant,
) -> Result<Done, AppError> {
    let email = email.trim();
    let mut p = Problems::default();
    if email.is_empty() {
        p.add("email", "Enter your email address.");
    }
    if password.is_empty() {
        p.add("password", "Enter your password.");
    }
    p.into_result()?;
    if let Err(wait) = state.sign_in_limiter.begin(email, address, now) {
        tracing::warn!(%address, "sign-in throttled");
        return Err(AppError::TooManyAttempts(format!(
            "Too many failed sign-ins for this account or from this network. Wait {} and try again, or ask an administrator to reset your password.",
            minutes_label(wait)
        )));
    }
    let user = db::user_by_email(&state.pool, email).await?;
    let matches = password_matches(password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match user {
        Some(u) if matches && u.disabled_at.is_none() => u,
        _ => {
            tracing::info!(%address, "sign-in refused");
            return Err(AppError::Forbidden(SIGN_IN_REFUSED.into()));
        }
    };
    state.sign_in_limiter.succeeded(email, address, now);
    auth::start_session(&auth::session().await?, &user).await?;
    tracing::info!(user = user.id, "signed in");
    Ok(Done {
        redirect: auth::local_path(next),
        success: None,
    })
}

pub async fn sign_out() -> Result<Done, AppError> {
    auth::end_session(&auth::session().await?).await?;
    Ok(Done::to("/sign-in", "You are signed out."))
}

/// The customer switcher: one customer (views and bookings are for it) or all (`""`).
pub async fn switch_customer(
    viewer: &Viewer,
    customer: &str,
    back: &str,
) -> Result<Done, AppError> {
    let chosen = match customer.trim() {
        "" => None,
        id => {
            let id = id
                .parse()
                .map_err(|_| AppError::NotFound("No such customer.".into()))?;
            Some(viewer.customer(id)?.id)
        }
    };
    auth::select_customer(&auth::session().await?, chosen).await?;
    Ok(Done {
        redirect: auth::local_path(back),
        success: None,
    })
}

// --- Users ---------------------------------------------------------------------------------------

/// The form of a new or changed user, as typed.
pub struct UserInput<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub customer: &'a str,
}

fn parse_role(p: &mut Problems, role: &str, customer: &str) -> (Option<Role>, Option<i64>) {
    let Some(role) = Role::from_key(role) else {
        p.add("role", "Choose a role.");
        return (None, None);
    };
    let customer = if role == Role::Customer {
        parse_id(
            p,
            "customer",
            customer,
            "the customer this person belongs to",
        )
    } else {
        None
    };
    (Some(role), customer)
}

fn user_write_problem(e: UserWriteError) -> AppError {
    match e {
        UserWriteError::EmailTaken => {
            Problems::only("email", "An account with this email exists already.")
        }
        UserWriteError::NoSuchCustomer => {
            Problems::only("customer", "That customer does not exist any more.")
        }
        UserWriteError::Db(e) => e.into(),
    }
}

pub async fn create_user(
    state: &AppState,
    viewer: &Viewer,
    input: &UserInput<'_>,
    password: String,
    now: DateTime<Utc>,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let mut p = Problems::default();
    let email = parse_email(&mut p, input.email);
    let name = required(&mut p, "name", input.name, "a name", 100);
    let (role, customer_id) = parse_role(&mut p, input.role, input.customer);
    if let Some(problem) = new_password_problem(&password) {
        p.add("password", problem);
    }
    p.into_result()?;
    let role = role.ok_or(AppError::Internal)?;
    let hash = hash_password(password).await?;
    let new = NewUser {
        email: &email,
        name: &name,
        password_hash: &hash,
        role,
        customer_id,
    };
    db::insert_user(&state.pool, &new, now)
        .await
        .map_err(user_write_problem)?;
    tracing::info!(by = viewer.user_id, role = role.key(), "user created");
    Ok(Done::to(
        "/admin/users",
        format!(
            "{name} ({email}) can now sign in as {}.",
            role.label().to_lowercase()
        ),
    ))
}

/// Changing one's own password or role ends one's other sessions, not this one: it is renewed under
/// the new grant.
async fn keep_own_session(state: &AppState, viewer: &Viewer, user_id: i64) -> Result<(), AppError> {
    if user_id != viewer.user_id {
        return Ok(());
    }
    let me = db::user_by_id(&state.pool, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    auth::start_session(&auth::session().await?, &me).await
}

async fn existing_user(state: &AppState, user_id: &str) -> Result<db::UserRow, AppError> {
    let id = user_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound("No such user.".into()))?;
    db::user_by_id(&state.pool, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such user.".into()))
}

pub async fn change_role(
    state: &AppState,
    viewer: &Viewer,
    user_id: &str,
    role: &str,
    customer: &str,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    let mut p = Problems::default();
    let (role, customer_id) = parse_role(&mut p, role, customer);
    p.into_result()?;
    let role = role.ok_or(AppError::Internal)?;
    if user.id == viewer.user_id && role != Role::Admin {
        return Err(AppError::Conflict(
            "You cannot take away your own administrator role; ask another administrator.".into(),
        ));
    }
    db::set_user_role(&state.pool, user.id, role, customer_id)
        .await
        .map_err(user_write_problem)?;
    keep_own_session(state, viewer, user.id).await?;
    tracing::info!(
        by = viewer.user_id,
        user = user.id,
        role = role.key(),
        "role changed"
    );
    Ok(Done::to(
        "/admin/users",
        format!("{} is now {}.", user.name, role.label().to_lowercase()),
    ))
}

pub async fn set_disabled(
    state: &AppState,
    viewer: &Viewer,
    user_id: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    if user.id == viewer.user_id && disabled {
        return Err(AppError::Conflict(
            "You cannot disable your own account.".into(),
        ));
    }
    db::set_user_disabled(&state.pool, user.id, disabled, now).await?;
    tracing::info!(
        by = viewer.user_id,
        user = user.id,
        disabled,
        "account access changed"
    );
    Ok(Done::to(
        "/admin/users",
        if disabled {
            format!("{} is disabled and signed out everywhere.", user.name)
        } else {
            format!("{} can sign in again.", user.name)
        },
    ))
}

pub async fn reset_password(
    state: &AppState,
    viewer: &Viewer,
    user_id: &str,
    password: String,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    if let Some(problem) = new_password_problem(&password) {
        return Err(Problems::only("password", problem));
    }
    let hash = hash_password(password).await?;
    db::set_password(&state.pool, user.id, &hash).await?;
    keep_own_session(state, viewer, user.id).await?;
    tracing::info!(by = viewer.user_id, user = user.id, "password reset");
    Ok(Done::to(
        "/admin/users",
        format!(
            "{} has a new password; their other sessions are signed out.",
            user.name
        ),
    ))
}

/// Anyone signed in changes their own password: the current one first (throttled like sign-in, so
/// a left-open session cannot be used to guess it), then the new one twice.
pub async fn change_own_password(
    state: &AppState,
    viewer: &Viewer,
    current: String,
    new: String,
    repeated: &str,
    address: &str,
    now: Instant,
) -> Result<Done, AppError> {
    let mut p = Problems::default();
    if current.is_empty() {
        p.add("current", "Enter your current password.");
    }
    if let Some(problem) = new_password_problem(&new) {
        p.add("password", problem);
    } else if new != repeated {
        p.add(
            "repeat",
            "The two new passwords differ; type the same one twice.",
        );
    }
    p.into_result()?;
    if let Err(wait) = state.sign_in_limiter.begin(&viewer.email, address, now) {
        return Err(AppError::TooManyAttempts(format!(
            "Too many wrong passwords. Wait {} and try again.",
            minutes_label(wait)
        )));
    }
    let me = db::user_by_id(&state.pool, viewer.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !password_matches(current, Some(me.password_hash.clone())).await {
        return Err(Problems::only(
            "current",
            "That is not your current password.",
        ));
    }
    state.sign_in_limiter.succeeded(&viewer.email, address, now);
    let hash = hash_password(new).await?;
    db::set_password(&state.pool, me.id, &hash).await?;
    keep_own_session(state, viewer, me.id).await?;
    tracing::info!(user = me.id, "password changed by its owner");
    Ok(Done::to(
        "/account",
        "Your password is changed. Your other sessions are signed out.",
    ))
}

pub async fn users_view(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<FormFlash>,
) -> Result<AdminUsersView, AppError> {
    viewer.require_admin()?;
    let assignments = db::all_assignments(&state.pool).await?;
    let users = db::all_users(&state.pool)
        .await?
        .into_iter()
        .map(|u| {
            Ok(UserListItem {
                id: u.id,
                role: u.role()?,
                looks_after: assignments
                    .iter()
                    .filter(|(user, _, _)| *user == u.id)
                    .map(|(_, _, name)| name.clone())
                    .collect(),
                email: u.email,
                name: u.name,
                customer_id: u.customer_id,
                customer: u.customer_name,
                disabled: u.disabled_at.is_some(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(AdminUsersView {
        users,
        customers: customer_options(&db::all_customers(&state.pool).await?),
        flash,
    })
}

fn customer_options(customers: &[CustomerRow]) -> Vec<CustomerOption> {
    customers.iter().map(CustomerOption::from).collect()
}

// --- Customers, sites, assignments ---------------------------------------------------------------

pub struct CustomerInput<'a> {
    pub name: &'a str,
    pub aura_customer_id: &'a str,
    pub default_timezone: &'a str,
}

fn parse_customer(input: &CustomerInput<'_>) -> Result<(String, i64, String), AppError> {
    let mut p = Problems::default();
    let name = required(&mut p, "name", input.name, "the customer's name", 100);
    let aura_id = match input.aura_customer_id.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            p.add(
                "aura_customer_id",
                "Enter the customer's AURA customerId: a whole number, e.g. 178921.",
            );
            0
        }
    };
    let zone = parse_zone(&mut p, "default_timezone", input.default_timezone);
    p.into_result()?;
    Ok((name, aura_id, zone))
}

fn customer_write_problem(e: CustomerWriteError) -> AppError {
    match e {
        CustomerWriteError::AuraIdTaken => Problems::only(
            "aura_customer_id",
            "Another customer already has this AURA customerId.",
        ),
        CustomerWriteError::Db(e) => e.into(),
    }
}

pub async fn create_customer(
    state: &AppState,
    viewer: &Viewer,
    input: &CustomerInput<'_>,
    now: DateTime<Utc>,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let (name, aura_id, zone) = parse_customer(input)?;
    let customer = db::insert_customer(&state.pool, &name, aura_id, &zone, now)
        .await
        .map_err(customer_write_problem)?;
    tracing::info!(
        by = viewer.user_id,
        customer = customer.id,
        "customer created"
    );
    Ok(Done::to(
        format!("/admin/customers/{}", customer.id),
        format!("{name} is added. Add its sites and assign an account manager below."),
    ))
}

fn customer_id_of(viewer: &Viewer, id: &str) -> Result<i64, AppError> {
    let id = id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound("No such customer.".into()))?;
    Ok(viewer.customer(id)?.id)
}

pub async fn update_customer(
    state: &AppState,
    viewer: &Viewer,
    customer_id: &str,
    input: &CustomerInput<'_>,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let id = customer_id_of(viewer, customer_id)?;
    let (name, aura_id, zone) = parse_customer(input)?;
    db::update_customer(&state.pool, id, &name, aura_id, &zone)
        .await
        .map_err(customer_write_problem)?;
    Ok(Done::to(
        format!("/admin/customers/{id}"),
        format!("{name} is saved."),
    ))
}

pub struct SiteInput<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub latitude: &'a str,
    pub longitude: &'a str,
    pub timezone: &'a str,
}

fn parse_coordinate(p: &mut Problems, field: &str, value: &str, limit: f64) -> Option<f64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Some(v),
        _ => {
            p.add(
                field,
                format!("Enter a number between -{limit} and {limit}, e.g. 51.5034."),
            );
            None
        }
    }
}

pub async fn add_site(
    state: &AppState,
    viewer: &Viewer,
    customer_id: &str,
    input: &SiteInput<'_>,
    now: DateTime<Utc>,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let id = customer_id_of(viewer, customer_id)?;
    let mut p = Problems::default();
    let name = required(&mut p, "name", input.name, "the site's name", 100);
    let address = input.address.trim();
    if address.chars().count() > 300 {
        p.add("address", "Keep the address to 300 characters.");
    }
    let lat = parse_coordinate(&mut p, "latitude", input.latitude, 90.0);
    let lon = parse_coordinate(&mut p, "longitude", input.longitude, 180.0);
    if lat.is_some() != lon.is_some() && !p.0.contains_key("latitude") {
        p.add("latitude", "Give both latitude and longitude, or neither.");
    }
    if address.is_empty() && lat.is_none() && !p.0.contains_key("latitude") {
        p.add("address", "Give an address, coordinates, or both.");
    }
    let zone = parse_zone(&mut p, "timezone", input.timezone);
    p.into_result()?;
    let site = NewSite {
        customer_id: id,
        name: &name,
        address: (!address.is_empty()).then_some(address),
        coordinates: lat.zip(lon),
        timezone: &zone,
    };
    match db::insert_site(&state.pool, &site, now).await {
        Ok(_) => Ok(Done::to(
            format!("/admin/customers/{id}"),
            format!("{name} is saved; it can be chosen when booking."),
        )),
        Err(e) if e.is_unique_violation("sites.") => Err(Problems::only(
            "name",
            "This customer already has a site with that name.",
        )),
        Err(e) => Err(e.into()),
    }
}

async fn manager(state: &AppState, user_id: &str) -> Result<db::UserRow, AppError> {
    let user = existing_user(state, user_id).await?;
    if user.role()? != Role::AccountManager {
        return Err(Problems::only(
            "manager",
            format!("{} is not an account manager.", user.name),
        ));
    }
    Ok(user)
}

pub async fn assign_manager(
    state: &AppState,
    viewer: &Viewer,
    customer_id: &str,
    user_id: &str,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let id = customer_id_of(viewer, customer_id)?;
    if user_id.trim().is_empty() {
        return Err(Problems::only("manager", "Choose an account manager."));
    }
    let user = manager(state, user_id).await?;
    db::assign_customer(&state.pool, user.id, id).await?;
    Ok(Done::to(
        format!("/admin/customers/{id}"),
        format!("{} now looks after this customer.", user.name),
    ))
}

pub async fn unassign_manager(
    state: &AppState,
    viewer: &Viewer,
    customer_id: &str,
    user_id: &str,
) -> Result<Done, AppError> {
    viewer.require_admin()?;
    let id = customer_id_of(viewer, customer_id)?;
    let user = manager(state, user_id).await?;
    db::unassign_customer(&state.pool, user.id, id).await?;
    Ok(Done::to(
        format!("/admin/customers/{id}"),
        format!("{} no longer looks after this customer.", user.name),
    ))
}

pub async fn customers_view(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<FormFlash>,
) -> Result<AdminCustomersView, AppError> {
    viewer.require_admin()?;
    let counts = db::customer_counts(&state.pool).await?;
    let assignments = db::all_assignments(&state.pool).await?;
    let managers = db::account_managers(&state.pool).await?;
    let customers = db::all_customers(&state.pool)
        .await?
        .into_iter()
        .map(|c| {
            let (sites, users) = counts
                .iter()
                .find(|(id, _, _)| *id == c.id)
                .map(|(_, s, u)| (*s, *u))
                .unwrap_or((0, 0));
            CustomerListItem {
                managers: assignments
                    .iter()
                    .filter(|(_, customer, _)| *customer == c.id)
                    .filter_map(|(user, _, _)| managers.iter().find(|m| m.id == *user))
                    .map(|m| m.name.clone())
                    .collect(),
                id: c.id,
                name: c.name,
                aura_customer_id: c.aura_customer_id,
                default_timezone: c.default_timezone,
                sites: usize::try_from(sites).unwrap_or(0),
                users: usize::try_from(users).unwrap_or(0),
            }
        })
        .collect();
    Ok(AdminCustomersView {
        customers,
        time_zones: zone_names(),
        flash,
    })
}

pub async fn customer_view(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    flash: Option<FormFlash>,
) -> Result<AdminCustomerView, AppError> {
    viewer.require_admin()?;
    let customer = viewer.customer(customer_id)?.clone();
    let sites = db::sites_for_customer(&state.pool, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    let assigned: Vec<i64> = db::all_assignments(&state.pool)
        .await?
        .into_iter()
        .filter(|(_, c, _)| *c == customer.id)
        .map(|(u, _, _)| u)
        .collect();
    let (managers, other_managers): (Vec<_>, Vec<_>) = db::account_managers(&state.pool)
        .await?
        .into_iter()
        .map(|m| {
            (
                assigned.contains(&m.id),
                ManagerOption {
                    id: m.id,
                    name: m.name,
                    email: m.email,
                },
            )
        })
        .partition(|(is_assigned, _)| *is_assigned);
    Ok(AdminCustomerView {
        id: customer.id,
        name: customer.name,
        aura_customer_id: customer.aura_customer_id,
        default_timezone: customer.default_timezone,
        sites,
        managers: managers.into_iter().map(|(_, m)| m).collect(),
        other_managers: other_managers.into_iter().map(|(_, m)| m).collect(),
        time_zones: zone_names(),
        flash,
    })
}

/// Keeps what a form sent, minus secrets, for the redirect back.
pub fn kept(values: &[(&str, &str)]) -> BTreeMap<String, String> {
    values
        .iter()
        .filter(|(k, _)| !k.contains("password"))
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}
