//! The fields of every form and the problems a value can have, each worded once
//! (`Violation::message`), so the browser, the server and the sandbox say a problem the same way;
//! and the checks every text field shares.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::dates::iso_date;
use crate::limits::*;
use crate::schedule::{LEAD_TIME_MINUTES, MAX_WINDOW_MINUTES};

/// The form field a problem belongs to, on the booking form and on the account and administration
/// forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    ServiceType,
    Name,
    SpecialInstructions,
    NumberOfGuards,
    ArmedPreference,
    Contacts,
    ContactName(usize),
    ContactMobile(usize),
    Site,
    Address,
    Latitude,
    Longitude,
    Timezone,
    FirstDate,
    LastDate,
    Repeat,
    Days,
    StartTime,
    WindowMinutes,
    CancelReason,
    Email,
    Password,
    CurrentPassword,
    RepeatPassword,
    Role,
    Customer,
    Manager,
    AuraCustomerId,
    DefaultTimezone,
    /// The AURA id a person found when checking a booking whose outcome was unknown.
    AuraId,
    /// The unlock's start time, when a lock is booked with its unlock.
    UnlockTime,
    /// Quiet hours: from, to (times of day in the person's zone).
    QuietFrom,
    QuietTo,
    /// A password reset link's token.
    ResetToken,
    /// What an API key may do.
    Scopes,
    /// When an API key stops working.
    Expires,
    /// Where a webhook endpoint receives events, and which it takes.
    HookUrl,
    HookEvents,
    /// The first and last local dates of a booking to skip.
    SkipFrom,
    SkipTo,
    /// A calendar file (.ics) of closures.
    ClosureFile,
}

impl Field {
    /// The field's name in its form: the `name` a plain form posts, and the element id (or its end,
    /// on pages with several forms).
    pub fn name(self) -> String {
        match self {
            Field::ContactName(i) => format!("contact-{i}-name"),
            Field::ContactMobile(i) => format!("contact-{i}-mobile"),
            other => other.fixed_name().to_string(),
        }
    }

    fn fixed_name(self) -> &'static str {
        match self {
            Field::ServiceType => "service-type",
            Field::Name => "name",
            Field::SpecialInstructions => "special-instructions",
            Field::NumberOfGuards => "guards",
            Field::ArmedPreference => "armed",
            Field::Contacts | Field::ContactName(_) | Field::ContactMobile(_) => "contacts",
            Field::Site => "site",
            Field::Address => "address",
            Field::Latitude => "latitude",
            Field::Longitude => "longitude",
            Field::Timezone => "timezone",
            Field::FirstDate => "first-date",
            Field::LastDate => "last-date",
            Field::Repeat => "repeat",
            Field::Days => "days",
            Field::StartTime => "start-time",
            Field::WindowMinutes => "window",
            Field::CancelReason => "reason",
            Field::Email => "email",
            Field::Password => "password",
            Field::CurrentPassword => "current",
            Field::RepeatPassword => "repeat",
            Field::Role => "role",
            Field::Customer => "customer",
            Field::Manager => "manager",
            Field::AuraCustomerId => "aura_customer_id",
            Field::DefaultTimezone => "default_timezone",
            Field::AuraId => "aura_id",
            Field::UnlockTime => "unlock-time",
            Field::QuietFrom => "quiet-from",
            Field::QuietTo => "quiet-to",
            Field::ResetToken => "token",
            Field::Scopes => "scopes",
            Field::Expires => "expires",
            Field::HookUrl => "url",
            Field::HookEvents => "events",
            Field::SkipFrom => "skip-from",
            Field::SkipTo => "skip-to",
            Field::ClosureFile => "ics",
        }
    }
}

