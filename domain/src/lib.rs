//! The dashboard's shared vocabulary, free of Leptos, I/O and the clock: the booking rules (run by
//! the browser before a form is sent, by the server on every request and by the AURA sandbox), the
//! values pages and server functions exchange (`model`), and the errors a person reads (`error`).

pub mod booking;
pub mod error;
pub mod keyed;
pub mod model;
pub mod schedule;
pub mod service;

pub use booking::*;
pub use schedule::*;
pub use service::*;
