//! Pure booking logic shared by the browser, the server and the AURA sandbox.

pub mod booking;
pub mod schedule;
pub mod service;

pub use booking::*;
pub use schedule::*;
pub use service::*;
