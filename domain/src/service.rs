//! The kinds of scheduled service and the closed vocabularies of a booking.

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use crate::keyed::{UnknownKey, keyed_enum};

keyed_enum! {
    /// The six service families AURA documents. Which of them a deployment offers, and the AURA slug
    /// for each, is configuration (see `server::aura::wire::ServiceCatalog`); this enum is the
    /// dashboard's own stable key (also AURA's default slug).
    #[derive(PartialOrd, Ord)]
    pub enum ServiceType {
        Patrol = "patrol",
        LockUnlock = "lockUnlock",
        VacantProperty = "vacantProperty",
        OccupiedInspection = "occupiedInspection",
        Guarding = "guarding",
        Escort = "escort",
    }
}

impl ServiceType {
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

keyed_enum! {
    /// Which half of a lock/unlock pair a booking is: the lock at close, or the unlock the next
    /// morning (two AURA requests, linked here).
    pub enum PairRole {
        Lock = "lock",
        Unlock = "unlock",
    }
}

impl PairRole {
    pub fn label(self) -> &'static str {
        match self {
            PairRole::Lock => "lock",
            PairRole::Unlock => "unlock",
        }
    }

    pub fn other(self) -> PairRole {
        match self {
            PairRole::Lock => PairRole::Unlock,
            PairRole::Unlock => PairRole::Lock,
        }
    }
}

keyed_enum! {
    #[derive(Default)]
    pub enum ArmedPreference {
        #[default]
        NoPreference = "noPreference",
        Unarmed = "unarmed",
        Armed = "armed",
    }
}

impl ArmedPreference {
    pub fn label(self) -> &'static str {
        match self {
            ArmedPreference::Armed => "Armed",
            ArmedPreference::Unarmed => "Unarmed",
            ArmedPreference::NoPreference => "No preference",
        }
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
    /// The same rule a day later: weekly days move one day on (a lock on Friday evening is
    /// unlocked on Saturday morning).
    pub fn next_day(&self) -> Repeat {
        match self {
            Repeat::Weekly(days) => Repeat::weekly(days.iter().map(|d| d.succ())),
            other => other.clone(),
        }
    }

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

    /// The weekly days as AURA's codes, e.g. `MON,FRI` (empty for single and daily).
    pub fn day_codes(&self) -> String {
        match self {
            Repeat::Weekly(days) => days
                .iter()
                .map(|d| weekday_code(*d))
                .collect::<Vec<_>>()
                .join(","),
            Repeat::Single | Repeat::Daily => String::new(),
        }
    }

    /// The rule of `kind` on the days `codes` lists (as `day_codes` writes them).
    pub fn from_parts(kind: RepeatKind, codes: &str) -> Result<Repeat, UnknownKey> {
        Ok(match kind {
            RepeatKind::Single => Repeat::Single,
            RepeatKind::Daily => Repeat::Daily,
            RepeatKind::Weekly => Repeat::weekly(
                codes
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(|c| weekday_from_code(c).ok_or_else(|| UnknownKey(c.to_string())))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        })
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

keyed_enum! {
    #[derive(Default)]
    pub enum RepeatKind {
        #[default]
        Single = "single",
        Daily = "daily",
        Weekly = "weekly",
    }
}

impl RepeatKind {
    pub fn label(self) -> &'static str {
        match self {
            RepeatKind::Single => "Once",
            RepeatKind::Daily => "Every day",
            RepeatKind::Weekly => "Weekly on chosen days",
        }
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
