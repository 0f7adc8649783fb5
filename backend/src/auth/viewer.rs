//! The signed-in person and the customers they may act for, resolved once per request by the guard.

use std::sync::Arc;

use crate::db::Db;

use crate::db::{self, Actor, CustomerRow, CustomerScope, UserRow};
use crate::error::ServerError;
use domain::api::Channel;
use domain::error::AppError;
use domain::model::{CustomerOption, Role, SessionView};

/// The signed-in person and the customers they may act for, resolved once per request; or an API
/// key, which acts as its customer's own (see `api::keys`).
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The person; for an API key, the person who made it (`None` when made on the command line:
    /// then 0, and nothing a key reaches reads it but [`Viewer::person`]).
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Every customer in reach: the user's own, the assigned ones, or all (administrators).
    pub customers: Vec<CustomerRow>,
    /// The customer picked in the switcher, if it is still in reach.
    pub selected: Option<i64>,
    /// How many bookings in reach need a person (on pages).
    pub needs_attention: Option<i64>,
    /// How many notices in their inbox are unread (on pages).
    pub unread: Option<i64>,
    /// The API key asking, if it is one.
    pub key: Option<KeyRef>,
}

/// The API key a request came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub id: i64,
    pub name: String,
    pub created_by_user_id: Option<i64>,
}

impl Viewer {
    /// Every customer whose data this person may read or change.
    pub fn scope(&self) -> CustomerScope {
        match self.role {
            Role::Admin => CustomerScope::All,
            Role::Customer | Role::AccountManager => {
                CustomerScope::Only(self.customers.iter().map(|c| c.id).collect())
            }
        }
    }

    /// What the views show: the switcher's customer, or everything in reach.
    pub fn view_scope(&self) -> CustomerScope {
        match self.selected {
            Some(id) => CustomerScope::Only(vec![id]),
            None => self.scope(),
        }
    }

    /// Whether views span several customers (and so name the customer of each entry).
    pub fn sees_several(&self) -> bool {
        self.selected.is_none() && self.customers.len() > 1
    }

    /// "Northwind Estates", or "all 3 of your customers" (after "Showing").
    pub fn showing_for(&self) -> String {
        match (self.selected_customer(), self.customers.as_slice()) {
            (Some(c), _) | (None, [c]) => c.name.clone(),
            (None, []) => "No customers yet".into(),
            (None, all) if self.role == Role::Admin => format!("all {} customers", all.len()),
            (None, all) => format!("all {} of your customers", all.len()),
        }
    }

    pub fn selected_customer(&self) -> Option<&CustomerRow> {
        self.selected
            .and_then(|id| self.customers.iter().find(|c| c.id == id))
    }

    /// A customer in reach; anything else is "not found" (nobody learns which customers exist).
    pub fn customer(&self, id: i64) -> Result<&CustomerRow, AppError> {
        self.customers.iter().find(|c| c.id == id).ok_or_else(|| {
            AppError::NotFound("No customer with that number is yours to act for.".into())
        })
    }

    /// The customer a booking is for: the one named, else the switcher's, else the only one.
    pub fn acting_customer(&self, requested: Option<i64>) -> Result<&CustomerRow, AppError> {
        if let Some(id) = requested {
            return self.customer(id);
        }
        match (self.selected_customer(), self.customers.as_slice()) {
            (Some(c), _) | (None, [c]) => Ok(c),
            (None, []) => Err(AppError::Forbidden(
                "No customer is assigned to you yet. Ask an administrator to assign one.".into(),
            )),
            (None, _) => Err(AppError::Conflict(
                "Choose the customer this is for first.".into(),
            )),
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only administrators can manage accounts and customers.".into(),
            ))
        }
    }

    /// The audit-trail entry for this person acting for `customer`: staff acting for a customer
    /// are recorded with that customer as well.
    pub fn actor_for(&self, customer_name: &str) -> Actor {
        if let Some(key) = &self.key {
            // A key acts as its customer's own system: no person, nobody's behalf.
            return Actor {
                name: format!("API key \u{201c}{}\u{201d}", key.name),
                user_id: None,
                on_behalf_of: None,
                channel: Channel::Api,
            };
        }
        Actor {
            name: self.name.clone(),
            user_id: Some(self.user_id),
            on_behalf_of: self
                .role
                .spans_customers()
                .then(|| customer_name.to_string()),
            channel: Channel::Page,
        }
    }

    /// The person asking (who made the key, for a key made on a page), for records that name one.
    pub fn person(&self) -> Option<i64> {
        match &self.key {
            Some(key) => key.created_by_user_id,
            None => Some(self.user_id),
        }
    }

    pub fn session_view(&self) -> SessionView {
        SessionView {
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            customers: self.customers.iter().map(CustomerOption::from).collect(),
            selected_customer: self.selected,
            needs_attention: self.needs_attention,
            unread: self.unread,
        }
    }
}

/// The request extension `guard` leaves for pages and server functions.
#[derive(Debug, Clone)]
pub struct CurrentViewer(pub Option<Arc<Viewer>>);

impl Viewer {
    /// `user` with the customers their role reaches, and `selected` if it is one of them (only
    /// people acting for several customers select one).
    pub async fn of_user(
        pool: &Db,
        user: UserRow,
        selected: Option<i64>,
    ) -> Result<Viewer, ServerError> {
        let role = user.role;
        let customers = db::customers_in_reach(pool, role, user.id, user.customer_id).await?;
        let selected = selected
            .filter(|_| role.spans_customers())
            .filter(|id| customers.iter().any(|c| c.id == *id));
        Ok(Viewer {
            user_id: user.id,
            name: user.name,
            email: user.email,
            role,
            customers,
            selected,
            needs_attention: None,
            unread: None,
            key: None,
        })
    }

    /// Counts the bookings in reach that need a person and the unread notices, for the
    /// navigation (pages only: server functions do not show them).
    pub async fn count_attention(&mut self, pool: &Db) -> Result<(), ServerError> {
        self.needs_attention = Some(db::count_needing_attention(pool, &self.scope()).await?);
        self.unread = Some(db::count_unread(pool, self.user_id).await?);
        Ok(())
    }
}
