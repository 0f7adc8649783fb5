//! Signing in and out, the customer switcher, your own password, and what administrators manage:
//! users, customers, sites and account-manager assignments. Every form here is a plain HTML form
//! (see `forms`); inputs arrive typed except what a person types.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use tower_sessions::Session;

use super::auth::{self, Viewer, hash_password, password_matches};
use super::db::{self, CustomerFacts, CustomerRow, DbError, NewUser, Unique, UserRow};
use super::error::ServerError;
use super::forms::{Done, checked, kept, zone_at};
use super::state::AppState;
use super::throttle::{Begun, SignInLimiter};
use super::zone::zone_names;
use domain::error::AppError;
use domain::model::{
    AdminCustomerView, AdminCustomersView, AdminUsersView, CustomerListItem, CustomerOption,
    FormFlash, ManagerOption, Role, SiteView, UserListItem,
};
use domain::{
    Field, FieldErrors, MAX_AURA_CUSTOMER_ID, MAX_EMAIL_CHARS, PASSWORD_MAX_CHARS, Violation,
    check_email, check_new_password, check_required,
};

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
    session: &Session,
    email: &str,
    password: String,
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
    if password.is_empty() {
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
    if password.chars().count() > PASSWORD_MAX_CHARS {
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
    Ok(Done::to("/sign-in", "You are signed out."))
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
    current: String,
    new: String,
    repeated: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let mut errors = FieldErrors::default();
    if current.is_empty() {
        errors.add(Violation::Required {
            field: Field::CurrentPassword,
            what: "your current password".into(),
        });
    } else if current.chars().count() > PASSWORD_MAX_CHARS {
        errors.push(Field::CurrentPassword, &Violation::PasswordTooLong);
    }
    if checked(&mut errors, check_new_password(&new)).is_some() && new != repeated {
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
    keep_own_session(state, viewer, session, me.id).await?;
    tracing::info!(user = me.id, "password changed by its owner");
    Ok(Done::to(
        "/account",
        "Your password is changed. Your other sessions are signed out.",
    ))
}

// --- Users ---------------------------------------------------------------------------------------

/// The form of a new user, as sent.
pub struct UserInput<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub customer: Option<i64>,
}

/// The customer a role needs: exactly one for customer users, none for staff.
fn customer_for_role(role: Role, customer: Option<i64>) -> Result<Option<i64>, Violation> {
    match (role, customer) {
        (Role::Customer, None) => Err(Violation::NotChosen {
            field: Field::Customer,
            what: "the customer this person belongs to".into(),
        }),
        (Role::Customer, Some(id)) => Ok(Some(id)),
        (Role::AccountManager | Role::Admin, _) => Ok(None),
    }
}

/// The user-facing reading of a refused user write.
fn user_write_problem(e: DbError) -> ServerError {
    match e {
        DbError::Taken(Unique::UserEmail) => Violation::EmailTaken.into(),
        DbError::MissingReference => Violation::CustomerGone.into(),
        other => other.into(),
    }
}

pub async fn create_user(
    state: &AppState,
    viewer: &Viewer,
    input: &UserInput<'_>,
    password: String,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let mut errors = FieldErrors::default();
    let email = checked(&mut errors, check_email(input.email));
    let name = checked(
        &mut errors,
        check_required(Field::Name, input.name, "a name", 100),
    );
    let customer_id = checked(&mut errors, customer_for_role(input.role, input.customer));
    checked(&mut errors, check_new_password(&password));
    errors.into_result()?;
    let (Some(email), Some(name), Some(customer_id)) = (email, name, customer_id) else {
        return Err(ServerError::internal("validated user input went missing"));
    };
    let hash = hash_password(password).await?;
    let new = NewUser {
        email: &email,
        name: &name,
        password_hash: &hash,
        role: input.role,
        customer_id,
    };
    db::insert_user(&state.db, &new, now)
        .await
        .map_err(user_write_problem)?;
    tracing::info!(by = viewer.user_id, role = %input.role, "user created");
    Ok(Done::to(
        "/admin/users",
        format!(
            "{name} ({email}) can now sign in as {}.",
            input.role.label().to_lowercase()
        ),
    ))
}

/// Changing one's own password or role ends one's other sessions, not this one: it is renewed under
/// the new grant.
async fn keep_own_session(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    user_id: i64,
) -> Result<(), ServerError> {
    if user_id != viewer.user_id {
        return Ok(());
    }
    let me = db::user_by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    auth::start_session(session, &me).await
}

async fn existing_user(state: &AppState, user_id: i64) -> Result<UserRow, ServerError> {
    Ok(db::user_by_id(&state.db, user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such user.".into()))?)
}

pub async fn change_role(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    user_id: i64,
    role: Role,
    customer: Option<i64>,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    let customer_id = customer_for_role(role, customer)?;
    if user.id == viewer.user_id && role != Role::Admin {
        return Err(AppError::Conflict(
            "You cannot take away your own administrator role; ask another administrator.".into(),
        )
        .into());
    }
    db::set_user_role(&state.db, user.id, role, customer_id)
        .await
        .map_err(user_write_problem)?;
    keep_own_session(state, viewer, session, user.id).await?;
    tracing::info!(by = viewer.user_id, user = user.id, %role, "role changed");
    Ok(Done::to(
        "/admin/users",
        format!("{} is now {}.", user.name, role.label().to_lowercase()),
    ))
}

pub async fn set_disabled(
    state: &AppState,
    viewer: &Viewer,
    user_id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    if user.id == viewer.user_id && disabled {
        return Err(AppError::Conflict("You cannot disable your own account.".into()).into());
    }
    db::set_user_disabled(&state.db, user.id, disabled, now).await?;
    if !disabled {
        // Enabled again: whatever failed sign-ins were counted on the account are forgotten.
        SignInLimiter::lift(&state.db, &user.email, user.id).await?;
    }
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
    session: &Session,
    user_id: i64,
    password: String,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    check_new_password(&password)?;
    let hash = hash_password(password).await?;
    db::set_password(&state.db, user.id, &hash).await?;
    // The sign-in page tells a locked-out person to ask for a reset: the reset lifts the lock.
    SignInLimiter::lift(&state.db, &user.email, user.id).await?;
    keep_own_session(state, viewer, session, user.id).await?;
    tracing::info!(by = viewer.user_id, user = user.id, "password reset");
    Ok(Done::to(
        "/admin/users",
        format!(
            "{} has a new password; their other sessions are signed out.",
            user.name
        ),
    ))
}

pub async fn users_view(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<FormFlash>,
) -> Result<AdminUsersView, ServerError> {
    viewer.require_admin()?;
    let assignments = db::all_assignments(&state.db).await?;
    let users = db::all_users(&state.db)
        .await?
        .into_iter()
        .map(|u| UserListItem {
            id: u.id,
            role: u.role,
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
        .collect();
    Ok(AdminUsersView {
        users,
        customers: customer_options(&db::all_customers(&state.db).await?),
        flash,
    })
}

fn customer_options(customers: &[CustomerRow]) -> Vec<CustomerOption> {
    customers.iter().map(CustomerOption::from).collect()
}

// --- Customers, sites, assignments ---------------------------------------------------------------

/// The customer form as typed (the AURA id and zone are typed by a person, so they are text here).
pub struct CustomerInput<'a> {
    pub name: &'a str,
    pub aura_customer_id: &'a str,
    pub default_timezone: &'a str,
}

impl CustomerInput<'_> {
    /// What the form sent, kept for the redirect back to it.
    pub fn kept(&self) -> BTreeMap<String, String> {
        kept(&[
            ("name", self.name),
            ("aura_customer_id", self.aura_customer_id),
            ("default_timezone", self.default_timezone),
        ])
    }
}

/// AURA customer ids are whole numbers from 1 to [`MAX_AURA_CUSTOMER_ID`], written in digits.
fn check_aura_customer_id(text: &str) -> Result<i64, Violation> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Violation::AuraCustomerIdInvalid);
    }
    match text.parse::<i64>() {
        Ok(id) if (1..=MAX_AURA_CUSTOMER_ID).contains(&id) => Ok(id),
        _ => Err(Violation::AuraCustomerIdInvalid),
    }
}

