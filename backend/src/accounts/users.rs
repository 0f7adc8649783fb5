//! What administrators manage of users: new users, roles, disabling, password resets.

use chrono::{DateTime, Utc};

use tower_sessions::Session;

use crate::auth::{self, Viewer, hash_password};
use crate::db::{self, CustomerRow, DbError, NewUser, Unique, UserRow};
use crate::error::ServerError;
use crate::forms::{Done, checked};
use crate::state::AppState;
use crate::throttle::SignInLimiter;
use domain::error::AppError;
use domain::model::{AdminUsersView, CustomerOption, FormFlash, Outcome, Role, UserListItem};
use domain::{
    Field, FieldErrors, Password, Violation, check_email, check_new_password, check_required,
};

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
    password: Password,
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
    checked(&mut errors, check_new_password(password.expose()));
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
        Outcome::UserAdded {
            name,
            email,
            role: input.role,
        },
    ))
}

/// Changing one's own password or role ends one's other sessions, not this one: it is renewed under
/// the new grant.
pub(super) async fn keep_own_session(
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

pub(super) async fn existing_user(state: &AppState, user_id: i64) -> Result<UserRow, ServerError> {
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
        Outcome::RoleChanged {
            name: user.name,
            role,
        },
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
            Outcome::UserDisabled { name: user.name }
        } else {
            Outcome::UserEnabled { name: user.name }
        },
    ))
}

pub async fn reset_password(
    state: &AppState,
    viewer: &Viewer,
    session: &Session,
    user_id: i64,
    password: Password,
) -> Result<Done, ServerError> {
    viewer.require_admin()?;
    let user = existing_user(state, user_id).await?;
    check_new_password(password.expose())?;
    let hash = hash_password(password).await?;
    db::set_password(&state.db, user.id, &hash).await?;
    // The sign-in page tells a locked-out person to ask for a reset: the reset lifts the lock.
    SignInLimiter::lift(&state.db, &user.email, user.id).await?;
    keep_own_session(state, viewer, session, user.id).await?;
    tracing::info!(by = viewer.user_id, user = user.id, "password reset");
    Ok(Done::to(
        "/admin/users",
        Outcome::PasswordReset { name: user.name },
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
