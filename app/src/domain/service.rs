//! The kinds of scheduled service and the closed vocabularies of a booking.

use std::fmt;
use std::str::FromStr;

use chrono::Weekday;
use serde::{Deserialize, Serialize};

/// The six service families AURA documents. Which of them a deployment offers, and the AURA slug for
/// each, is configuration (see `server::config`); this enum is the dashboard's own stable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ServiceType {
    Patrol,
    LockUnlock,
    VacantProperty,
    OccupiedInspection,
    Guarding,
    Escort,
}

impl ServiceType {
    pub const ALL: [ServiceType; 6] = [
        ServiceType::Patrol,
        ServiceType::LockUnlock,
        ServiceType::VacantProperty,
        ServiceType::OccupiedInspection,
        ServiceType::Guarding,
        ServiceType::Escort,
    ];

    /// The key used in our database, URLs and CSS classes; also AURA's default slug.
    pub fn key(self) -> &'static str {
        match self {
            ServiceType::Patrol => "patrol",
            ServiceType::LockUnlock => "lockUnlock",
            ServiceType::VacantProperty => "vacantProperty",
            ServiceType::OccupiedInspection => "occupiedInspection",
            ServiceType::Guarding => "guarding",
            ServiceType::Escort => "escort",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceType::Patrol => "Mobile patrol",
            ServiceType::LockUnlock => "Lock / unlock",
            ServiceType::VacantProperty => "Vacant property protection",
            ServiceType::OccupiedInspection => "Occupied property inspection",
            ServiceType::Guarding => "Guarding",
            ServiceType::Escort => "Escort",
        }
    }
}

impl fmt::Display for ServiceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for ServiceType {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceType::ALL
            .into_iter()
            .find(|t| t.key() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ArmedPreference {
    Armed,
    Unarmed,
    #[default]
    NoPreference,
}

impl ArmedPreference {
    pub const ALL: [ArmedPreference; 3] = [
        ArmedPreference::NoPreference,
        ArmedPreference::Unarmed,
        ArmedPreference::Armed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ArmedPreference::Armed => "armed",
            ArmedPreference::Unarmed => "unarmed",
            ArmedPreference::NoPreference => "noPreference",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ArmedPreference::Armed => "Armed",
            ArmedPreference::Unarmed => "Unarmed",
            ArmedPreference::NoPreference => "No preference",
        }
    }
}

impl FromStr for ArmedPreference {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArmedPreference::ALL
            .into_iter()
            .find(|a| a.key() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

/// How often a booking repeats. Weekly days are kept in Monday-first order without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "days", rename_all = "camelCase")]
pub enum Repeat {
    Single,
    Daily,
    Weekly(Vec<Weekday>),
}

impl Repeat {
    pub fn kind(&self) -> RepeatKind {
        match self {
            Repeat::Single => RepeatKind::Single,
            Repeat::Daily => RepeatKind::Daily,
            Repeat::Weekly(_) => RepeatKind::Weekly,
        }
    }

    /// Builds a weekly rule with days sorted Monday first and de-duplicated.
    pub fn weekly(days: impl IntoIterator<Item = Weekday>) -> Repeat {
        let mut days: Vec<Weekday> = days.into_iter().collect();
        days.sort_by_key(|d| d.num_days_from_monday());
        days.dedup();
        Repeat::Weekly(days)
    }

    pub fn describe(&self) -> String {
        match self {
            Repeat::Single => "Once".to_string(),
            Repeat::Daily => "Every day".to_string(),
            Repeat::Weekly(days) => {
                let names: Vec<&str> = days.iter().map(|d| weekday_short_name(*d)).collect();
                format!("Weekly on {}", names.join(", "))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum RepeatKind {
    #[default]
    Single,
    Daily,
    Weekly,
}

impl RepeatKind {
    pub const ALL: [RepeatKind; 3] = [RepeatKind::Single, RepeatKind::Daily, RepeatKind::Weekly];

    pub fn key(self) -> &'static str {
        match self {
            RepeatKind::Single => "single",
            RepeatKind::Daily => "daily",
            RepeatKind::Weekly => "weekly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RepeatKind::Single => "Once",
            RepeatKind::Daily => "Every day",
            RepeatKind::Weekly => "Weekly on chosen days",
        }
    }
}

impl FromStr for RepeatKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RepeatKind::ALL
            .into_iter()
            .find(|k| k.key() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// ISO three-letter upper-case day code, as in `repeatsConfig.daysOfWeek`.
pub fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MON",
        Weekday::Tue => "TUE",
        Weekday::Wed => "WED",
        Weekday::Thu => "THU",
        Weekday::Fri => "FRI",
        Weekday::Sat => "SAT",
        Weekday::Sun => "SUN",
    }
}

pub fn weekday_from_code(code: &str) -> Option<Weekday> {
    WEEKDAYS
        .into_iter()
        .find(|d| weekday_code(*d).eq_ignore_ascii_case(code))
}

pub fn weekday_short_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for t in ServiceType::ALL {
            assert_eq!(t.key().parse::<ServiceType>(), Ok(t));
        }
        for a in ArmedPreference::ALL {
            assert_eq!(a.key().parse::<ArmedPreference>(), Ok(a));
        }
        for d in WEEKDAYS {
            assert_eq!(weekday_from_code(weekday_code(d)), Some(d));
        }
        assert!("Patrol".parse::<ServiceType>().is_err());
    }

    #[test]
    fn weekly_days_are_sorted_and_unique() {
        let r = Repeat::weekly([Weekday::Fri, Weekday::Mon, Weekday::Fri]);
        assert_eq!(r, Repeat::Weekly(vec![Weekday::Mon, Weekday::Fri]));
        assert_eq!(r.describe(), "Weekly on Mon, Fri");
    }
}
