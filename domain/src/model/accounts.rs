//! Wire types for signing in, the signed-in person, and the administrators' screens.

use serde::{Deserialize, Serialize};

use super::{FormFlash, SiteView};
use crate::keyed::keyed_enum;

keyed_enum! {
    /// What a person may do. Customers act for their own customer; account managers for the
    /// customers assigned to them; administrators for every customer, and they manage accounts.
    pub enum Role {
        Customer = "customer",
        AccountManager = "account_manager",
        Admin = "admin",
    }
}

impl Role {
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
    /// Bookings in reach that need a person.
    pub needs_attention: Option<i64>,
    /// Unread notices in the person's inbox.
    pub unread: Option<i64>,
}

/// The signed-in person's own page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub session: SessionView,
    pub feed: FeedView,
    /// How the person hears of what needs them.
    pub notifications: super::NotificationsView,
    /// The dashboard's own address (e.g. `https://dash.example.com`), for the feed's full address.
    pub origin: String,
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

/// A record id from a drop-down that may be left on its empty choice (`""`): `None` then. Anything
/// else that is not a whole number is refused when the request is read (a 400: no page sends it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptionalId(pub Option<i64>);

impl OptionalId {
    /// As the drop-down's value: the number, or empty.
    pub fn text(self) -> String {
        self.0.map(|id| id.to_string()).unwrap_or_default()
    }
}

impl Serialize for OptionalId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for OptionalId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = OptionalId;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number or nothing")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OptionalId, E> {
                match v.trim() {
                    "" => Ok(OptionalId(None)),
                    id => id.parse().map(|id| OptionalId(Some(id))).map_err(E::custom),
                }
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OptionalId, E> {
                Ok(OptionalId(Some(v)))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OptionalId, E> {
                i64::try_from(v)
                    .map(|v| OptionalId(Some(v)))
                    .map_err(E::custom)
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<OptionalId, E> {
                Ok(OptionalId(None))
            }

            fn visit_none<E: serde::de::Error>(self) -> Result<OptionalId, E> {
                Ok(OptionalId(None))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::OptionalId;

    #[test]
    fn an_optional_id_is_a_number_or_nothing() {
        let parse = |s: &str| serde_json::from_str::<OptionalId>(s);
        assert_eq!(parse("\"\"").expect("empty"), OptionalId(None));
        assert_eq!(parse("\"12\"").expect("text"), OptionalId(Some(12)));
        assert_eq!(parse("12").expect("number"), OptionalId(Some(12)));
        assert_eq!(parse("null").expect("null"), OptionalId(None));
        assert!(parse("\"12x\"").is_err());
        assert!(parse("\"-\"").is_err());
    }
}

/// What the sites page starts with: one customer's sites, or (for someone acting for several
/// customers with none chosen yet) the customers to choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SitesStart {
    Ready(Box<SitesView>),
    ChooseCustomer(Vec<CustomerOption>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitesView {
    pub customer_id: i64,
    pub customer_name: String,
    /// Open sites first is the page's job; these are by name.
    pub sites: Vec<SiteItem>,
    pub time_zones: Vec<String>,
    pub default_timezone: String,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteItem {
    pub site: SiteView,
    pub coordinates: Option<String>,
    /// Bookings still to happen that name it (it cannot be retired while any do).
    pub bookings: i64,
}

/// A person's private calendar feed, as their account page shows it (never its address: that is
/// shown once, when issued).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedView {
    pub active: bool,
    pub created: Option<String>,
    pub last_read: Option<String>,
    /// How many days ahead it reaches.
    pub days: i64,
}
