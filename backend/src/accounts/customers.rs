//! What administrators manage of customers: their facts, and which account managers serve them.

use chrono::{DateTime, Utc};

use crate::auth::Viewer;
use crate::db::{self, CustomerFacts, DbError, Unique, UserRow};
use crate::error::ServerError;
use crate::forms::{Done, checked, zone_at};
use crate::state::AppState;
use crate::zone::zone_names;
use domain::model::{
    AdminCustomerView, AdminCustomersView, CustomerListItem, FormFlash, Kept, ManagerOption,
    Outcome, Role, SiteView,
};
use domain::{Field, FieldErrors, MAX_AURA_CUSTOMER_ID, Violation, check_required};

/// The customer form as typed (the AURA id and zone are typed by a person, so they are text here).
pub struct CustomerInput<'a> {
    pub name: &'a str,
    pub aura_customer_id: &'a str,
    pub default_timezone: &'a str,
}

impl CustomerInput<'_> {
    /// What the form sent, kept for the redirect back to it.
    pub fn kept(&self) -> Kept {
        Kept::of(&[
            (Field::Name, self.name),
            (Field::AuraCustomerId, self.aura_customer_id),
            (Field::DefaultTimezone, self.default_timezone),
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
        Outcome::CustomerAdded {
            name: customer.name,
        },
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
        Outcome::CustomerSaved { name: facts.name },
    ))
}

async fn manager(state: &AppState, user_id: i64) -> Result<UserRow, ServerError> {
    let user = super::users::existing_user(state, user_id).await?;
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
        Outcome::ManagerAssigned { name: user.name },
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
        Outcome::ManagerUnassigned { name: user.name },
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
