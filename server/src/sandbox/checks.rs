//! The rules the sandbox applies to a create body, as AURA would: every zone-free rule of the
//! booking form, read off the wire body, first problem first.

use backend::aura::wire::CreateScheduledRequest;
use domain::{
    ArmedPreference, Contact, Location, RepeatKind, Schedule, Violation, check_guards,
    check_location, check_mobile, check_name, check_repeat, check_window, parse_start_time,
    weekday_from_code,
};

/// A create body that passed every zone-free rule, as the sandbox sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCreate {
    pub name: String,
    pub number_of_guards: u32,
    pub armed_preference: ArmedPreference,
    pub contacts: Vec<Contact>,
    pub location: Location,
    pub schedule: Schedule,
    pub timezone: String,
}

/// The zone-free rules applied to a wire body, first problem first. Zone lookup and the lead time
/// are the caller's (they need the zone database and a clock).
pub fn check_create(body: &CreateScheduledRequest) -> Result<CheckedCreate, Violation> {
    let config = &body.scheduled_request_config;
    let name = check_name(&config.name)?;
    let location = check_location(
        body.initial_location.formatted_address.as_deref(),
        body.initial_location.latitude,
        body.initial_location.longitude,
    )?;
    if config.date_to < config.date_from {
        return Err(Violation::DatesReversed);
    }
    let repeats = &config.repeats_config;
    let kind: RepeatKind = repeats
        .kind
        .parse()
        .map_err(|_| Violation::RepeatUnknown(repeats.kind.clone()))?;
    let days = repeats
        .days_of_week
        .iter()
        .map(|code| weekday_from_code(code).ok_or_else(|| Violation::DayUnknown(code.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let repeat = check_repeat(kind, days)?;
    let window_minutes = check_window(repeats.window_period_minutes)?;
    let number_of_guards = check_guards(config.number_of_guards)?;
    let armed_preference: ArmedPreference = config
        .armed_preference
        .parse()
        .map_err(|_| Violation::ArmedPreferenceUnknown(config.armed_preference.clone()))?;
    let contacts = config
        .contacts
        .iter()
        .map(|c| {
            let name = c.name.trim();
            if name.is_empty() {
                return Err(Violation::ContactNameMissing);
            }
            Ok(Contact {
                name: name.to_string(),
                mobile: check_mobile(&c.mobile)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if repeats.timezone.trim().is_empty() {
        return Err(Violation::TimezoneMissing);
    }
    let start_time = parse_start_time(&repeats.start_time)?;
    Ok(CheckedCreate {
        name,
        number_of_guards,
        armed_preference,
        contacts,
        location,
        schedule: Schedule {
            date_from: config.date_from,
            date_to: config.date_to,
            repeat,
            start_time,
            window_minutes,
        },
        timezone: repeats.timezone.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_body_parses_and_passes_the_checks() {
        let body = r#"{
          "customerId": 178921,
          "scheduledRequestConfig": {
            "name": "Warehouse night patrol",
            "specialInstructions": "Check the loading-bay shutters",
            "numberOfGuards": 2,
            "armedPreference": "unarmed",
            "contacts": [ { "name": "Site manager", "mobile": "+447700900123" } ],
            "dateFrom": "2026-12-01T00:00:00Z",
            "dateTo": "2026-12-31T23:59:59Z",
            "repeatsConfig": { "type": "weekly", "daysOfWeek": ["MON", "WED", "FRI"], "startTime": "22:00",
                               "windowPeriodMinutes": 90, "timezone": "Europe/London" }
          },
          "initialLocation": { "latitude": 51.5072, "longitude": -0.1276, "formattedAddress": "1 Example Street, London" }
        }"#;
        let parsed: CreateScheduledRequest = serde_json::from_str(body).expect("contract example");
        let checked = check_create(&parsed).expect("valid");
        assert_eq!(
            checked.schedule.repeat.describe(),
            "Weekly on Mon, Wed, Fri"
        );
        assert_eq!(checked.number_of_guards, 2);
        // Round trip: what we send is what we read.
        let again: CreateScheduledRequest =
            serde_json::from_str(&serde_json::to_string(&parsed).expect("ser")).expect("de");
        assert_eq!(again, parsed);
    }
}
