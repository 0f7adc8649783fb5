//! The booking as a person fills it in, and every rule it must satisfy.
//!
//! `validate_draft` holds the zone-free rules and runs in the browser (instant feedback) and on the
//! server (the authority). `check_timing` needs a time zone and so runs on the server and in the
//! sandbox. Every message comes from `Violation::message`, so the form, the server and the sandbox
//! word a problem the same way.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::dates::{digits, read_iso_date};
use crate::fields::{Field, FieldErrors, Violation, check_visible};
use crate::limits::*;
use crate::schedule::{LEAD_TIME_MINUTES, MAX_WINDOW_MINUTES, Occurrence, Schedule};
use crate::service::{ArmedPreference, Repeat, RepeatKind, ServiceType};

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

// --- Single rules, shared with the sandbox's checks of AURA wire bodies. ---

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
mod tests;
