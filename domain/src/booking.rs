//! The booking as a person fills it in, and every rule it must satisfy.
//!
//! `validate_draft` holds the zone-free rules and runs in the browser (instant feedback) and on the
//! server (the authority). `check_timing` needs a time zone and so runs on the server and in the
//! sandbox. Every message comes from `Violation::message`, so the form, the server and the sandbox
//! word a problem the same way.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::schedule::{LEAD_TIME_MINUTES, MAX_WINDOW_MINUTES, Occurrence, Schedule};
use super::service::{ArmedPreference, Repeat, RepeatKind, ServiceType};

pub const MAX_NAME_CHARS: usize = 120;
/// The longest name of a saved site.
pub const MAX_SITE_NAME_CHARS: usize = 100;
pub const MAX_INSTRUCTIONS_CHARS: usize = 2000;
/// What the two halves of a lock/unlock pair add to the name they were booked under.
pub const LOCK_SUFFIX: &str = " (lock)";
pub const UNLOCK_SUFFIX: &str = " (unlock)";
pub const MAX_ADDRESS_CHARS: usize = 300;
pub const MAX_CONTACTS: usize = 10;
/// An on-site contact's name (AURA passes it to the responding guards).
pub const MAX_CONTACT_NAME_CHARS: usize = 100;
/// A mobile number as typed, spaces and punctuation included.
pub const MAX_MOBILE_CHARS: usize = 32;
/// An email address (RFC 5321's limit), also when signing in.
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_GUARDS: u32 = 50;
pub const MAX_CANCEL_REASON_CHARS: usize = 500;
/// AURA's customerId is a 32-bit signed integer in every example and in its sandbox; a larger
/// number is a typing mistake, not a customer.
pub const MAX_AURA_CUSTOMER_ID: i64 = 2_147_483_647;
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// What the booking form submits. What a person types is text exactly as typed, so nothing is lost
/// to a parse error and each problem is shown at its field; what they pick from a list arrives typed
/// (a value no list offers is refused with the request, before any rule runs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BookingDraft {
    /// One key per form instance: a repeated submit of the same form books once.
    pub idempotency_key: String,
    /// The customer booked for: checked on the server against who is asking.
    pub customer_id: Option<i64>,
    /// `None` until one is chosen.
    pub service_type: Option<ServiceType>,
    pub name: String,
    pub special_instructions: String,
    pub number_of_guards: String,
    pub armed_preference: ArmedPreference,
    pub contacts: Vec<ContactDraft>,
    /// A saved site of the customer, or `None` for a new location given below.
    pub site_id: Option<i64>,
    pub address: String,
    pub latitude: String,
    pub longitude: String,
    /// IANA zone of a new location (a saved site brings its own).
    pub timezone: String,
    pub first_date: String,
    pub last_date: String,
    pub repeat: RepeatKind,
    /// The chosen days (weekly repeats only).
    pub days: Vec<Weekday>,
    pub start_time: String,
    pub window_minutes: String,
    /// A lock booked with its unlock the next morning: the unlock's start time (empty: no unlock).
    /// Only lock/unlock bookings have one.
    #[serde(default)]
    pub unlock_time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactDraft {
    pub name: String,
    pub mobile: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub mobile: String,
}

/// Where the service happens: an address, coordinates, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub address: Option<String>,
    pub coordinates: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Place {
    SavedSite(i64),
    New {
        location: Location,
        timezone: String,
    },
}

/// A draft that passed every zone-free rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidBooking {
    pub service_type: ServiceType,
    pub name: String,
    pub special_instructions: Option<String>,
    pub number_of_guards: u32,
    pub armed_preference: ArmedPreference,
    pub contacts: Vec<Contact>,
    pub place: Place,
    pub when: ValidWhen,
    /// Book the unlock the next morning too, opening at this local time.
    pub unlock_at: Option<NaiveTime>,
}

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

// --- Single rules, shared with the sandbox's checks of AURA wire bodies. ---

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

