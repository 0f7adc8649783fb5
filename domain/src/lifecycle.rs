//! A booking's lifecycle in one place: every status (what AURA holds, as far as we know it), the
//! groups pages and the worker read them by, every kind of history entry, and the transitions the
//! sending worker's answers make: from an outcome class to the status it leaves and the entry it
//! records. Storage (`backend::db::status`) applies a transition with one conditional `UPDATE`
//! naming the statuses it starts from; adding a status or an event is a change here (and in the
//! migrations' CHECK constraints).

use crate::keyed::keyed_enum;

keyed_enum! {
    /// Where a booking stands with AURA. Every status says what AURA holds, as far as we know it.
    pub enum SyncStatus {
        /// Saved here; waiting for its turn to be sent (nothing has gone to AURA yet).
        Saved = "saved",
        /// A call to AURA has started; its answer is awaited.
        Sending = "sending",
        /// Every attempt so far did not reach AURA (or AURA answered it failed): sent again later.
        NotSent = "not_sent",
        /// A call went out and no usable answer came back: AURA may hold it. A person checks.
        Unknown = "unknown",
        /// AURA accepted it and gave it an id.
        Confirmed = "confirmed",
        /// AURA refused it; it is not scheduled.
        Rejected = "rejected",
        /// Not sent, and not going to be by itself: its first window came too near before it could
        /// be sent (or its service is no longer offered). The reason is kept.
        Lapsed = "lapsed",
        /// Cancelled here; the cancel is being delivered to AURA, which still holds it until then.
        Cancelling = "cancelling",
        Cancelled = "cancelled",
    }
}

impl SyncStatus {
    /// The statuses whose windows belong on the calendar: everything AURA holds or may hold, and
    /// everything still to be sent.
    pub const ACTIVE: [SyncStatus; 6] = [
        SyncStatus::Saved,
        SyncStatus::Sending,
        SyncStatus::NotSent,
        SyncStatus::Unknown,
        SyncStatus::Confirmed,
        SyncStatus::Cancelling,
    ];
    /// The statuses the sending worker picks up to send a create.
    pub const TO_SEND: [SyncStatus; 2] = [SyncStatus::Saved, SyncStatus::NotSent];
    /// The statuses someone may ask to cancel from a booking's page.
    pub const CANCELLABLE: [SyncStatus; 6] = [
        SyncStatus::Saved,
        SyncStatus::Sending,
        SyncStatus::NotSent,
        SyncStatus::Unknown,
        SyncStatus::Confirmed,
        SyncStatus::Lapsed,
    ];
    /// The statuses a person has to look at: an unknown outcome until someone checks; a refused or
    /// lapsed booking until someone acknowledges it (see [`SyncStatus::UNTIL_ACKNOWLEDGED`]).
    pub const NEEDS_ATTENTION: [SyncStatus; 3] = [
        SyncStatus::Unknown,
        SyncStatus::Lapsed,
        SyncStatus::Rejected,
    ];
    /// The statuses in which nothing is scheduled and nobody may have noticed: they stay on the
    /// calendar, the upcoming list and under "Needs attention", marked, until someone acknowledges
    /// them.
    pub const UNTIL_ACKNOWLEDGED: [SyncStatus; 2] = [SyncStatus::Rejected, SyncStatus::Lapsed];