/// Every way a booking can break a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Violation {
    ServiceTypeUnknown(String),
    NameMissing,
    NameTooLong,
    InstructionsTooLong,
    GuardsNotANumber,
    GuardsBelowOne,
    GuardsTooMany,
    ArmedPreferenceUnknown(String),
    TooManyContacts,
    ContactNameMissing,
    ContactMobileInvalid,
    LocationMissing,
    AddressTooLong,
    CoordinatesIncomplete,
    LatitudeInvalid,
    LongitudeInvalid,
    TimezoneMissing,
    TimezoneUnknown(String),
    FirstDateInvalid,
    LastDateInvalid,
    DatesReversed,
    RepeatUnknown(String),
    WeeklyWithoutDays,
    DayUnknown(String),
    StartTimeInvalid,
    UnlockTimeInvalid,
    /// An unlock time on a booking that is not a lock/unlock.
    UnlockWithoutLock,
    /// The name with " (unlock)" added would be too long.
    NameTooLongForPair,
    WindowNotANumber,
    WindowOutOfRange,
    NoOccurrences,
    TooSoon {
        first_opens: DateTime<Utc>,
    },
    /// Control characters or invisible direction overrides in typed text.
    HiddenCharacters {
        field: Field,
    },
    /// A first date before yesterday (in the site's zone).
    FirstDateTooEarly,
    /// A date more than `MAX_YEARS_AHEAD` years ahead; `latest` is the last date allowed.
    FirstDateTooLate {
        latest: NaiveDate,
    },
    LastDateTooLate {
        latest: NaiveDate,
    },
    CancelReasonMissing,
    CancelReasonTooLong,
    // Accounts and administration.
    /// A required text left empty: "Enter {what}."
    Required {
        field: Field,
        what: String,
    },
    /// "Keep {what} to {max} characters or fewer."
    TooLong {
        field: Field,
        what: String,
        max: usize,
    },
    /// A choice left empty: "Choose {what}."
    NotChosen {
        field: Field,
        what: String,
    },
    EmailInvalid,
    EmailTaken,
    PasswordTooShort,
    PasswordTooLong,
    PasswordsDiffer,
    CurrentPasswordWrong,
    CustomerGone,
    AuraCustomerIdInvalid,
    AuraCustomerIdTaken,
    SiteNameTaken,
    NotAnAccountManager(String),
    /// Not a time of day (HH:MM).
    TimeOfDayInvalid(Field),
    /// Quiet hours need both ends (or neither).
    QuietHoursHalf,
    /// A password reset link that is unknown, used or expired.
    ResetLinkInvalid,
}