pub fn check_name(name: &str) -> Result<String, Violation> {
    let name = name.trim();
    check_visible(Field::Name, name, false)?;
    if name.is_empty() {
        Err(Violation::NameMissing)
    } else if name.chars().count() > MAX_NAME_CHARS {
        Err(Violation::NameTooLong)
    } else {
        Ok(name.to_string())
    }
}

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

/// Line breaks as one character: a carriage return with or without a line feed (Windows textareas,
/// old Macs, crafted requests) becomes a line feed. Every multi-line text is stored this way, so
/// nothing written from it later (a calendar feed, a spreadsheet, AURA) meets a lone `\r`.
pub fn normalise_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

pub fn check_cancel_reason(reason: &str) -> Result<String, Violation> {
    let reason = normalise_line_breaks(reason.trim());
    let reason = reason.as_str();
    check_visible(Field::CancelReason, reason, true)?;
    if reason.is_empty() {
        Err(Violation::CancelReasonMissing)
    } else if reason.chars().count() > MAX_CANCEL_REASON_CHARS {
        Err(Violation::CancelReasonTooLong)
    } else {
        Ok(reason.to_string())
    }
}

pub fn check_guards(n: i64) -> Result<u32, Violation> {
    if n < 1 {
        Err(Violation::GuardsBelowOne)
    } else if n > i64::from(MAX_GUARDS) {
        Err(Violation::GuardsTooMany)
    } else {
        u32::try_from(n).map_err(|_| Violation::GuardsTooMany)
    }
}

pub fn check_window(minutes: i64) -> Result<u32, Violation> {
    u32::try_from(minutes)
        .ok()
        .filter(|m| (1..=MAX_WINDOW_MINUTES).contains(m))
        .ok_or(Violation::WindowOutOfRange)
}

pub fn check_mobile(mobile: &str) -> Result<String, Violation> {
    let mobile = mobile.trim();
    if mobile.chars().count() > MAX_MOBILE_CHARS {
        return Err(Violation::TooLong {
            field: Field::Contacts,
            what: "the mobile number".into(),
            max: MAX_MOBILE_CHARS,
        });
    }
    let allowed = mobile
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = mobile.chars().filter(char::is_ascii_digit).count();
    if allowed && (7..=15).contains(&digits) && !mobile[1.min(mobile.len())..].contains('+') {
        Ok(mobile.to_string())
    } else {
        Err(Violation::ContactMobileInvalid)
    }
}

pub fn check_latitude(lat: f64) -> Result<f64, Violation> {
    if lat.is_finite() && (-90.0..=90.0).contains(&lat) {
        Ok(lat)
    } else {
        Err(Violation::LatitudeInvalid)
    }
}

pub fn check_longitude(lon: f64) -> Result<f64, Violation> {
    if lon.is_finite() && (-180.0..=180.0).contains(&lon) {
        Ok(lon)
    } else {
        Err(Violation::LongitudeInvalid)
    }
}

