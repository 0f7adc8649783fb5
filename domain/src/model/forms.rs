//! Which form of a page a plain-HTML submit came from, and what it leaves for the page it is
//! redirected to: the problems, what was typed (never a password), a notice, what succeeded.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Outcome;
use crate::{Field, FieldErrors};

/// A form of the dashboard. Its key (`site-12`, `new-user`) is the form's HTML id prefix and what
/// a flash names; the server functions that end a submit and the pages that show its flash both
/// use this type, so the two can never name a form differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormId {
    SignIn,
    Theme,
    Times,
    Switcher,
    Feed,
    Password,
    NewUser,
    User(i64),
    NewCustomer,
    Customer,
    Assign,
    NewSite,
    Site(i64),
    Cancel,
    Resolve,
    SendAgain,
    Forgot,
    Reset,
    Notifications,
    Inbox,
    Acknowledge,
    NewKey,
    Keys,
    NewHook,
    Hooks,
    /// Skipping dates of a booking.
    Skip,
    /// A closure typed in, a calendar file of closures, and one closure (apply, delete).
    NewClosure,
    ImportClosures,
    Closure(i64),
    /// Several bookings at once.
    Several,
}

impl FormId {
    const FIXED: [(FormId, &'static str); 27] = [
        (FormId::SignIn, "sign-in"),
        (FormId::Theme, "theme"),
        (FormId::Times, "times"),
        (FormId::Switcher, "switcher"),
        (FormId::Feed, "feed"),
        (FormId::Password, "password"),
        (FormId::NewUser, "new-user"),
        (FormId::NewCustomer, "new-customer"),
        (FormId::Customer, "customer"),
        (FormId::Assign, "assign"),
        (FormId::NewSite, "new-site"),
        (FormId::Cancel, "cancel"),
        (FormId::Resolve, "resolve"),
        (FormId::SendAgain, "send-again"),
        (FormId::Forgot, "forgot"),
        (FormId::Reset, "reset"),
        (FormId::Notifications, "notifications"),
        (FormId::Inbox, "inbox"),
        (FormId::Acknowledge, "acknowledge"),
        (FormId::NewKey, "new-key"),
        (FormId::Keys, "keys"),
        (FormId::NewHook, "new-hook"),
        (FormId::Hooks, "hooks"),
        (FormId::Skip, "skip"),
        (FormId::NewClosure, "new-closure"),
        (FormId::ImportClosures, "import-closures"),
        (FormId::Several, "several"),
    ];

    /// The form's key: `sign-in`, `user-4`, `site-12`, …
    pub fn key(self) -> String {
        match self {
            FormId::User(id) => format!("user-{id}"),
            FormId::Site(id) => format!("site-{id}"),
            FormId::Closure(id) => format!("closure-{id}"),
            fixed => Self::FIXED
                .iter()
                .find(|(f, _)| *f == fixed)
                .map(|(_, key)| (*key).to_string())
                .unwrap_or_default(),
        }
    }

    /// The HTML id of `field` in this form.
    pub fn field_id(self, field: Field) -> String {
        format!("{}-{}", self.key(), field.name())
    }
}

impl fmt::Display for FormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// A text that names no form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no form is called {0:?}")]
pub struct UnknownForm(pub String);

impl FromStr for FormId {
    type Err = UnknownForm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let numbered = |prefix: &str| {
            s.strip_prefix(prefix)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<i64>().ok())
        };
        if let Some(id) = numbered("user-") {
            return Ok(FormId::User(id));
        }
        if let Some(id) = numbered("site-") {
            return Ok(FormId::Site(id));
        }
        if let Some(id) = numbered("closure-") {
            return Ok(FormId::Closure(id));
        }
        Self::FIXED
            .iter()
            .find(|(_, key)| *key == s)
            .map(|(form, _)| *form)
            .ok_or_else(|| UnknownForm(s.to_string()))
    }
}

impl Serialize for FormId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for FormId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        key.parse().map_err(serde::de::Error::custom)
    }
}

/// What a form sent that is shown again, by field. Built only from text (`&str`): a
/// [`Password`](crate::Password) is not text, so no password can be kept.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kept(BTreeMap<String, String>);

