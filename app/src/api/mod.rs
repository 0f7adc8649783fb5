//! Server functions, by domain. Thin: find the state and who is asking, call the
//! flow in `server`, map the error.

pub mod accounts;
pub mod bookings;
pub mod closures;
pub mod integrations;
pub mod notices;
pub mod sites;