    pub fn label(self) -> &'static str {
        match self {
            SyncStatus::Saved => "Saved, sending to AURA",
            SyncStatus::Sending => "Being sent to AURA",
            SyncStatus::NotSent => "Saved, not yet sent to AURA (retrying)",
            SyncStatus::Unknown => "AURA may have scheduled this — being checked",
            SyncStatus::Confirmed => "Confirmed by AURA",
            SyncStatus::Rejected => "Refused by AURA",
            SyncStatus::Lapsed => "Not sent to AURA",
            SyncStatus::Cancelling => "Cancelling at AURA",
            SyncStatus::Cancelled => "Cancelled",
        }
    }

    /// A word or two for tight spaces; empty for the normal case (confirmed).
    pub fn short_label(self) -> &'static str {
        match self {
            SyncStatus::Saved | SyncStatus::Sending => "Sending to AURA",
            SyncStatus::Confirmed => "",
            SyncStatus::NotSent => "Not yet sent",
            SyncStatus::Unknown => "AURA may have scheduled this — being checked",
            SyncStatus::Rejected => "Refused",
            SyncStatus::Lapsed => "Not sent",
            SyncStatus::Cancelling => "Cancelling",
            SyncStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether its windows belong on the calendar.
    pub fn is_active(self) -> bool {
        SyncStatus::ACTIVE.contains(&self)
    }

    /// Whether someone may ask to cancel it from its page.
    pub fn is_cancellable(self) -> bool {
        SyncStatus::CANCELLABLE.contains(&self)
    }

    pub fn needs_attention(self) -> bool {
        SyncStatus::NEEDS_ATTENTION.contains(&self)
    }
}

keyed_enum! {
    /// What happened to a booking, as its history records it.
    pub enum EventKind {
        Saved = "saved",
        Confirmed = "confirmed",
        Rejected = "rejected",
        /// An attempt that did not reach AURA (or AURA answered it failed); it is sent again.
        NotSent = "not_sent",
        /// An attempt that went out without a usable answer: AURA may hold it.
        OutcomeUnknown = "unknown",
        /// The first window passed before it could be sent.
        Lapsed = "lapsed",
        /// A person checked with AURA: AURA has it (with its id).
        ResolvedHeld = "resolved_held",
        /// A person checked with AURA: AURA does not have it.
        ResolvedNotHeld = "resolved_not_held",
        /// Sent again from a later first window.
        Rescheduled = "rescheduled",
        /// AURA answered after the booking had been handed to a person.
        LateAnswer = "late_answer",
        /// Someone asked to cancel; it is done once AURA confirms (or once it is known AURA never
        /// had it).
        CancelRequested = "cancel_requested",
        /// Cancelled before it ever reached AURA.
        CancelledLocally = "cancel",
        /// AURA reported the booking cancelled on its side (e.g. already cancelled there).
        AuraCancel = "aura_cancel",
        /// A cancel attempt that did not get through; it is tried again.
        CancelFailed = "cancel_failed",
        /// AURA refused the cancel; the booking stays confirmed.
        CancelRefused = "cancel_refused",
        Cancelled = "cancelled",
        /// Found on upgrade: dates beyond what the dashboard stores, kept at the nearest it does.
        DatesKept = "dates_kept",
        /// A change of plans was asked (a new version, or dates skipped): its new bookings are sent
        /// first; this one is cancelled once AURA holds them all.
        ChangeAsked = "change_asked",
        /// Cancelled as the last step of a change: the new version stands in its place.
        Changed = "changed",
        /// Cancelled as the last step of a skip: the windows kept stand as new bookings.
        Skipped = "skipped",
        /// A change was not carried out (a new booking was refused or not sent): this one stands.
        ChangeRefused = "change_refused",
        /// AURA refused to cancel this booking at the end of a change: it holds this one and the
        /// new version. A person decides.
        ChangeStuck = "change_stuck",
    }
}

impl EventKind {
    /// How the history names it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Saved => "Saved",
            EventKind::Confirmed => "Confirmed by AURA",
            EventKind::Rejected => "Refused by AURA",
            EventKind::NotSent => "Did not reach AURA",
            EventKind::OutcomeUnknown => "No answer from AURA; it may have scheduled this",
            EventKind::Lapsed => "Not sent to AURA",
            EventKind::ResolvedHeld => "Checked with AURA: AURA has it",
            EventKind::ResolvedNotHeld => "Checked with AURA: AURA does not have it",
            EventKind::Rescheduled => "Sent again from a later window",
            EventKind::LateAnswer => "Late answer from AURA",
            EventKind::CancelRequested => "Cancel requested",
            EventKind::CancelledLocally => "Cancelled before reaching AURA",
            EventKind::AuraCancel => "Cancelled at AURA",
            EventKind::CancelFailed => "Cancel did not reach AURA yet",
            EventKind::CancelRefused => "AURA refused to cancel",
            EventKind::Cancelled => "Cancelled",
            EventKind::DatesKept => "Dates kept within the years 0 to 9999",
            EventKind::ChangeAsked => "Change asked",
            EventKind::Changed => "Changed: replaced by its new version",
            EventKind::Skipped => "Dates skipped: replaced by the windows kept",
            EventKind::ChangeRefused => "Change not carried out: this booking stands",
            EventKind::ChangeStuck => "Change stuck: AURA holds this booking and the new version",
        }
    }
}

