//! Telling people, as rules: which notices a booking's history entry gives, who receives each,
//! how a person may choose to hear of them, and when quiet hours let mail go out. Storage writes a
//! notice for every receiver in the transaction of the entry that causes it (`backend::db::notices`);
//! the sending worker mails it (`backend::mail`).

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

use crate::keyed::keyed_enum;
use crate::lifecycle::EventKind;
use crate::model::Role;

keyed_enum! {
    /// Something a person must hear about.
    pub enum Notice {
        /// AURA refused a booking: nothing is scheduled.
        Refused = "refused",
        /// A booking could not be sent before its first window: nothing is scheduled.
        Lapsed = "lapsed",
        /// A call's outcome is unknown: AURA may hold the booking; a person checks.
        Unknown = "unknown",
        /// Someone checked with AURA about a booking whose outcome was unknown.
        Resolved = "resolved",
        /// A booking was booked or cancelled by staff on the customer's behalf.
        OnBehalf = "on_behalf",
        /// A cancel asked less than a day before a window (or while one was open).
        LateCancel = "late_cancel",
        /// AURA refused to cancel a booking: it stays scheduled.
        CancelRefused = "cancel_refused",
        /// AURA has not answered for a while and bookings are waiting to be sent.
        AuraUnreachable = "aura_unreachable",
        /// A change of plans was not carried out: its new version was refused or not sent, and
        /// the booking stands as it was.
        ChangeRefused = "change_refused",
        /// A change of plans could not cancel the original: AURA holds both. A person decides.
        ChangeStuck = "change_stuck",
    }
}

keyed_enum! {
    /// How a person hears of one kind of notice by mail (the inbox always has it).
    pub enum Delivery {
        /// A mail at once (after quiet hours, if they are on).
        Instant = "instant",
        /// In the morning digest.
        Digest = "digest",
        /// No mail.
        Off = "off",
    }
}

keyed_enum! {
    /// What a mail carries.
    pub enum MailKind {
        /// One notice (see `notifications`).
        Notice = "notice",
        /// The morning digest of one person's day.
        Digest = "digest",
        /// A password reset link.
        PasswordReset = "password_reset",
    }
}

keyed_enum! {
    /// Where a mail stands.
    pub enum MailStatus {
        /// Not handed to the SMTP server yet: due at `next_attempt_at` (a retry when attempts > 0).
        Pending = "pending",
        /// The SMTP server took it.
        Sent = "sent",
        /// The SMTP server refused it for good (5xx), or it no longer had a reason to go out.
        Failed = "failed",
        /// Nothing to say (an empty digest): not sent.
        Skipped = "skipped",
    }
}

impl Delivery {
    pub fn label(self) -> &'static str {
        match self {
            Delivery::Instant => "At once",
            Delivery::Digest => "In the morning digest",
            Delivery::Off => "Not by mail",
        }
    }
}

/// When the morning digest goes out, in each person's own zone.
pub const DIGEST_AT: NaiveTime = match NaiveTime::from_hms_opt(7, 0, 0) {
    Some(t) => t,
    None => panic!("07:00 is a time"),
};

/// A digest not sent by this local time (the dashboard was down all morning) is skipped that day.
pub const DIGEST_UNTIL: NaiveTime = match NaiveTime::from_hms_opt(12, 0, 0) {
    Some(t) => t,
    None => panic!("12:00 is a time"),
};

/// How long AURA may go without an answer, with bookings waiting, before administrators are told.
pub const UNREACHABLE_AFTER_MINUTES: i64 = 15;

/// How long a password reset link works.
pub const RESET_VALID_MINUTES: i64 = 30;