impl Violation {
    pub fn message(&self) -> String {
        match self {
            Violation::ServiceTypeUnknown(s) => {
                format!("Service type \"{s}\" is unknown or not enabled.")
            }
            Violation::NameMissing => "Give the booking a name.".into(),
            Violation::UnlockTimeInvalid => {
                "Enter the unlock time as HH:MM (24-hour clock), e.g. 07:00.".into()
            }
            Violation::UnlockWithoutLock => {
                "Only a lock/unlock booking can have an unlock the next morning.".into()
            }
            Violation::NameTooLongForPair => format!(
                "With its unlock, keep the name to {} characters or fewer: each half's name ends in \"{UNLOCK_SUFFIX}\".",
                MAX_NAME_CHARS - UNLOCK_SUFFIX.chars().count()
            ),
            Violation::NameTooLong => {
                format!("Keep the name to {MAX_NAME_CHARS} characters or fewer.")
            }
            Violation::InstructionsTooLong => {
                format!(
                    "Keep special instructions to {MAX_INSTRUCTIONS_CHARS} characters or fewer."
                )
            }
            Violation::GuardsNotANumber => "Enter the number of guards as a whole number.".into(),
            Violation::GuardsBelowOne => "At least one guard is needed.".into(),
            Violation::GuardsTooMany => format!("Book at most {MAX_GUARDS} guards at once."),
            Violation::ArmedPreferenceUnknown(s) => {
                format!("Armed preference \"{s}\" is not one of armed, unarmed or no preference.")
            }
            Violation::TooManyContacts => format!("Add at most {MAX_CONTACTS} on-site contacts."),
            Violation::ContactNameMissing => "Enter the contact's name.".into(),
            Violation::ContactMobileInvalid => {
                "Enter a mobile number with at least 7 digits, e.g. +44 7700 900123.".into()
            }
            Violation::LocationMissing => "Give an address, coordinates, or both.".into(),
            Violation::AddressTooLong => {
                format!("Keep the address to {MAX_ADDRESS_CHARS} characters or fewer.")
            }
            Violation::CoordinatesIncomplete => {
                "Enter both latitude and longitude, or neither.".into()
            }
            Violation::LatitudeInvalid => "Latitude must be a number from -90 to 90.".into(),
            Violation::LongitudeInvalid => "Longitude must be a number from -180 to 180.".into(),
            Violation::TimezoneMissing => "Choose a time zone, e.g. Europe/London.".into(),
            Violation::TimezoneUnknown(s) => format!("\"{s}\" is not a known IANA time zone."),
            Violation::FirstDateInvalid => "Enter the first date as YYYY-MM-DD.".into(),
            Violation::LastDateInvalid => "Enter the last date as YYYY-MM-DD.".into(),
            Violation::DatesReversed => "The last date cannot be before the first date.".into(),
            Violation::RepeatUnknown(s) => {
                format!("Repeat \"{s}\" is not one of single, daily or weekly.")
            }
            Violation::WeeklyWithoutDays => "Choose at least one day for a weekly repeat.".into(),
            Violation::DayUnknown(s) => format!("\"{s}\" is not a day of the week (MON to SUN)."),
            Violation::StartTimeInvalid => "Enter the start time as HH:MM, e.g. 22:00.".into(),
            Violation::WindowNotANumber => "Enter the window length in whole minutes.".into(),
            Violation::WindowOutOfRange => {
                format!("The window must last 1 to {MAX_WINDOW_MINUTES} minutes.")
            }
            Violation::NoOccurrences => {
                "No service window falls within the chosen dates and days.".into()
            }
            Violation::CancelReasonMissing => "Say why the booking is being cancelled.".into(),
            Violation::CancelReasonTooLong => {
                format!("Keep the reason to {MAX_CANCEL_REASON_CHARS} characters or fewer.")
            }
            Violation::TooSoon { .. } => format!(
                "The first window must open at least {LEAD_TIME_MINUTES} minutes from now. Choose a later date or start time."
            ),
            Violation::HiddenCharacters { .. } => "Remove the invisible or control characters \
                (a pasted line break, for example) from this field."
                .into(),
            Violation::FirstDateTooEarly => {
                "The first date has passed. Choose today or a later date.".into()
            }
            Violation::FirstDateTooLate { latest } | Violation::LastDateTooLate { latest } => {
                format!(
                    "Bookings can be made up to {MAX_YEARS_AHEAD} years ahead: choose a date no later than {}.",
                    iso_date(*latest)
                )
            }
            Violation::Required { what, .. } => format!("Enter {what}."),
            Violation::TooLong { what, max, .. } => {
                format!("Keep {what} to {max} characters or fewer.")
            }
            Violation::NotChosen { what, .. } => format!("Choose {what}."),
            Violation::EmailInvalid => "Enter an email address like name@example.com.".into(),
            Violation::EmailTaken => "An account with this email exists already.".into(),
            Violation::PasswordTooShort => format!(
                "Use at least {PASSWORD_MIN_CHARS} characters; a few unrelated words work well."
            ),
            Violation::PasswordTooLong => format!("Use at most {PASSWORD_MAX_CHARS} characters."),
            Violation::PasswordsDiffer => {
                "The two new passwords differ; type the same one twice.".into()
            }
            Violation::CurrentPasswordWrong => "That is not your current password.".into(),
            Violation::CustomerGone => "That customer does not exist any more.".into(),
            Violation::AuraCustomerIdInvalid => {
                format!(
                    "Enter the customer's AURA customerId: a whole number from 1 to {MAX_AURA_CUSTOMER_ID}, e.g. 178921."
                )
            }
            Violation::AuraCustomerIdTaken => {
                "Another customer already has this AURA customerId.".into()
            }
            Violation::SiteNameTaken => "This customer already has a site with that name.".into(),
            Violation::NotAnAccountManager(name) => format!("{name} is not an account manager."),
            Violation::TimeOfDayInvalid(_) => "Enter a time of day like 22:00.".into(),
            Violation::QuietHoursHalf => {
                "Give both ends of your quiet hours, or leave both empty for none.".into()
            }
            Violation::ResetLinkInvalid => "This reset link has expired or was already used. Ask for a new one: it works for 30 minutes, once.".into(),
        }
    }