/// What one attempt to send a booking to AURA came to: AURA's three kinds of failure, success, or
/// not sent at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// AURA holds it, under an id it gave.
    Confirmed,
    /// It did not reach AURA (or AURA answered it failed): safe to send again.
    NotDelivered,
    /// AURA understood and refused it: final.
    Refused,
    /// The call went out and no usable answer came back: AURA may hold it.
    Unknown,
    /// Not sent: its first window came too near, or its service is no longer offered.
    Lapsed,
}

impl SendOutcome {
    pub const ALL: [SendOutcome; 5] = [
        SendOutcome::Confirmed,
        SendOutcome::NotDelivered,
        SendOutcome::Refused,
        SendOutcome::Unknown,
        SendOutcome::Lapsed,
    ];

    /// The status a `sending` booking is left in: without a cancel wish, and with one asked while
    /// the call was under way. A wish on what AURA holds is sent next (`cancelling`); on what AURA
    /// is known never to have had, it is done here (`cancelled`); on an unknown outcome it waits
    /// with the booking for a person.
    pub const fn leaves(self) -> (SyncStatus, SyncStatus) {
        match self {
            SendOutcome::Confirmed => (SyncStatus::Confirmed, SyncStatus::Cancelling),
            SendOutcome::NotDelivered => (SyncStatus::NotSent, SyncStatus::Cancelled),
            SendOutcome::Refused => (SyncStatus::Rejected, SyncStatus::Rejected),
            SendOutcome::Unknown => (SyncStatus::Unknown, SyncStatus::Unknown),
            SendOutcome::Lapsed => (SyncStatus::Lapsed, SyncStatus::Cancelled),
        }
    }

    /// The history entry it records.
    pub const fn event(self) -> EventKind {
        match self {
            SendOutcome::Confirmed => EventKind::Confirmed,
            SendOutcome::NotDelivered => EventKind::NotSent,
            SendOutcome::Refused => EventKind::Rejected,
            SendOutcome::Unknown => EventKind::OutcomeUnknown,
            SendOutcome::Lapsed => EventKind::Lapsed,
        }
    }

    /// Whether AURA is the one who said so (else the dashboard records what it found).
    pub const fn told_by_aura(self) -> bool {
        matches!(self, SendOutcome::Confirmed | SendOutcome::Refused)
    }
}

/// What one attempt to cancel a booking at AURA came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// AURA cancelled it, or had it cancelled already (409).
    Done,
    /// It did not reach AURA, or no usable answer came back: a cancel is safe to repeat.
    NoAnswer,
    /// AURA refused to cancel it.
    Refused,
}

impl CancelOutcome {
    pub const ALL: [CancelOutcome; 3] = [
        CancelOutcome::Done,
        CancelOutcome::NoAnswer,
        CancelOutcome::Refused,
    ];

    /// The status a `cancelling` booking is left in. `earlier_unknown`: an earlier attempt got no
    /// usable answer, so AURA may have cancelled it then; a refusal then cannot say AURA still
    /// holds it, and a person checks.
    pub const fn leaves(self, earlier_unknown: bool) -> SyncStatus {
        match self {
            CancelOutcome::Done => SyncStatus::Cancelled,
            CancelOutcome::NoAnswer => SyncStatus::Cancelling,
            CancelOutcome::Refused if earlier_unknown => SyncStatus::Unknown,
            CancelOutcome::Refused => SyncStatus::Confirmed,
        }
    }

    /// The history entry it records.
    pub const fn event(self) -> EventKind {
        match self {
            CancelOutcome::Done => EventKind::Cancelled,
            CancelOutcome::NoAnswer => EventKind::CancelFailed,
            CancelOutcome::Refused => EventKind::CancelRefused,
        }
    }
}

