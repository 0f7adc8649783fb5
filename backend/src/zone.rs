//! IANA time zones as a typed value: parsed once where a name enters (a form, the database, the
//! command line), so nothing downstream handles an unknown zone.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;

use domain::Violation;

/// A known IANA zone, stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(pub Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> &Tz {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known IANA time zone")]
pub struct UnknownZone(pub String);

impl FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        name.trim()
            .parse::<Tz>()
            .map(Zone)
            .map_err(|_| UnknownZone(name.to_string()))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A zone a person picked or typed, with the form's wording when it is missing or unknown. The one
/// zone rule of the booking form and the customer and site forms.
pub fn check_zone(name: &str) -> Result<Zone, Violation> {
    match name.trim() {
        "" => Err(Violation::TimezoneMissing),
        // No IANA name is this long; the message would only repeat a paste.
        name if name.chars().count() > 64 => Err(Violation::TimezoneUnknown(
            name.chars().take(40).chain("…".chars()).collect(),
        )),
        name => name
            .parse()
            .map_err(|_| Violation::TimezoneUnknown(name.to_string())),
    }
}

/// Every IANA zone name, for zone pickers.
pub fn zone_names() -> Vec<String> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name().to_string())
        .collect()
}

domain::keyed::stored_as_text!(Zone, name);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_alike() {
        let z: Zone = " Europe/London".parse().expect("zone");
        assert_eq!(z.name(), "Europe/London");
        assert_eq!(z.to_string(), "Europe/London");
        assert!("Mars/Olympus".parse::<Zone>().is_err());
        assert!(zone_names().iter().any(|n| n == "America/New_York"));
        assert_eq!(check_zone("  "), Err(Violation::TimezoneMissing));
        assert_eq!(
            check_zone(" Mars/Base "),
            Err(Violation::TimezoneUnknown("Mars/Base".into()))
        );
        assert_eq!(check_zone("Europe/London"), Ok(z));
    }
}
