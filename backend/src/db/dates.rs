//! How dates and instants are stored: as integers, which compare as dates do at any year.
//!
//! A date is days since 1970-01-01; an instant is whole seconds since 1970-01-01T00:00:00Z. The
//! conversion happens here, once, in both directions; a stored number outside chrono's calendar is
//! a decode error, never a panic.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A calendar date as stored: days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredDate(pub NaiveDate);

/// An instant as stored: whole seconds since 1970-01-01T00:00:00Z (a fraction is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredInstant(pub DateTime<Utc>);

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(day) => day,
    None => NaiveDate::MIN, // unreachable: the date exists
};

impl StoredDate {
    pub fn days(self) -> i64 {
        (self.0 - EPOCH).num_days()
    }

    pub fn from_days(days: i64) -> Option<Self> {
        EPOCH
            .checked_add_signed(chrono::Duration::try_days(days)?)
            .map(StoredDate)
    }
}

impl StoredInstant {
    pub fn seconds(self) -> i64 {
        self.0.timestamp()
    }

    pub fn from_seconds(seconds: i64) -> Option<Self> {
        DateTime::from_timestamp(seconds, 0).map(StoredInstant)
    }
}

macro_rules! stored_as_integer {
    ($ty:ty, $to:ident, $from:ident, $what:literal) => {
        impl<DB: Database> Type<DB> for $ty
        where
            i64: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $ty
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                self.$to().encode_by_ref(buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let n = <i64 as Decode<'r, DB>>::decode(value)?;
                <$ty>::$from(n)
                    .ok_or_else(|| format!(concat!($what, " {} is outside the calendar"), n).into())
            }
        }
    };
}

stored_as_integer!(StoredDate, days, from_days, "day");
stored_as_integer!(StoredInstant, seconds, from_seconds, "second");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_epoch_is_zero_and_order_is_kept_past_year_9999() {
        assert_eq!(StoredDate(EPOCH).days(), 0);
        let late = NaiveDate::from_ymd_opt(262_142, 12, 31).expect("date");
        let now = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        assert!(StoredDate(late).days() > StoredDate(now).days());
        assert_eq!(
            StoredDate::from_days(StoredDate(late).days()),
            Some(StoredDate(late))
        );
        assert_eq!(StoredDate::from_days(i64::MAX), None);
        assert_eq!(StoredInstant::from_seconds(i64::MIN), None);
    }

    proptest! {
        /// Every date chrono holds survives the trip, and integer order is date order.
        #[test]
        fn dates_round_trip_in_order(a in -95_000_000i64..95_000_000, b in -95_000_000i64..95_000_000) {
            if let (Some(x), Some(y)) = (StoredDate::from_days(a), StoredDate::from_days(b)) {
                prop_assert_eq!(x.days(), a);
                prop_assert_eq!(x.0 < y.0, a < b);
            }
        }

        #[test]
        fn instants_round_trip(s in -8_000_000_000_000i64..8_000_000_000_000) {
            if let Some(x) = StoredInstant::from_seconds(s) {
                prop_assert_eq!(x.seconds(), s);
            }
        }
    }
}