/// What a person found when they checked with AURA about a booking whose outcome was unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// AURA has it.
    Held,
    /// AURA does not have it.
    NotHeld,
}

impl Checked {
    /// The status an `unknown` booking is left in: without a cancel wish, and with one. What AURA
    /// does not have is sent again (or, wished cancelled, is cancelled here).
    pub const fn leaves(self) -> (SyncStatus, SyncStatus) {
        match self {
            Checked::Held => (SyncStatus::Confirmed, SyncStatus::Cancelling),
            Checked::NotHeld => (SyncStatus::Saved, SyncStatus::Cancelled),
        }
    }

    /// The history entry it records.
    pub const fn event(self) -> EventKind {
        match self {
            Checked::Held => EventKind::ResolvedHeld,
            Checked::NotHeld => EventKind::ResolvedNotHeld,
        }
    }
}

impl SyncStatus {
    /// The statuses in which AURA is known never to have had the booking: a wish to cancel is done
    /// here at once, with no call.
    pub const NEVER_SENT: [SyncStatus; 3] =
        [SyncStatus::Saved, SyncStatus::NotSent, SyncStatus::Lapsed];
    /// The statuses in which a call's outcome is awaited or unknown: a wish to cancel is kept and
    /// carried out once the outcome is known.
    pub const WISH_WAITS: [SyncStatus; 2] = [SyncStatus::Sending, SyncStatus::Unknown];

    /// Where a wish to cancel takes a booking in this status: cancelled here at once (AURA is
    /// known never to have had it), `cancelling` (AURA holds it: the cancel is sent), or unchanged
    /// with the wish kept (a call's outcome is awaited or unknown). `None`: nothing to cancel.
    pub const fn on_cancel_wish(self) -> Option<SyncStatus> {
        match self {
            SyncStatus::Saved | SyncStatus::NotSent | SyncStatus::Lapsed => {
                Some(SyncStatus::Cancelled)
            }
            SyncStatus::Confirmed => Some(SyncStatus::Cancelling),
            SyncStatus::Sending | SyncStatus::Unknown => Some(self),
            SyncStatus::Rejected | SyncStatus::Cancelling | SyncStatus::Cancelled => None,
        }
    }
}

/// A booking saved: `saved` (the worker sends it), recorded as saved.
pub const SAVE: (SyncStatus, EventKind) = (SyncStatus::Saved, EventKind::Saved);

/// A lapsed booking sent again from a later first window: from `lapsed` back to `saved` (the
/// worker sends it), recorded as rescheduled.
pub const RESCHEDULE: (SyncStatus, SyncStatus, EventKind) = (
    SyncStatus::Lapsed,
    SyncStatus::Saved,
    EventKind::Rescheduled,
);

/// The history entry of an answer that came after its claim was handed on (the call outlived its
/// lease): a confirmation that still settled the booking (an unknown outcome AURA turned out to
/// hold) is recorded as confirmed; any other answer changes nothing and is kept as a late answer
/// for the person who checks.
pub const fn late_answer_event(settled: bool) -> EventKind {
    if settled {
        EventKind::Confirmed
    } else {
        EventKind::LateAnswer
    }
}

/// The history entry a wish to cancel records, by the status it left the booking in: done here
/// (AURA never had it), or asked (sent to AURA, or waiting for a call's outcome).
pub const fn cancel_wish_event(left: SyncStatus) -> EventKind {
    match left {
        SyncStatus::Cancelled => EventKind::CancelledLocally,
        _ => EventKind::CancelRequested,
    }
}

// --- Changes of plans: a new version, or dates skipped (see `crate::plan`). ---

keyed_enum! {
    /// What a change of plans does to a booking.
    pub enum ChangeKind {
        /// A new version replaces it (any field).
        Change = "change",
        /// Some of its dates are skipped; the windows before and after are kept.
        Skip = "skip",
    }
}

