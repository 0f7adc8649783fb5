//! One file per screen.

pub mod account;
pub mod admin;
pub mod attention;
pub mod book;
pub mod booking;
pub mod calendar;
pub mod not_found;
pub mod sign_in;
pub mod upcoming;