impl Notice {
    /// How the preferences and the inbox name it.
    pub fn label(self) -> &'static str {
        match self {
            Notice::Refused => "AURA refused a booking",
            Notice::Lapsed => "A booking could not be sent in time",
            Notice::Unknown => "AURA's answer is unknown (being checked)",
            Notice::Resolved => "A booking being checked was resolved",
            Notice::OnBehalf => "Booked or cancelled on your customer's behalf",
            Notice::LateCancel => "A late cancellation",
            Notice::CancelRefused => "AURA refused a cancellation",
            Notice::AuraUnreachable => "AURA unreachable with bookings waiting",
            Notice::ChangeRefused => "A change of plans was not carried out",
            Notice::ChangeStuck => "A change of plans is stuck (AURA holds both versions)",
        }
    }

    /// The roles that receive it: customers hear about their own bookings, account managers about
    /// their customers', administrators about what only they can act on.
    pub fn reaches(self, role: Role) -> bool {
        use Role::{AccountManager as M, Admin as A, Customer as C};
        let roles: &[Role] = match self {
            Notice::Refused
            | Notice::Lapsed
            | Notice::CancelRefused
            | Notice::ChangeRefused
            | Notice::ChangeStuck => &[C, M],
            Notice::Unknown | Notice::Resolved => &[C, M, A],
            Notice::OnBehalf => &[C],
            Notice::LateCancel => &[M],
            Notice::AuraUnreachable => &[A],
        };
        roles.contains(&role)
    }

    /// The notices a person of `role` may receive (their preferences list these).
    pub fn for_role(role: Role) -> impl Iterator<Item = Notice> {
        Notice::ALL.into_iter().filter(move |n| n.reaches(role))
    }

    /// The notices a history entry gives. `by_person`: a signed-in person (or a customer's system
    /// through its API key) made it (the dashboard's own follow-up entries, such as a cancel
    /// carried out once AURA's answer came, tell nobody again); `on_behalf`: staff did it for the customer; `late`: a cancel asked less than a day
    /// before a window.
    pub fn for_event(kind: EventKind, by_person: bool, on_behalf: bool, late: bool) -> Vec<Notice> {
        match kind {
            EventKind::Rejected => vec![Notice::Refused],
            EventKind::Lapsed => vec![Notice::Lapsed],
            EventKind::OutcomeUnknown => vec![Notice::Unknown],
            EventKind::ResolvedHeld | EventKind::ResolvedNotHeld => vec![Notice::Resolved],
            EventKind::CancelRefused => vec![Notice::CancelRefused],
            EventKind::Saved | EventKind::ChangeAsked if by_person && on_behalf => {
                vec![Notice::OnBehalf]
            }
            EventKind::ChangeRefused => vec![Notice::ChangeRefused],
            EventKind::ChangeStuck => vec![Notice::ChangeStuck],
            EventKind::CancelRequested | EventKind::CancelledLocally if by_person => {
                let mut notices = Vec::new();
                if on_behalf {
                    notices.push(Notice::OnBehalf);
                }
                if late {
                    notices.push(Notice::LateCancel);
                }
                notices
            }
            _ => Vec::new(),
        }
    }

    /// Whether it waits for a person to act (shown as such in the inbox and the digest).
    pub fn needs_action(self) -> bool {
        matches!(
            self,
            Notice::Refused
                | Notice::Lapsed
                | Notice::Unknown
                | Notice::CancelRefused
                | Notice::AuraUnreachable
                | Notice::ChangeStuck
        )
    }
}

/// How a notice reads to one person: a headline, what it means, and what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wording {
    pub headline: &'static str,
    pub meaning: &'static str,
    /// What the person can do about it; empty when nothing.
    pub action: &'static str,
}

impl Notice {
    /// How it reads to a person of `role`; `kind` is the history entry that gave it (a booking
    /// made or cancelled on someone's behalf reads differently).
    pub fn wording(self, role: Role, kind: Option<EventKind>) -> Wording {
        let customer = role == Role::Customer;
        let (headline, meaning, action) = match self {
            Notice::Refused => (
                "AURA refused a booking",
                "AURA refused this booking, so nothing is scheduled.",
                if customer {
                    "Read AURA's reason on the booking's page, then book again with the change it needs."
                } else {
                    "Read AURA's reason on the booking's page; book again for the customer if it should go ahead."
                },
            ),
            Notice::Lapsed => (
                "A booking could not be sent to AURA in time",
                "Its first window came too near before AURA could be reached, so nothing is scheduled.",
                "Book it again from a later window if it is still needed.",
            ),
            Notice::Unknown if customer => (
                "A booking is being checked with AURA",
                "It was sent to AURA and no answer came back, so AURA may or may not have scheduled it. Your account manager is checking; you will hear once it is settled.",
                "",
            ),
            Notice::Unknown => (
                "AURA's answer is unknown: a person must check",
                "It was sent to AURA and no usable answer came back, so AURA may hold it. It is not sent again until someone checks.",
                "Ask AURA whether it holds this booking, then record the answer on its page.",
            ),
            Notice::Resolved => (
                "A booking being checked is settled",
                "Someone checked with AURA whether it holds this booking and recorded the answer.",
                "",
            ),
            Notice::OnBehalf => match kind {
                Some(EventKind::Saved) => (
                    "Booked on your behalf",
                    "Your account manager booked this for you.",
                    "",
                ),
                Some(EventKind::ChangeAsked) => (
                    "Changed on your behalf",
                    "Your account manager changed this booking for you (a new version, or dates skipped). The booking's page shows what changed.",
                    "",
                ),
                _ => (
                    "Cancelled on your behalf",
                    "Your account manager cancelled this booking for you: every future window is stopped.",
                    "",
                ),
            },
            Notice::LateCancel => (
                "A late cancellation",
                "This booking was cancelled less than a day before its next window (or while one was open).",
                "Check that the site and AURA's responders know in time.",
            ),
            Notice::CancelRefused => (
                "AURA refused to cancel a booking",
                "AURA refused the cancellation, so the booking is still scheduled.",
                "Read AURA's reason on the booking's page, and ask again or contact AURA.",
            ),
            Notice::ChangeRefused => (
                "A change of plans was not carried out",
                "AURA refused the new version (or it could not be sent in time), so the booking stands exactly as it was before the change.",
                "Read AURA's reason on the booking's page, and ask for the change again with what it needs.",
            ),
            Notice::ChangeStuck => (
                "A change is stuck: AURA holds both versions",
                "AURA holds the new version, but refused to cancel the original, so some windows may be booked twice.",
                "On the original booking's page, cancel it again, or cancel the new version to go back to the original.",
            ),
            Notice::AuraUnreachable => (
                "AURA has not answered for 15 minutes",
                "Bookings are waiting to be sent to AURA and every attempt for at least 15 minutes has failed. They are sent as soon as AURA answers.",
                "Check the AURA address and credentials, and AURA's status.",
            ),
        };
        Wording {
            headline,
            meaning,
            action,
        }
    }
}