keyed_enum! {
    /// Where a change of plans stands. The new requests go first; the original is cancelled once
    /// AURA holds all of them, so cover never has a gap.
    pub enum ChangeStatus {
        /// The new requests are being sent to AURA (or wait for a person, as any booking does).
        Booking = "booking",
        /// AURA holds every new request; the original's cancel is being sent.
        Cancelling = "cancelling",
        /// The original is cancelled; the new requests stand.
        Done = "done",
        /// A new request was refused or could not be sent: the original stands, unchanged, and
        /// any new request AURA holds is cancelled.
        Refused = "refused",
        /// The original could not be cancelled: AURA holds it and the new requests. A person
        /// decides (cancel the original again, or cancel the new version).
        Stuck = "stuck",
    }
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Change => "Changed",
            ChangeKind::Skip => "Dates skipped",
        }
    }

    /// The history entry that ends the original: its cancel, named as what it is part of (so the
    /// ledger and the webhooks show a change, not a cancellation).
    pub const fn done_event(self) -> EventKind {
        match self {
            ChangeKind::Change => EventKind::Changed,
            ChangeKind::Skip => EventKind::Skipped,
        }
    }
}

impl ChangeStatus {
    /// The statuses in which the dashboard still has work to do for it (or waits for a person).
    pub const OPEN: [ChangeStatus; 3] = [
        ChangeStatus::Booking,
        ChangeStatus::Cancelling,
        ChangeStatus::Stuck,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ChangeStatus::Booking => "Sending the new version to AURA",
            ChangeStatus::Cancelling => "AURA holds the new version; cancelling the original",
            ChangeStatus::Done => "Done",
            ChangeStatus::Refused => "Not carried out: the original stands",
            ChangeStatus::Stuck => "The original could not be cancelled: a person decides",
        }
    }

    pub fn is_open(self) -> bool {
        ChangeStatus::OPEN.contains(&self)
    }
}

