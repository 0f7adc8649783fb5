//! The dashboard's core, without Leptos: storage (`db`), the AURA client and wire types (`aura`),
//! the sending worker (`outbox`), accounts and access (`auth`, `accounts`, `throttle`), and the
//! flows behind every page (`bookings`, `sites`, `feed`, `export`). Pages and server functions live
//! in `app` and call in here; the server binary wires it up.

pub mod accounts;
pub mod api;
pub mod aura;
pub mod auth;
pub mod blocking;
pub mod bookings;
pub mod closures;
pub mod db;
pub mod error;
pub mod export;
pub mod feed;
pub mod forms;
pub mod inbox;
pub mod integrations;
pub mod mail;
pub mod outbox;
pub mod present;
pub mod secret;
pub mod several;
pub mod sites;
pub mod state;
pub mod throttle;
pub mod webhooks;
pub mod windows;
pub mod zone;

pub use error::ServerError;
pub use state::AppState;
