//! What a form's flow ends with, and helpers for checking a form's fields: plain values that the
//! app's server functions turn into a redirect (or an error with its fields).

use crate::zone::{Zone, check_zone};
use domain::model::Outcome;
use domain::{Field, FieldErrors, Violation};

/// Where a successful submit goes, and what it achieved (the page there says it).
pub struct Done {
    pub redirect: String,
    pub success: Option<Outcome>,
    /// Something shown once on the next page and never again (a new feed address).
    pub reveal: Option<String>,
}

impl Done {
    pub fn to(redirect: impl Into<String>, success: Outcome) -> Done {
        Done {
            redirect: redirect.into(),
            success: Some(success),
            reveal: None,
        }
    }

    /// Also shows `secret` once on the page it goes to.
    pub fn revealing(self, secret: String) -> Done {
        Done {
            reveal: Some(secret),
            ..self
        }
    }

    /// Just go there.
    pub fn go(redirect: impl Into<String>) -> Done {
        Done {
            redirect: redirect.into(),
            success: None,
            reveal: None,
        }
    }
}

/// Runs a rule, keeping its problem (if any) at its field.
pub fn checked<T>(errors: &mut FieldErrors, rule: Result<T, Violation>) -> Option<T> {
    rule.map_err(|v| errors.add(v)).ok()
}

/// A zone picked (or typed) in a form, its problem at this form's `field`.
pub fn zone_at(errors: &mut FieldErrors, field: Field, name: &str) -> Option<Zone> {
    check_zone(name).map_err(|v| errors.push(field, &v)).ok()
}

/// The key a page of several bookings (closures, several at once) hands its confirming form: the
/// letters and digits of a UUID. Anything else is an expired or foreign form.
pub fn page_key(key: &str) -> Result<&str, crate::error::ServerError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(domain::error::AppError::Conflict(
            "This form has expired. Reload the page and submit again.".into(),
        )
        .into());
    }
    Ok(key)
}
