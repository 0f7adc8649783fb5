//! What a flow achieved, as a value: the flow says what happened, the page it returns to says it in
//! words (`app::says`). Dates arrive formatted in the zone they belong to, as everywhere on pages.

use serde::{Deserialize, Serialize};

use super::Role;
use crate::PairRole;
use crate::error::AppError;
use crate::lifecycle::{ChangeKind, ChangeStatus, SyncStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    SignedOut,
    /// A reset link was asked for (whether or not the address has an account: the same answer).
    ResetMailed,
    /// A new password was set from a reset link; every other session ended.
    PasswordResetByMail,
    NotificationsSaved,
    /// `count` notices marked read.
    MarkedRead {
        count: u64,
    },
    /// A refused or lapsed booking acknowledged: it leaves the calendar.
    Acknowledged {
        name: String,
    },
    PasswordChanged,
    /// The calendar feed has an address: a first one, or a new one replacing the old.
    FeedOn {
        replaced: bool,
    },
    FeedOff,
    UserAdded {
        name: String,
        email: String,
        role: Role,
    },
    RoleChanged {
        name: String,
        role: Role,
    },
    UserDisabled {
        name: String,
    },
    UserEnabled {
        name: String,
    },
    PasswordReset {
        name: String,
    },
    CustomerAdded {
        name: String,
    },
    CustomerSaved {
        name: String,
    },
    ManagerAssigned {
        name: String,
    },
    ManagerUnassigned {
        name: String,
    },
    SiteAdded {
        name: String,
    },
    SiteRenamed {
        was: String,
        name: String,
    },
    SiteRetired {
        name: String,
    },
    SiteRestored {
        name: String,
    },
    /// An API key was made (its secret is shown once, beside this).
    KeyMade {
        name: String,
    },
    KeyRevoked {
        name: String,
    },
    /// A webhook endpoint was added, or its secret replaced (shown once, beside this).
    HookAdded {
        url: String,
    },
    HookRotated {
        url: String,
    },
    HookDeleted {
        url: String,
    },
    /// A delivery is sent again.
    Replayed,
    /// A cancel was asked: `asked` is where the wish took the booking at once, `now` where it
    /// stands after the call to AURA (if one was made).
    CancelAsked {
        asked: SyncStatus,
        now: SyncStatus,
    },
    /// A cancel asked for both halves of a lock/unlock pair: this booking's outcome, and the other
    /// half's (its role, its number, and what came of it).
    PairCancelled {
        first: Box<Outcome>,
        role: PairRole,
        other: i64,
        also: Result<Box<Outcome>, AppError>,
    },
    /// What a person found at AURA is recorded; the booking now stands at `now`.
    Checked {
        now: SyncStatus,
    },
    /// Sent again from the window opening at `opens`; the booking now stands at `now`.
    SentAgain {
        opens: String,
        now: SyncStatus,
    },
    /// A change of plans (a new version, or dates skipped) was asked: where it stands, and the
    /// new bookings it made (in order).
    /// A closure saved; it meets `meets` bookings (listed under it, to skip or keep).
    ClosureAdded {
        name: String,
        meets: usize,
    },
    /// Closures read from a calendar file: added, updated (imported before), and events left out.
    ClosuresImported {
        added: usize,
        updated: usize,
        left_out: Vec<String>,
    },
    ClosureDeleted {
        name: String,
    },
    /// A booking made (at one of several sites booked at once): where it stands, and what AURA
    /// said if it refused.
    Booked {
        status: SyncStatus,
        message: Option<String>,
    },
    /// Several bookings acted on at once: each one's result.
    Several {
        rows: Vec<super::RowResult>,
    },
    ChangeAsked {
        change_id: i64,
        kind: ChangeKind,
        status: ChangeStatus,
        parts: Vec<i64>,
    },
}
