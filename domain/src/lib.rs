//! The dashboard's shared vocabulary, free of Leptos, I/O and the clock: the booking rules (run by
//! the browser before a form is sent, by the server on every request and by the AURA sandbox), the
//! values pages and server functions exchange (`model`), and the errors a person reads (`error`).

pub mod accounts;
pub mod api;
pub mod booking;
pub mod dates;
pub mod error;
pub mod fields;
pub mod keyed;
pub mod lifecycle;
pub mod limits;
pub mod model;
pub mod notify;
pub mod plan;
pub mod schedule;
pub mod service;

pub use accounts::*;
pub use booking::*;
pub use dates::*;
pub use fields::*;
pub use limits::*;
pub use schedule::*;
pub use service::*;