/// How a change stands, from its new requests and its original (the statuses as
/// [`SyncStatus`]). `None`: nothing moves it now.
pub fn change_step(
    status: ChangeStatus,
    parts: &[SyncStatus],
    original: SyncStatus,
) -> Option<ChangeStatus> {
    use SyncStatus as S;
    match status {
        ChangeStatus::Booking => {
            let lost = |s: &S| matches!(s, S::Rejected | S::Lapsed | S::Cancelling | S::Cancelled);
            if parts.iter().any(lost) || !original.is_cancellable() {
                // A new request will not be held (or the original went meanwhile): the original
                // stands as it is.
                Some(ChangeStatus::Refused)
            } else if parts.iter().all(|s| *s == S::Confirmed) {
                Some(ChangeStatus::Cancelling)
            } else {
                None
            }
        }
        ChangeStatus::Cancelling | ChangeStatus::Stuck => match original {
            S::Cancelled => Some(ChangeStatus::Done),
            // AURA refused the cancel: it holds both. (An unknown outcome waits for a person, as
            // any booking's does, and ends cancelled or confirmed.)
            S::Confirmed if status == ChangeStatus::Cancelling => Some(ChangeStatus::Stuck),
            _ => None,
        },
        ChangeStatus::Done | ChangeStatus::Refused => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status is reachable, and no transition leaves a booking in `saved` or `sending` (those
    /// are set by saving and claiming only).
    #[test]
    fn every_outcome_leaves_a_settled_status_and_records_its_own_entry() {
        let mut events = Vec::new();
        for outcome in SendOutcome::ALL {
            let (plain, wished) = outcome.leaves();
            for status in [plain, wished] {
                assert!(
                    !matches!(status, SyncStatus::Saved | SyncStatus::Sending),
                    "{outcome:?}"
                );
            }
            // A wish never undoes what AURA said: a refusal stays a refusal, an unknown stays
            // unknown, and only what AURA holds is sent a cancel.
            if wished == SyncStatus::Cancelling {
                assert_eq!(plain, SyncStatus::Confirmed);
            }
            events.push(outcome.event());
        }
        events.sort_by_key(|e| e.key());
        events.dedup();
        assert_eq!(events.len(), SendOutcome::ALL.len(), "one entry each");
        for outcome in CancelOutcome::ALL {
            // Only AURA's word ends a cancel; nothing it answers sends a booking again.
            for earlier_unknown in [false, true] {
                let left = outcome.leaves(earlier_unknown);
                assert_eq!(
                    left == SyncStatus::Cancelled,
                    outcome == CancelOutcome::Done
                );
                assert!(!SyncStatus::TO_SEND.contains(&left), "{outcome:?}");
            }
        }
        assert_eq!(Checked::Held.leaves().0, SyncStatus::Confirmed);
        assert!(SyncStatus::TO_SEND.contains(&Checked::NotHeld.leaves().0));
        // A wish does what the groups say, and only on what may be cancelled.
        for status in SyncStatus::ALL {
            let left = status.on_cancel_wish();
            assert_eq!(
                left.is_some(),
                SyncStatus::CANCELLABLE.contains(&status),
                "{status:?}"
            );
            if SyncStatus::NEVER_SENT.contains(&status) {
                assert_eq!(left, Some(SyncStatus::Cancelled));
                assert_eq!(
                    cancel_wish_event(SyncStatus::Cancelled),
                    EventKind::CancelledLocally
                );
            }
            if SyncStatus::WISH_WAITS.contains(&status) {
                assert_eq!(left, Some(status));
            }
        }
        assert_eq!(
            SyncStatus::Confirmed.on_cancel_wish(),
            Some(SyncStatus::Cancelling)
        );
        assert_eq!(
            cancel_wish_event(SyncStatus::Cancelling),
            EventKind::CancelRequested
        );
        assert_eq!(RESCHEDULE.0.on_cancel_wish(), Some(SyncStatus::Cancelled));
        assert!(SyncStatus::TO_SEND.contains(&RESCHEDULE.1));
        assert_ne!(late_answer_event(false), late_answer_event(true));
        // The groups partition what a cancel wish does.
        for status in SyncStatus::CANCELLABLE {
            let never = SyncStatus::NEVER_SENT.contains(&status);
            let waits = SyncStatus::WISH_WAITS.contains(&status);
            let held = status == SyncStatus::Confirmed;
            assert_eq!(
                usize::from(never) + usize::from(waits) + usize::from(held),
                1,
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_change_moves_on_only_when_aura_holds_every_new_request() {
        use ChangeStatus as C;
        use SyncStatus as S;
        assert_eq!(
            change_step(C::Booking, &[S::Confirmed, S::Sending], S::Confirmed),
            None
        );
        assert_eq!(change_step(C::Booking, &[S::Unknown], S::Confirmed), None);
        assert_eq!(
            change_step(C::Booking, &[S::Confirmed, S::Confirmed], S::Confirmed),
            Some(C::Cancelling)
        );
        // A skip of everything left has no new request: the cancel goes at once.
        assert_eq!(
            change_step(C::Booking, &[], S::Confirmed),
            Some(C::Cancelling)
        );
        for lost in [S::Rejected, S::Lapsed, S::Cancelled, S::Cancelling] {
            assert_eq!(
                change_step(C::Booking, &[S::Confirmed, lost], S::Confirmed),
                Some(C::Refused)
            );
        }
        // The original cancelled by someone meanwhile: the change is not carried out.
        assert_eq!(
            change_step(C::Booking, &[S::Saved], S::Cancelling),
            Some(C::Refused)
        );
        assert_eq!(change_step(C::Cancelling, &[], S::Cancelling), None);
        assert_eq!(change_step(C::Cancelling, &[], S::Cancelled), Some(C::Done));
        assert_eq!(
            change_step(C::Cancelling, &[], S::Confirmed),
            Some(C::Stuck)
        );
        assert_eq!(change_step(C::Cancelling, &[], S::Unknown), None);
        assert_eq!(change_step(C::Stuck, &[], S::Confirmed), None);
        assert_eq!(change_step(C::Stuck, &[], S::Cancelled), Some(C::Done));
        for closed in [C::Done, C::Refused] {
            assert_eq!(change_step(closed, &[S::Rejected], S::Confirmed), None);
            assert!(!closed.is_open());
        }
    }
}
