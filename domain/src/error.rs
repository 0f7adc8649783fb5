//! The one error a person reads, shared by the server's flows, server functions and the browser.
//!
//! Internal causes are logged on the server and never sent; the variants carry only what a user
//! should read and act on.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;

/// What a form says above its fields when any of them has a problem.
pub const FIELDS_NEED_ATTENTION: &str =
    "Some fields need attention: see the messages next to them.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input broke a rule; each problem belongs to a form field.
    #[error("{FIELDS_NEED_ATTENTION}")]
    Invalid(FieldErrors),
    /// The request itself is malformed (a value no form of ours sends, a broken body): nothing a
    /// person typed, so no field to point at.
    #[error("This request is malformed and was refused: {0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// Nobody is signed in (or the session ended, e.g. the account was disabled).
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Signed in, but this person may not do this (or a sign-in was refused).
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts (sign-in throttling); the text says how long to wait.
    #[error("{0}")]
    TooManyAttempts(String),
    /// The action is not possible in the current state (e.g. cancelling twice).
    #[error("{0}")]
    Conflict(String),
    /// AURA could not take the action; the text says what happened and what to do.
    #[error("{0}")]
    Aura(String),
    #[error("Something went wrong on our side and has been logged. Please try again in a moment.")]
    Internal,
    /// The call itself failed (network, encoding) before reaching our code.
    #[error("The dashboard could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

impl From<crate::Violation> for AppError {
    fn from(v: crate::Violation) -> Self {
        AppError::Invalid(v.into())
    }
}
