//! One file per screen.

pub mod book;
pub mod calendar;
pub mod not_found;
pub mod request;
pub mod upcoming;