/// At least one of address and coordinates; coordinates complete and in range.
pub fn check_location(
    address: Option<&str>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<Location, Violation> {
    let address = address.map(str::trim).filter(|a| !a.is_empty());
    if let Some(a) = address {
        check_visible(Field::Address, a, false)?;
    }
    if address.is_some_and(|a| a.chars().count() > MAX_ADDRESS_CHARS) {
        return Err(Violation::AddressTooLong);
    }
    let coordinates = match (lat, lon) {
        (Some(lat), Some(lon)) => Some((check_latitude(lat)?, check_longitude(lon)?)),
        (None, None) => None,
        _ => return Err(Violation::CoordinatesIncomplete),
    };
    if address.is_none() && coordinates.is_none() {
        return Err(Violation::LocationMissing);
    }
    Ok(Location {
        address: address.map(str::to_string),
        coordinates,
    })
}

pub fn check_repeat(kind: RepeatKind, days: Vec<Weekday>) -> Result<Repeat, Violation> {
    match kind {
        RepeatKind::Single => Ok(Repeat::Single),
        RepeatKind::Daily => Ok(Repeat::Daily),
        RepeatKind::Weekly if days.is_empty() => Err(Violation::WeeklyWithoutDays),
        RepeatKind::Weekly => Ok(Repeat::weekly(days)),
    }
}

/// The digits of `s` as a number, if `s` is exactly `len` ASCII digits. Dates and times are read by
/// hand, strictly, so the browser bundle carries none of chrono's format parser.
fn digits(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

pub fn parse_start_time(s: &str) -> Result<NaiveTime, Violation> {
    let s = s.trim();
    // Browsers send HH:MM, some HH:MM:SS; seconds are not meaningful here.
    let mut parts = s.split(':');
    let (h, m, sec) = (parts.next(), parts.next(), parts.next());
    let time = match (h, m, sec, parts.next()) {
        (Some(h), Some(m), sec, None) => {
            let seconds = match sec {
                None => Some(0),
                Some(sec) => digits(sec, 2),
            };
            digits(h, 2)
                .zip(digits(m, 2))
                .zip(seconds)
                .and_then(|((h, m), s)| NaiveTime::from_hms_opt(h, m, s))
        }
        _ => None,
    };
    time.ok_or(Violation::StartTimeInvalid)
}

/// The AURA wire form of a start time.
pub fn format_start_time(t: NaiveTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A date as the forms and URLs write it: YYYY-MM-DD.
pub fn iso_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Reads YYYY-MM-DD, the one way dates are written in forms and URLs. A year of up to six digits
/// (a date field lets one type them) is read too, so a date range, not the reading, says what is
/// wrong with it.
pub fn read_iso_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let mut parts = s.strip_prefix('+').unwrap_or(s).split('-');
    let year = |y: &str| (4..=6).find_map(|len| digits(y, len));
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) => year(y)
            .zip(digits(m, 2))
            .zip(digits(d, 2))
            .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)),
        _ => None,
    }
}

fn parse_date(s: &str, err: Violation) -> Result<NaiveDate, Violation> {
    read_iso_date(s).ok_or(err)
}

/// A location as typed (address and/or coordinates as text), each problem at its own field. The one
/// location rule of the booking form and the sites form.
pub fn parse_location(
    address: &str,
    latitude: &str,
    longitude: &str,
) -> Result<Location, FieldErrors> {
    let mut errors = FieldErrors::default();
    let lat = parse_optional_f64(latitude, Violation::LatitudeInvalid)
        .map_err(|v| errors.add(v))
        .ok();
    let lon = parse_optional_f64(longitude, Violation::LongitudeInvalid)
        .map_err(|v| errors.add(v))
        .ok();
    if let (Some(lat), Some(lon)) = (lat, lon) {
        match check_location(Some(address), lat, lon) {
            Ok(location) if errors.is_empty() => return Ok(location),
            Ok(_) => {}
            Err(v) => errors.add(v),
        }
    }
    Err(errors)
}

fn parse_optional_f64(s: &str, err: Violation) -> Result<Option<f64>, Violation> {
    let s = s.trim();
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse::<f64>().map(Some).map_err(|_| err)
    }
}

/// The first window must exist and open at least the lead time after `now`.
pub fn check_timing<Z: TimeZone>(
    schedule: &Schedule,
    tz: &Z,
    now: DateTime<Utc>,
) -> Result<Occurrence, Violation> {
    let first = schedule
        .first_occurrence(tz)
        .ok_or(Violation::NoOccurrences)?;
    if first.opens < now + chrono::Duration::minutes(LEAD_TIME_MINUTES) {
        return Err(Violation::TooSoon {
            first_opens: first.opens,
        });
    }
    Ok(first)
}

/// How far ahead a booking's dates may go.
pub const MAX_YEARS_AHEAD: u32 = 5;

/// The last date a booking may use, from today in its zone.
pub fn latest_date(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_months(chrono::Months::new(12 * MAX_YEARS_AHEAD))
        .unwrap_or(NaiveDate::MAX)
}

