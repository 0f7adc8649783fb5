//! What the inbox, the notification preferences, the delivery log and the mail catcher show.

use serde::{Deserialize, Serialize};

use super::FormFlash;
use crate::notify::{Delivery, Notice};

/// One notice in a person's inbox, worded for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    pub notice: Notice,
    pub headline: String,
    pub meaning: String,
    pub action: String,
    pub booking_id: Option<i64>,
    pub booking_name: Option<String>,
    pub customer: Option<String>,
    pub detail: String,
    pub actor: Option<String>,
    /// When, in the person's zone, naming it.
    pub at: String,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    pub items: Vec<InboxItem>,
    pub unread: i64,
    /// The next page: notices older than this id.
    pub older: Option<i64>,
    /// This page starts below this id (`None`: the newest).
    pub before: Option<i64>,
    pub show_customer: bool,
    pub flash: Option<FormFlash>,
}

/// One row of the notification preferences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeChoice {
    pub notice: Notice,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub choices: Vec<NoticeChoice>,
    pub digest: bool,
    /// The person's own zone, if set; else the zone used (their customer's, or UTC).
    pub own_zone: Option<String>,
    pub zone_used: String,
    pub zones: Vec<String>,
    /// Quiet hours as HH:MM, when set.
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
}

/// One mail in the delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub to: String,
    pub kind: String,
    pub subject: Option<String>,
    /// "Sent", "Retrying (3 attempts)", "Waiting", "Failed", "Nothing to send".
    pub state: String,
    pub failed: bool,
    pub answer: Option<String>,
    pub written: String,
    pub sent: Option<String>,
    pub next_attempt: Option<String>,
    pub message_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryLogView {
    /// Where mail goes: "SMTP", "the built-in catcher", ...
    pub transport: String,
    pub rows: Vec<DeliveryRow>,
    pub older: Option<i64>,
}

/// One mail the built-in catcher kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaughtView {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub headers: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailCatcherView {
    pub mail: Vec<CaughtView>,
}

/// The unsubscribe page: what the link unsubscribes from, and whether it is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnsubscribeView {
    pub what: String,
    pub email: String,
    pub done: bool,
}

/// The page a reset link opens: whether the link still works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetView {
    pub works: bool,
    pub flash: Option<FormFlash>,
}