fn parse_customer(input: &CustomerInput<'_>) -> Result<CustomerFacts, ServerError> {
    let mut errors = FieldErrors::default();
    let name = checked(
        &mut errors,
        check_required(Field::Name, input.name, "the customer's name", 100),
    );
    let aura_customer_id = checked(&mut errors, check_aura_customer_id(input.aura_customer_id));
    let zone = zone_at(&mut errors, Field::DefaultTimezone, input.default_timezone);
    errors.into_result()?;
    match (name, aura_customer_id, zone) {
        (Some(name), Some(aura_customer_id), Some(default_timezone)) => Ok(CustomerFacts {
            name,
            aura_customer_id,
            default_timezone,
        }),
        _ => Err(ServerError::internal(
            "validated customer input went missing",
        )),
    }
}

fn customer_write_problem(e: DbError) -> ServerError {
    match e {
        DbError::Taken(Unique::CustomerAuraId) => Violation::AuraCustomerIdTaken.into(),
        other => other.into(),
    }
}

pub async fn create_customer(
    state: &AppState,
    viewer: &Viewer,
    input: &CustomerInput<'_>,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let facts = parse_customer(input)?;
    let customer = db::insert_customer(&state.db, &facts, now)
        .await
        .map_err(customer_write_problem)?;
    tracing::info!(
        by = viewer.user_id,
        customer = customer.id,
        "customer created"
    );
    Ok(Done::to(
        format!("/admin/customers/{}", customer.id),
        format!(
            "{} is added. Add its sites and assign an account manager below.",
            customer.name
        ),
    ))
}

