//! The integrations pages: a customer's API keys and webhook endpoints, and an endpoint's
//! delivery log. Times arrive as labels in UTC.

use serde::{Deserialize, Serialize};

use super::{CustomerOption, FormFlash};

/// What the integrations page starts with: one customer's keys and endpoints, or (for someone
/// acting for several customers with none chosen yet) the customers to choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IntegrationsStart {
    Ready(Box<IntegrationsView>),
    ChooseCustomer(Vec<CustomerOption>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationsView {
    pub customer_id: i64,
    pub customer_name: String,
    pub keys: Vec<KeyItem>,
    pub hooks: Vec<HookItem>,
    /// The events an endpoint may take: (key, what it means).
    pub events: Vec<(String, String)>,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyItem {
    pub id: i64,
    pub name: String,
    /// Its first characters, to recognise it.
    pub prefix: String,
    pub scopes: String,
    pub created: String,
    pub expires: Option<String>,
    pub last_used: Option<String>,
    /// "Active", "Expired" or "Revoked …".
    pub state: String,
    pub usable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookItem {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub created: String,
}

/// An endpoint's deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveriesView {
    pub endpoint_id: i64,
    pub url: String,
    pub customer_name: String,
    pub rows: Vec<DeliveryItem>,
    /// The next (older) page starts below this delivery.
    pub older: Option<i64>,
    pub flash: Option<FormFlash>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryItem {
    pub id: i64,
    pub webhook_id: String,
    pub event: String,
    pub booking_id: i64,
    pub state: String,
    pub failed: bool,
    pub attempts: i64,
    pub answer: Option<String>,
    pub created: String,
    pub delivered: Option<String>,
    pub next_attempt: Option<String>,
}
