//! One file per screen.

pub mod account;
pub mod admin;
pub mod attention;
pub mod book;
pub mod booking;
pub mod calendar;
pub mod closures;
pub mod inbox;
pub mod integrations;
pub mod mail;
pub mod not_found;
pub mod password;
pub mod several;
pub mod sign_in;
pub mod sites;
pub mod unsubscribe;
pub mod upcoming;

use crate::error::{ApiError, AppError};

/// The page's `:id` is not a number at all: the same 404 as a number that names nothing.
pub(crate) fn not_a_number(what: &str) -> ApiError {
    #[cfg(feature = "ssr")]
    crate::error::set_status(axum::http::StatusCode::NOT_FOUND);
    ApiError(AppError::NotFound(format!("That is not a {what} number.")))
}