/// Quiet hours in a person's own zone: from `from` to `to` (crossing midnight when `to` is
/// earlier). Mail due inside them goes out when they end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl QuietHours {
    /// When mail due at `due` may go out: `due` itself outside quiet hours, else the end of the
    /// quiet hours it falls in (the first instant the zone's clock reads `to` after `due`).
    pub fn release<Z: TimeZone>(&self, tz: &Z, due: DateTime<Utc>) -> DateTime<Utc> {
        if self.from == self.to {
            return due;
        }
        let local = due.with_timezone(tz).naive_local();
        let time = local.time();
        let inside = if self.from < self.to {
            time >= self.from && time < self.to
        } else {
            time >= self.from || time < self.to
        };
        if !inside {
            return due;
        }
        let mut day = local.date();
        if time >= self.to {
            day = day.succ_opt().unwrap_or(day);
        }
        // The local `to` of that day; on a clock-change night that skips it, an hour later.
        for candidate in [
            day.and_time(self.to),
            day.and_time(self.to) + Duration::hours(1),
        ] {
            if let Some(at) = tz.from_local_datetime(&candidate).earliest() {
                let at = at.with_timezone(&Utc);
                if at > due {
                    return at;
                }
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn events_give_the_notices_the_issue_names() {
        assert_eq!(
            Notice::for_event(EventKind::Rejected, false, false, false),
            [Notice::Refused]
        );
        assert_eq!(
            Notice::for_event(EventKind::Saved, true, false, false),
            Vec::<Notice>::new()
        );
        assert_eq!(
            Notice::for_event(EventKind::Saved, true, true, false),
            [Notice::OnBehalf]
        );
        assert_eq!(
            Notice::for_event(EventKind::CancelRequested, true, true, true),
            [Notice::OnBehalf, Notice::LateCancel]
        );
        assert_eq!(
            Notice::for_event(EventKind::CancelledLocally, true, false, true),
            [Notice::LateCancel]
        );
        // The worker's own entries after a cancel tell nobody again.
        assert!(Notice::for_event(EventKind::Cancelled, true, true, true).is_empty());
        assert!(Notice::for_event(EventKind::NotSent, false, false, false).is_empty());
        // The dashboard carrying out a cancel asked earlier: already told when it was asked.
        assert!(Notice::for_event(EventKind::CancelledLocally, false, true, true).is_empty());
    }

    #[test]
    fn each_notice_reaches_its_roles_only() {
        assert!(Notice::Refused.reaches(Role::Customer));
        assert!(Notice::Refused.reaches(Role::AccountManager));
        assert!(!Notice::Refused.reaches(Role::Admin));
        assert!(Notice::Unknown.reaches(Role::Admin));
        assert!(!Notice::OnBehalf.reaches(Role::AccountManager));
        assert!(!Notice::LateCancel.reaches(Role::Customer));
        assert_eq!(
            Notice::for_role(Role::Admin).collect::<Vec<_>>(),
            [Notice::Unknown, Notice::Resolved, Notice::AuraUnreachable]
        );
    }

    #[test]
    fn quiet_hours_hold_mail_until_they_end() {
        let night = QuietHours {
            from: t(22, 0),
            to: t(7, 0),
        };
        // Outside: at once.
        let noon = utc("2027-06-10T11:00:00Z");
        assert_eq!(night.release(&London, noon), noon);
        // 23:30 London (BST) → 07:00 London the next morning.
        assert_eq!(
            night.release(&London, utc("2027-06-10T22:30:00Z")),
            utc("2027-06-11T06:00:00Z")
        );
        // 03:00 London → 07:00 the same morning.
        assert_eq!(
            night.release(&London, utc("2027-06-11T02:00:00Z")),
            utc("2027-06-11T06:00:00Z")
        );
        // Across the spring clock change (28 March 2027: 01:00 → 02:00 GMT→BST).
        assert_eq!(
            night.release(&London, utc("2027-03-27T23:30:00Z")),
            utc("2027-03-28T06:00:00Z")
        );
        let lunch = QuietHours {
            from: t(12, 0),
            to: t(13, 0),
        };
        assert_eq!(
            lunch.release(&London, utc("2027-01-05T12:15:00Z")),
            utc("2027-01-05T13:00:00Z")
        );
        assert_eq!(
            lunch.release(&London, utc("2027-01-05T13:00:00Z")),
            utc("2027-01-05T13:00:00Z")
        );
        let none = QuietHours {
            from: t(9, 0),
            to: t(9, 0),
        };
        assert_eq!(none.release(&London, noon), noon);
    }
}
