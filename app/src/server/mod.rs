//! Server-only code: state, storage, accounts and access, the AURA client and the booking flow.

pub mod accounts;
pub mod aura;
pub mod auth;
pub mod blocking;
pub mod bookings;
pub mod db;
pub mod error;
pub mod export;
pub mod feed;
pub mod forms;
pub mod outbox;
pub mod prefs;
pub mod present;
pub mod secret;
pub mod sites;
pub mod state;
pub mod throttle;
pub mod zone;

pub use error::{ServerError, with_status};
pub use state::{AppState, app_state};