impl Kept {
    pub fn of(values: &[(Field, &str)]) -> Kept {
        Kept(
            values
                .iter()
                .map(|(field, value)| (field.name(), (*value).to_string()))
                .collect(),
        )
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field.name()).map(String::as_str)
    }
}

/// What a plain HTML form sent and what was wrong with it, kept in the session across the redirect
/// back to the form so nothing typed is lost (passwords are never kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormFlash {
    /// Which form on the page this belongs to.
    pub form: FormId,
    pub values: Kept,
    pub errors: FieldErrors,
    /// A problem that belongs to no one field.
    pub notice: Option<String>,
    /// What just succeeded (the page says it in words).
    pub success: Option<Outcome>,
    /// Shown on this page load only, then gone (a new calendar feed address).
    pub reveal: Option<String>,
}

impl FormFlash {
    /// Nothing sent yet: the flash of a form that was not the last one submitted.
    pub fn empty(form: FormId) -> FormFlash {
        FormFlash {
            form,
            values: Kept::default(),
            errors: FieldErrors::default(),
            notice: None,
            success: None,
            reveal: None,
        }
    }

    /// What was typed into `field` (empty if nothing was kept).
    pub fn value(&self, field: Field) -> String {
        self.values.get(field).unwrap_or_default().to_string()
    }

    /// Whether the submit sent `field` at all.
    pub fn sent(&self, field: Field) -> bool {
        self.values.get(field).is_some()
    }

    pub fn error(&self, field: Field) -> Option<String> {
        self.errors.get(field).map(str::to_string)
    }
}

/// The flash for one form of a page, if the last submit was that form.
pub fn flash_for(flash: &Option<FormFlash>, form: FormId) -> FormFlash {
    flash
        .as_ref()
        .filter(|f| f.form == form)
        .cloned()
        .unwrap_or_else(|| FormFlash::empty(form))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Password;

    #[test]
    fn a_form_is_named_one_way_and_read_back_the_same() {
        let every = [
            FormId::SignIn,
            FormId::Theme,
            FormId::Times,
            FormId::Switcher,
            FormId::Feed,
            FormId::Password,
            FormId::NewUser,
            FormId::User(4),
            FormId::NewCustomer,
            FormId::Customer,
            FormId::Assign,
            FormId::NewSite,
            FormId::Site(12),
            FormId::Cancel,
            FormId::Resolve,
            FormId::SendAgain,
            FormId::Skip,
            FormId::NewClosure,
            FormId::ImportClosures,
            FormId::Closure(3),
            FormId::Several,
        ];
        for form in every {
            assert_eq!(form.key().parse::<FormId>(), Ok(form), "{form}");
            let json = serde_json::to_string(&form).expect("json");
            assert_eq!(serde_json::from_str::<FormId>(&json).expect("read"), form);
        }
        assert_eq!(FormId::Site(12).key(), "site-12");
        assert_eq!(FormId::User(4).field_id(Field::Role), "user-4-role");
        for bad in ["", "site-", "site-x", "user--1", "site-1a", "nope"] {
            assert!(bad.parse::<FormId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn what_is_kept_is_read_back_by_its_field() {
        let kept = Kept::of(&[(Field::Email, "ann@example.com"), (Field::Name, "")]);
        assert_eq!(kept.get(Field::Email), Some("ann@example.com"));
        assert_eq!(kept.get(Field::Name), Some(""));
        assert_eq!(kept.get(Field::Password), None);
        let flash = FormFlash {
            values: kept,
            ..FormFlash::empty(FormId::NewUser)
        };
        assert!(flash.sent(Field::Name) && !flash.sent(Field::Role));
        assert_eq!(flash_for(&Some(flash.clone()), FormId::NewUser), flash);
        assert_eq!(
            flash_for(&Some(flash), FormId::User(1)),
            FormFlash::empty(FormId::User(1))
        );
    }

    #[test]
    fn a_password_never_shows_itself() {
        let p = Password::new("correct horse battery");
        assert_eq!(format!("{p:?}"), "Password(…)");
        assert_eq!(p.expose(), "correct horse battery");
    }
}