/// The typed dates against today in the booking's zone: from yesterday (a window may still be
/// open) to `MAX_YEARS_AHEAD` years ahead. Each problem at its own field.
pub fn check_date_range(when: &ValidWhen, today: NaiveDate) -> Result<(), FieldErrors> {
    let latest = latest_date(today);
    let mut errors = FieldErrors::default();
    if today
        .pred_opt()
        .is_some_and(|yesterday| when.first_date < yesterday)
    {
        errors.add(Violation::FirstDateTooEarly);
    }
    if when.first_date > latest {
        errors.add(Violation::FirstDateTooLate { latest });
    }
    if when.last_date > latest && when.last_date != when.first_date {
        errors.add(Violation::LastDateTooLate { latest });
    }
    errors.into_result()
}

/// Every zone-free rule, each problem reported against its own field.
/// `enabled` is the deployment's list of bookable service types.
pub fn validate_draft(
    draft: &BookingDraft,
    enabled: &[ServiceType],
) -> Result<ValidBooking, FieldErrors> {
    fn ok<T>(r: Result<T, Violation>, errors: &mut FieldErrors) -> Option<T> {
        r.map_err(|v| errors.add(v)).ok()
    }
    let mut errors = FieldErrors::default();

    let service_type = ok(
        draft
            .service_type
            .filter(|t| enabled.contains(t))
            .ok_or_else(|| {
                let key = draft.service_type.map(ServiceType::key).unwrap_or_default();
                Violation::ServiceTypeUnknown(key.to_string())
            }),
        &mut errors,
    );
    let name = ok(check_name(&draft.name), &mut errors);
    let instructions = normalise_line_breaks(draft.special_instructions.trim());
    let instructions = instructions.as_str();
    if instructions.chars().count() > MAX_INSTRUCTIONS_CHARS {
        errors.add(Violation::InstructionsTooLong);
    } else if let Err(v) = check_visible(Field::SpecialInstructions, instructions, true) {
        errors.add(v);
    }
    let guards = ok(
        draft
            .number_of_guards
            .trim()
            .parse::<i64>()
            .map_err(|_| Violation::GuardsNotANumber)
            .and_then(check_guards),
        &mut errors,
    );

    let mut contacts = Vec::new();
    if draft.contacts.len() > MAX_CONTACTS {
        errors.add(Violation::TooManyContacts);
    }
    for (i, c) in draft.contacts.iter().enumerate() {
        // A row left completely empty is ignored rather than an error.
        if c.name.trim().is_empty() && c.mobile.trim().is_empty() {
            continue;
        }
        let name = c.name.trim();
        if name.is_empty() {
            errors.push(Field::ContactName(i), &Violation::ContactNameMissing);
        } else if let Err(v) = check_visible(Field::ContactName(i), name, false) {
            errors.push(Field::ContactName(i), &v);
        } else if name.chars().count() > MAX_CONTACT_NAME_CHARS {
            errors.push(
                Field::ContactName(i),
                &Violation::TooLong {
                    field: Field::ContactName(i),
                    what: "the contact's name".into(),
                    max: MAX_CONTACT_NAME_CHARS,
                },
            );
        }
        match check_mobile(&c.mobile) {
            Ok(mobile) if !name.is_empty() => contacts.push(Contact {
                name: name.to_string(),
                mobile,
            }),
            Ok(_) => {}
            Err(v) => errors.push(Field::ContactMobile(i), &v),
        }
    }

    let place = match draft.site_id {
        Some(id) => Some(Place::SavedSite(id)),
        None => {
            let location = parse_location(&draft.address, &draft.latitude, &draft.longitude)
                .map_err(|e| errors.merge(e))
                .ok();
            let timezone = draft.timezone.trim();
            if timezone.is_empty() {
                errors.add(Violation::TimezoneMissing);
            }
            location
                .filter(|_| !timezone.is_empty())
                .map(|location| Place::New {
                    location,
                    timezone: timezone.to_string(),
                })
        }
    };

    let when = match validate_when(draft) {
        Ok(when) => Some(when),
        Err(e) => {
            errors.merge(e);
            None
        }
    };

    // Only a lock/unlock booking has an unlock the next morning.
    let unlock_at = match service_type {
        _ if draft.unlock_time.trim().is_empty() => None,
        Some(ServiceType::LockUnlock) => {
            if name
                .as_ref()
                .is_some_and(|n| n.chars().count() + UNLOCK_SUFFIX.chars().count() > MAX_NAME_CHARS)
            {
                errors.add(Violation::NameTooLongForPair);
            }
            ok(
                parse_start_time(&draft.unlock_time).map_err(|_| Violation::UnlockTimeInvalid),
                &mut errors,
            )
        }
        _ => {
            errors.add(Violation::UnlockWithoutLock);
            None
        }
    };

    match (service_type, name, guards, place, when) {
        (Some(service_type), Some(name), Some(number_of_guards), Some(place), Some(when))
            if errors.is_empty() =>
        {
            Ok(ValidBooking {
                service_type,
                name,
                special_instructions: Some(instructions.to_string()).filter(|s| !s.is_empty()),
                number_of_guards,
                armed_preference: draft.armed_preference,
                contacts,
                place,
                when,
                unlock_at,
            })
        }
        _ => Err(errors),
    }
}

