//! Wire types for signing in, the signed-in person, and the administrators' screens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SiteView;

/// What a person may do. Customers act for their own customer; account managers for the customers
/// assigned to them; administrators for every customer, and they manage accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    AccountManager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Customer, Role::AccountManager, Role::Admin];

    pub fn key(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::AccountManager => "account_manager",
            Role::Admin => "admin",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Customer => "Customer",
            Role::AccountManager => "Account manager",
            Role::Admin => "Administrator",
        }
    }

    /// Whether this role acts for several customers (and so picks one to book for).
    pub fn spans_customers(self) -> bool {
        !matches!(self, Role::Customer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOption {
    pub id: i64,
    pub name: String,
}

/// The signed-in person, as the header shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The customers this person may act for (one for a customer user).
    pub customers: Vec<CustomerOption>,
    /// The customer picked in the switcher; `None` means all of them.
    pub selected_customer: Option<i64>,
}

impl SessionView {
    pub fn selected_name(&self) -> Option<&str> {
        let id = self.selected_customer?;
        self.customers
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.as_str())
    }
}

/// What a plain HTML form sent and what was wrong with it, kept in the session across the redirect
/// back to the form so nothing typed is lost (passwords are never kept).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FormFlash {
    /// Which form on the page this belongs to, e.g. "new-user" or "site-12".
    pub form: String,
    pub values: BTreeMap<String, String>,
    /// Field name → message.
    pub errors: BTreeMap<String, String>,
    /// A problem that belongs to no one field.
    pub notice: Option<String>,
    /// What just succeeded, e.g. "Ann Lee can now sign in."
    pub success: Option<String>,
}

impl FormFlash {
    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }

    pub fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).cloned()
    }
}

/// The flash for one form of a page, if the last submit was that form.
pub fn flash_for(flash: &Option<FormFlash>, form: &str) -> FormFlash {
    flash
        .as_ref()
        .filter(|f| f.form == form)
        .cloned()
        .unwrap_or_default()
}

/// The signed-in person's own page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub session: SessionView,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInView {
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserListItem {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub customer_id: Option<i64>,
    pub customer: Option<String>,
    /// For account managers: the customers they look after.
    pub looks_after: Vec<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUsersView {
    pub users: Vec<UserListItem>,
    pub customers: Vec<CustomerOption>,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerListItem {
    pub id: i64,
    pub name: String,
    pub aura_customer_id: i64,
    pub default_timezone: String,
    pub sites: usize,
    pub managers: Vec<String>,
    pub users: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminCustomersView {
    pub customers: Vec<CustomerListItem>,
    pub time_zones: Vec<String>,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagerOption {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminCustomerView {
    pub id: i64,
    pub name: String,
    pub aura_customer_id: i64,
    pub default_timezone: String,
    pub sites: Vec<SiteView>,
    /// Account managers looking after this customer.
    pub managers: Vec<ManagerOption>,
    /// Account managers who could be assigned.
    pub other_managers: Vec<ManagerOption>,
    pub time_zones: Vec<String>,
    pub flash: Option<FormFlash>,
}