    /// Where the form shows this problem.
    pub fn field(&self) -> Field {
        match self {
            Violation::ServiceTypeUnknown(_) => Field::ServiceType,
            Violation::NameMissing | Violation::NameTooLong | Violation::NameTooLongForPair => {
                Field::Name
            }
            Violation::UnlockTimeInvalid | Violation::UnlockWithoutLock => Field::UnlockTime,
            Violation::InstructionsTooLong => Field::SpecialInstructions,
            Violation::GuardsNotANumber | Violation::GuardsBelowOne | Violation::GuardsTooMany => {
                Field::NumberOfGuards
            }
            Violation::ArmedPreferenceUnknown(_) => Field::ArmedPreference,
            Violation::TooManyContacts => Field::Contacts,
            // Contact violations are attached to a row by `validate_draft`; this is the fallback.
            Violation::ContactNameMissing | Violation::ContactMobileInvalid => Field::Contacts,
            Violation::LocationMissing | Violation::AddressTooLong => Field::Address,
            Violation::CoordinatesIncomplete | Violation::LatitudeInvalid => Field::Latitude,
            Violation::LongitudeInvalid => Field::Longitude,
            Violation::TimezoneMissing | Violation::TimezoneUnknown(_) => Field::Timezone,
            Violation::FirstDateInvalid
            | Violation::FirstDateTooEarly
            | Violation::FirstDateTooLate { .. } => Field::FirstDate,
            Violation::LastDateTooLate { .. } => Field::LastDate,
            Violation::LastDateInvalid | Violation::DatesReversed => Field::LastDate,
            Violation::RepeatUnknown(_) => Field::Repeat,
            Violation::WeeklyWithoutDays | Violation::DayUnknown(_) => Field::Days,
            Violation::StartTimeInvalid | Violation::TooSoon { .. } => Field::StartTime,
            Violation::WindowNotANumber | Violation::WindowOutOfRange => Field::WindowMinutes,
            Violation::NoOccurrences => Field::Days,
            Violation::CancelReasonMissing | Violation::CancelReasonTooLong => Field::CancelReason,
            Violation::Required { field, .. }
            | Violation::HiddenCharacters { field }
            | Violation::TooLong { field, .. }
            | Violation::NotChosen { field, .. } => *field,
            Violation::EmailInvalid | Violation::EmailTaken => Field::Email,
            Violation::PasswordTooShort | Violation::PasswordTooLong => Field::Password,
            Violation::PasswordsDiffer => Field::RepeatPassword,
            Violation::CurrentPasswordWrong => Field::CurrentPassword,
            Violation::CustomerGone => Field::Customer,
            Violation::AuraCustomerIdInvalid | Violation::AuraCustomerIdTaken => {
                Field::AuraCustomerId
            }
            Violation::SiteNameTaken => Field::Name,
            Violation::NotAnAccountManager(_) => Field::Manager,
            Violation::TimeOfDayInvalid(field) => *field,
            Violation::QuietHoursHalf => Field::QuietTo,
            Violation::ResetLinkInvalid => Field::ResetToken,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

/// Problems keyed by field, in form order; at most one per field (the first found). The one form-error
/// type of every form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Just this problem.
    pub fn one(field: Field, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.insert(field, message);
        errors
    }

    /// Records a problem at `field`, unless it has one already.
    pub fn insert(&mut self, field: Field, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field,
                message: message.into(),
            });
        }
    }

    /// Records `violation` at `field` (e.g. a contact row), unless it has a problem already.
    pub fn push(&mut self, field: Field, violation: &Violation) {
        self.insert(field, violation.message());
    }

    /// Records `violation` at its own field.
    pub fn add(&mut self, violation: Violation) {
        self.push(violation.field(), &violation);
    }

    /// Adds every problem of `other` whose field has none yet.
    pub fn merge(&mut self, other: FieldErrors) {
        for e in other.0 {
            self.insert(e.field, e.message);
        }
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn first(&self) -> Option<Field> {
        self.0.first().map(|e| e.field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` if there is no problem.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<Violation> for FieldErrors {
    fn from(v: Violation) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(v);
        errors
    }
}

/// Whether typed text holds characters nobody means to type: control characters (line breaks and
/// tabs are fine in multi-line fields), the invisible direction marks and overrides that can make
/// text read differently from what it is, and zero-width characters that make two names look alike.
pub fn has_hidden_characters(text: &str, multi_line: bool) -> bool {
    text.chars().any(|c| {
        (c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t')))
            || matches!(
                c,
                '\u{061C}'
                    | '\u{180E}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}'
            )
    })
}

/// Refuses hidden characters in `text`, at `field`.
pub fn check_visible(field: Field, text: &str, multi_line: bool) -> Result<(), Violation> {
    if has_hidden_characters(text, multi_line) {
        Err(Violation::HiddenCharacters { field })
    } else {
        Ok(())
    }
}

/// A required short text (a person's, customer's or site's name): trimmed, present, not too long.
pub fn check_required(
    field: Field,
    value: &str,
    what: &str,
    max: usize,
) -> Result<String, Violation> {
    let value = value.trim();
    check_visible(field, value, false)?;
    if value.is_empty() {
        Err(Violation::Required {
            field,
            what: what.into(),
        })
    } else if value.chars().count() > max {
        Err(Violation::TooLong {
            field,
            what: what.into(),
            max,
        })
    } else {
        Ok(value.to_string())
    }
}