/// The "when" of a booking: dates, repeat, start and window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidWhen {
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub repeat: Repeat,
    pub start_time: NaiveTime,
    pub window_minutes: u32,
}

/// The zone-free rules of the "when" fields alone (the live preview needs only these).
pub fn validate_when(draft: &BookingDraft) -> Result<ValidWhen, FieldErrors> {
    fn ok<T>(r: Result<T, Violation>, errors: &mut FieldErrors) -> Option<T> {
        r.map_err(|v| errors.add(v)).ok()
    }
    let mut errors = FieldErrors::default();
    let first_date = ok(
        parse_date(&draft.first_date, Violation::FirstDateInvalid),
        &mut errors,
    );
    // A single booking has one date; the last date only matters when it repeats.
    let last_date = match draft.repeat {
        RepeatKind::Single => first_date,
        RepeatKind::Daily | RepeatKind::Weekly => ok(
            parse_date(&draft.last_date, Violation::LastDateInvalid),
            &mut errors,
        ),
    };
    if let (Some(first), Some(last)) = (first_date, last_date)
        && last < first
    {
        errors.add(Violation::DatesReversed);
    }
    let days = match draft.repeat {
        RepeatKind::Weekly => draft.days.clone(),
        RepeatKind::Single | RepeatKind::Daily => Vec::new(),
    };
    let repeat = ok(check_repeat(draft.repeat, days), &mut errors);
    let start_time = ok(parse_start_time(&draft.start_time), &mut errors);
    let window = ok(
        draft
            .window_minutes
            .trim()
            .parse::<i64>()
            .map_err(|_| Violation::WindowNotANumber)
            .and_then(check_window),
        &mut errors,
    );

    match (first_date, last_date, repeat, start_time, window) {
        (
            Some(first_date),
            Some(last_date),
            Some(repeat),
            Some(start_time),
            Some(window_minutes),
        ) if errors.is_empty() => Ok(ValidWhen {
            first_date,
            last_date,
            repeat,
            start_time,
            window_minutes,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_refused_at_their_field() {
        for bad in [
            "Ann\u{0}",
            "Ann\r\nBcc: x",
            "\u{202E}nnA",
            "A\u{2066}b",
            "tab\there",
        ] {
            assert!(
                matches!(
                    check_name(bad),
                    Err(Violation::HiddenCharacters { field: Field::Name })
                ),
                "{bad:?}"
            );
            assert!(
                check_required(Field::Customer, bad, "a name", 100).is_err(),
                "{bad:?}"
            );
        }
        // Line breaks belong in multi-line fields; NUL and overrides never do.
        assert!(check_cancel_reason("Site closed.\nKeys returned.").is_ok());
        assert!(check_cancel_reason("Closed\u{0}").is_err());
        assert!(check_cancel_reason("\u{202E}desolc").is_err());
        assert!(check_email("ann@exa\u{202E}mple.com").is_err());
        assert!(check_location(Some("1 High St\n2"), None, None).is_err());
        assert!(check_name("Zoë's café — night patrol").is_ok());
    }

    /// Daily at 22:00 for an hour, from `first` to `last`.
    fn when(first: &str, last: &str) -> ValidWhen {
        ValidWhen {
            first_date: first.parse().expect("first"),
            last_date: last.parse().expect("last"),
            repeat: Repeat::Daily,
            start_time: NaiveTime::from_hms_opt(22, 0, 0).expect("time"),
            window_minutes: 60,
        }
    }

    #[test]
    fn dates_run_from_yesterday_to_five_years_ahead() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        assert!(check_date_range(&when("2026-11-26", "2031-11-27"), today).is_ok());
        let errors =
            check_date_range(&when("2026-11-25", "2031-11-28"), today).expect_err("both ends");
        assert!(
            errors
                .get(Field::FirstDate)
                .is_some_and(|m| m.contains("has passed"))
        );
        assert!(
            errors
                .get(Field::LastDate)
                .is_some_and(|m| m.contains("5 years") && m.contains("2031-11-27"))
        );
        // chrono reads years past 9999 with a sign: refused at the field, never expanded.
        let far = when("2026-12-01", "+262142-12-31");
        assert!(check_date_range(&far, today).is_err());
    }

    #[test]
    fn the_date_range_holds_across_a_year_end_and_from_a_leap_day() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        // Five years from a leap day end on the 28th: that year has no 29 February.
        assert_eq!(latest_date(day("2028-02-29")), day("2033-02-28"));
        assert_eq!(latest_date(day("2026-12-31")), day("2031-12-31"));
        assert_eq!(latest_date(day("2027-02-28")), day("2032-02-28"));
        // Yesterday across the year's end, and the leap day itself as yesterday.
        assert!(check_date_range(&when("2026-12-31", "2027-01-31"), day("2027-01-01")).is_ok());
        assert!(check_date_range(&when("2026-12-30", "2027-01-31"), day("2027-01-01")).is_err());
        assert!(check_date_range(&when("2028-02-29", "2033-02-28"), day("2028-03-01")).is_ok());
        assert!(check_date_range(&when("2028-02-29", "2033-03-01"), day("2028-02-29")).is_err());
    }

    fn good_draft() -> BookingDraft {
        BookingDraft {
            idempotency_key: "k1".into(),
            unlock_time: String::new(),
            customer_id: None,
            service_type: Some(ServiceType::Patrol),
            name: " Warehouse night patrol ".into(),
            special_instructions: "Check the loading-bay shutters".into(),
            number_of_guards: "2".into(),
            armed_preference: ArmedPreference::Unarmed,
            contacts: vec![
                ContactDraft {
                    name: "Site manager".into(),
                    mobile: "+44 7700 900123".into(),
                },
                ContactDraft::default(),
            ],
            site_id: None,
            address: "1 Example Street, London".into(),
            latitude: "51.5072".into(),
            longitude: "-0.1276".into(),
            timezone: "Europe/London".into(),
            first_date: "2026-12-01".into(),
            last_date: "2026-12-31".into(),
            repeat: RepeatKind::Weekly,
            days: vec![Weekday::Fri, Weekday::Mon],
            start_time: "22:00".into(),
            window_minutes: "90".into(),
        }
    }

    #[test]
    fn a_complete_draft_is_valid_and_normalised() {
        let v = validate_draft(&good_draft(), &ServiceType::ALL).expect("valid");
        assert_eq!(v.name, "Warehouse night patrol");
        assert_eq!(
            v.when.repeat,
            Repeat::Weekly(vec![Weekday::Mon, Weekday::Fri])
        );
        assert_eq!(v.contacts.len(), 1, "the empty contact row is ignored");
        assert_eq!(v.number_of_guards, 2);
        match v.place {
            Place::New { location, timezone } => {
                assert_eq!(location.coordinates, Some((51.5072, -0.1276)));
                assert_eq!(timezone, "Europe/London");
            }
            other => panic!("unexpected place {other:?}"),
        }
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let draft = BookingDraft {
            service_type: Some(ServiceType::Guarding),
            name: "   ".into(),
            number_of_guards: "0".into(),
            armed_preference: ArmedPreference::Armed,
            contacts: vec![ContactDraft {
                name: "".into(),
                mobile: "12".into(),
            }],
            address: "".into(),
            latitude: "".into(),
            longitude: "".into(),
            timezone: "".into(),
            first_date: "2026-12-10".into(),
            last_date: "2026-12-01".into(),
            repeat: RepeatKind::Weekly,
            days: vec![],
            start_time: "25:00".into(),
            window_minutes: "1441".into(),
            ..good_draft()
        };
        let errors = validate_draft(&draft, &[ServiceType::Patrol]).expect_err("invalid");
        let expect = [
            (Field::ServiceType, "not enabled"),
            (Field::Name, "Give the booking a name."),
            (Field::NumberOfGuards, "At least one guard"),
            (Field::ContactName(0), "contact's name"),
            (Field::ContactMobile(0), "at least 7 digits"),
            (Field::Address, "address, coordinates, or both"),
            (Field::Timezone, "time zone"),
            (Field::LastDate, "cannot be before"),
            (Field::Days, "at least one day"),
            (Field::StartTime, "HH:MM"),
            (Field::WindowMinutes, "1 to 1440"),
        ];
        for (field, text) in expect {
            let got = errors
                .get(field)
                .unwrap_or_else(|| panic!("no error for {field:?}: {errors:?}"));
            assert!(got.contains(text), "{field:?}: {got}");
        }
        assert_eq!(errors.0.len(), expect.len());
    }

    #[test]
    fn single_bookings_ignore_the_last_date() {
        let draft = BookingDraft {
            repeat: RepeatKind::Single,
            last_date: "".into(),
            days: vec![],
            ..good_draft()
        };
        let v = validate_draft(&draft, &ServiceType::ALL).expect("valid");
        assert_eq!(v.when.last_date, v.when.first_date);
        assert_eq!(v.when.repeat, Repeat::Single);
    }

    #[test]
    fn saved_site_needs_no_location_fields() {
        let draft = BookingDraft {
            site_id: Some(7),
            address: "".into(),
            latitude: "".into(),
            longitude: "".into(),
            timezone: "".into(),
            ..good_draft()
        };
        assert_eq!(
            validate_draft(&draft, &ServiceType::ALL)
                .expect("valid")
                .place,
            Place::SavedSite(7)
        );
    }

    #[test]
    fn location_rules() {
        assert_eq!(
            check_location(None, None, None),
            Err(Violation::LocationMissing)
        );
        assert_eq!(
            check_location(Some("  "), None, None),
            Err(Violation::LocationMissing)
        );
        assert_eq!(
            check_location(None, Some(1.0), None),
            Err(Violation::CoordinatesIncomplete)
        );
        assert_eq!(
            check_location(None, Some(91.0), Some(0.0)),
            Err(Violation::LatitudeInvalid)
        );
        assert_eq!(
            check_location(None, Some(0.0), Some(-180.5)),
            Err(Violation::LongitudeInvalid)
        );
        assert!(check_location(None, Some(0.0), Some(0.0)).is_ok());
        assert!(check_location(Some("1 High St"), None, None).is_ok());
    }

    #[test]
    fn number_rules() {
        assert_eq!(check_guards(0), Err(Violation::GuardsBelowOne));
        assert_eq!(check_guards(1), Ok(1));
        assert_eq!(check_window(0), Err(Violation::WindowOutOfRange));
        assert_eq!(check_window(1), Ok(1));
        assert_eq!(check_window(1440), Ok(1440));
        assert_eq!(check_window(1441), Err(Violation::WindowOutOfRange));
        let d = BookingDraft {
            number_of_guards: "two".into(),
            window_minutes: "1.5".into(),
            ..good_draft()
        };
        let e = validate_draft(&d, &ServiceType::ALL).expect_err("invalid");
        assert_eq!(
            e.get(Field::NumberOfGuards),
            Some(Violation::GuardsNotANumber.message().as_str())
        );
        assert_eq!(
            e.get(Field::WindowMinutes),
            Some(Violation::WindowNotANumber.message().as_str())
        );
    }

    #[test]
    fn mobile_rules() {
        assert!(check_mobile("+44 7700 900123").is_ok());
        assert!(check_mobile("(212) 555-0100").is_ok());
        assert!(check_mobile("555").is_err());
        assert!(check_mobile("call me").is_err());
        assert!(check_mobile("44+7700900123").is_err());
    }

    #[test]
    fn start_time_accepts_browser_formats() {
        assert_eq!(
            parse_start_time("22:00"),
            Ok(NaiveTime::from_hms_opt(22, 0, 0).expect("time"))
        );
        assert_eq!(
            parse_start_time("07:05:00"),
            Ok(NaiveTime::from_hms_opt(7, 5, 0).expect("time"))
        );
        assert_eq!(parse_start_time("7pm"), Err(Violation::StartTimeInvalid));
    }

    #[test]
    fn timing_enforces_the_lead_time_on_the_first_window() {
        use chrono_tz::Europe::London;
        let now = DateTime::parse_from_rfc3339("2026-12-01T21:56:00Z")
            .expect("rfc3339")
            .with_timezone(&Utc);
        let (date_from, date_to) = super::super::schedule::local_date_span(
            &London,
            NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        );
        let at = |h, m| Schedule {
            date_from,
            date_to,
            repeat: Repeat::Single,
            start_time: NaiveTime::from_hms_opt(h, m, 0).expect("time"),
            window_minutes: 30,
        };
        // 4 minutes ahead: refused. Exactly 5: accepted.
        assert!(matches!(
            check_timing(&at(22, 0), &London, now),
            Err(Violation::TooSoon { .. })
        ));
        assert!(check_timing(&at(22, 1), &London, now).is_ok());
        // Already past.
        assert!(matches!(
            check_timing(&at(9, 0), &London, now),
            Err(Violation::TooSoon { .. })
        ));
        let never = Schedule {
            repeat: Repeat::Weekly(vec![Weekday::Sun]),
            ..at(23, 0)
        };
        assert_eq!(
            check_timing(&never, &London, now),
            Err(Violation::NoOccurrences)
        );
    }
}

#[cfg(test)]
mod date_text_tests {
    use super::*;

    #[test]
    fn dates_and_times_are_read_strictly_and_written_as_the_forms_write_them() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 8).expect("date");
        assert_eq!(
            parse_date(" 2027-03-08 ", Violation::StartTimeInvalid),
            Ok(d)
        );
        assert_eq!(iso_date(d), "2027-03-08");
        assert_eq!(
            parse_date("+262142-12-31", Violation::StartTimeInvalid),
            Ok(NaiveDate::from_ymd_opt(262_142, 12, 31).expect("date")),
            "read, for the date range to refuse"
        );
        for bad in [
            "2027-3-8",
            "2027-02-30",
            "1234567-01-01",
            "-2027-01-01",
            "27-03-08",
            "2027-03-08x",
            "2027/03/08",
            "２０２７-03-08",
            "",
        ] {
            assert!(
                parse_date(bad, Violation::StartTimeInvalid).is_err(),
                "{bad:?}"
            );
        }
        let t = NaiveTime::from_hms_opt(21, 30, 0).expect("time");
        assert_eq!(parse_start_time("21:30"), Ok(t));
        assert_eq!(parse_start_time("21:30:00"), Ok(t));
        assert_eq!(format_start_time(t), "21:30");
        for bad in [
            "9:30",
            "24:00",
            "21:60",
            "21:30:",
            "21:30:00:00",
            "21-30",
            "",
            "ab:cd",
        ] {
            assert_eq!(
                parse_start_time(bad),
                Err(Violation::StartTimeInvalid),
                "{bad:?}"
            );
        }
    }
}
