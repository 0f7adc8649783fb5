//! The rules of accounts: passwords and email addresses.

use serde::{Deserialize, Serialize};

use crate::fields::{Field, Violation, has_hidden_characters};
use crate::limits::{MAX_EMAIL_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

/// A new password's length rule (characters, not bytes).
pub fn check_new_password(password: &str) -> Result<(), Violation> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        Err(Violation::PasswordTooShort)
    } else if n > PASSWORD_MAX_CHARS {
        Err(Violation::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// One `@`, something before it, a dotted domain after it, no spaces: the mistakes people make.
pub fn check_email(email: &str) -> Result<String, Violation> {
    let email = email.trim();
    if email.is_empty() {
        return Err(Violation::Required {
            field: Field::Email,
            what: "an email address".into(),
        });
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(Violation::EmailInvalid);
    };
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && !has_hidden_characters(email, false)
        && email.chars().count() <= MAX_EMAIL_CHARS;
    if plausible {
        Ok(email.to_string())
    } else {
        Err(Violation::EmailInvalid)
    }
}

/// A password as typed: carried from the form to the check or the hash, and nowhere else. It is
/// not text (no `Display`, `Deref` or `AsRef<str>`), so it cannot be kept for a form's redirect
/// ([`Kept`](crate::model::Kept) takes text only) or formatted into a log line; `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(typed: impl Into<String>) -> Password {
        Password(typed.into())
    }

    /// The password itself, for the check or the hash.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl From<&str> for Password {
    fn from(typed: &str) -> Password {
        Password::new(typed)
    }
}

impl From<String> for Password {
    fn from(typed: String) -> Password {
        Password::new(typed)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}