pub async fn update_customer(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    input: &CustomerInput<'_>,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let id = viewer.customer(customer_id)?.id;
    let facts = parse_customer(input)?;
    db::update_customer(&state.db, id, &facts)
        .await
        .map_err(customer_write_problem)?;
    Ok(Done::to(
        format!("/admin/customers/{id}"),
        format!("{} is saved.", facts.name),
    ))
}

async fn manager(state: &AppState, user_id: i64) -> Result<UserRow, ServerError> {
    let user = existing_user(state, user_id).await?;
    if user.role != Role::AccountManager {
        return Err(Violation::NotAnAccountManager(user.name).into());
    }
    Ok(user)
}

pub async fn assign_manager(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    user_id: Option<i64>,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let id = viewer.customer(customer_id)?.id;
    let Some(user_id) = user_id else {
        return Err(Violation::NotChosen {
            field: Field::Manager,
            what: "an account manager".into(),
        }
        .into());
    };
    let user = manager(state, user_id).await?;
    db::assign_customer(&state.db, user.id, id).await?;
    Ok(Done::to(
        format!("/admin/customers/{id}"),
        format!("{} now looks after this customer.", user.name),
    ))
}

pub async fn unassign_manager(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    user_id: i64,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let id = viewer.customer(customer_id)?.id;
    let user = manager(state, user_id).await?;
    db::unassign_customer(&state.db, user.id, id).await?;
    Ok(Done::to(
        format!("/admin/customers/{id}"),
        format!("{} no longer looks after this customer.", user.name),
    ))
}

pub async fn customers_view(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<FormFlash>,
) -> Result<AdminCustomersView, ServerError> {
    viewer.require_admin()?;
    let counts = db::customer_counts(&state.db).await?;
    let assignments = db::all_assignments(&state.db).await?;
    let managers = db::account_managers(&state.db).await?;
    let customers = db::all_customers(&state.db)
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
                default_timezone: c.default_timezone.name().to_string(),
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
) -> Result<AdminCustomerView, ServerError> {
    viewer.require_admin()?;
    let customer = viewer.customer(customer_id)?.clone();
    let sites = db::sites_for_customer(&state.db, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    let assigned: Vec<i64> = db::all_assignments(&state.db)
        .await?
        .into_iter()
        .filter(|(_, c, _)| *c == customer.id)
        .map(|(u, _, _)| u)
        .collect();
    let (managers, other_managers): (Vec<_>, Vec<_>) = db::account_managers(&state.db)
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
        default_timezone: customer.default_timezone.name().to_string(),
        sites,
        managers: managers.into_iter().map(|(_, m)| m).collect(),
        other_managers: other_managers.into_iter().map(|(_, m)| m).collect(),
        time_zones: zone_names(),
        flash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aura_customer_id_is_a_plain_number_in_range() {
        assert_eq!(check_aura_customer_id(" 178921 "), Ok(178_921));
        assert_eq!(check_aura_customer_id("1"), Ok(1));
        assert_eq!(
            check_aura_customer_id("2147483647"),
            Ok(MAX_AURA_CUSTOMER_ID)
        );
        for bad in [
            "",
            "0",
            "-5",
            "+5",
            "2147483648",
            "9223372036854775807",
            "1e3",
            "12 3",
            "١٢",
            "0x10",
        ] {
            assert_eq!(
                check_aura_customer_id(bad),
                Err(Violation::AuraCustomerIdInvalid),
                "{bad:?}"
            );
        }
    }
}
