//! The words for what a flow achieved: every success a page shows after a plain form's submit.

use domain::lifecycle::{ChangeKind, ChangeStatus, SyncStatus};
use domain::model::Outcome;

/// What the page says about `outcome`.
pub fn says(outcome: &Outcome) -> String {
    match outcome {
        Outcome::SignedOut => "You are signed out.".into(),
        Outcome::ResetMailed => "If an account has this address, a link to reset its password is on its way. It works once, for 30 minutes.".into(),
        Outcome::PasswordResetByMail => "Your password is changed and every other session has ended. Sign in with the new password.".into(),
        Outcome::NotificationsSaved => "Your notification choices are saved.".into(),
        Outcome::MarkedRead { count: 0 } => "Nothing was unread.".into(),
        Outcome::MarkedRead { count: 1 } => "Marked read.".into(),
        Outcome::MarkedRead { count } => format!("{count} notices marked read."),
        Outcome::Acknowledged { name } => format!("\"{name}\" is acknowledged: it leaves the calendar and the list of what needs attention."),
        Outcome::PasswordChanged => {
            "Your password is changed. Your other sessions are signed out.".into()
        }
        Outcome::FeedOn { replaced: true } => "Your calendar feed has a new address; the old one \
            no longer works. Copy the new one now: it is shown only once."
            .into(),
        Outcome::FeedOn { replaced: false } => {
            "Your calendar feed is on. Copy its address now: it is shown only once.".into()
        }
        Outcome::FeedOff => "Your calendar feed is off: its address no longer works.".into(),
        Outcome::UserAdded { name, email, role } => format!(
            "{name} ({email}) can now sign in as {}.",
            role.label().to_lowercase()
        ),
        Outcome::RoleChanged { name, role } => {
            format!("{name} is now {}.", role.label().to_lowercase())
        }
        Outcome::UserDisabled { name } => {
            format!("{name} is disabled and signed out everywhere.")
        }
        Outcome::UserEnabled { name } => format!("{name} can sign in again."),
        Outcome::PasswordReset { name } => {
            format!("{name} has a new password; their other sessions are signed out.")
        }
        Outcome::CustomerAdded { name } => {
            format!("{name} is added. Add its sites and assign an account manager below.")
        }
        Outcome::CustomerSaved { name } => format!("{name} is saved."),
        Outcome::ManagerAssigned { name } => format!("{name} now looks after this customer."),
        Outcome::ManagerUnassigned { name } => {
            format!("{name} no longer looks after this customer.")
        }
        Outcome::SiteAdded { name } => format!("{name} is saved; it can be chosen when booking."),
        Outcome::SiteRenamed { was, name } => {
            format!("{was} is now called {name}. Its bookings show the new name.")
        }
        Outcome::SiteRetired { name } => format!(
            "{name} is retired: it is no longer offered when booking. Past bookings keep it."
        ),
        Outcome::SiteRestored { name } => format!("{name} can be chosen when booking again."),
        Outcome::CancelAsked { asked, now } => cancel_says(*asked, *now),
        Outcome::PairCancelled {
            first,
            role,
            other,
            also,
        } => match also {
            Ok(also) => format!(
                "{} The {} (booking #{other}): {}",
                says(first),
                role.label(),
                says(also)
            ),
            Err(e) => format!(
                "{} The {} (booking #{other}) was not cancelled: {e}",
                says(first),
                role.label()
            ),
        },
        Outcome::Checked { now } => match now {
            SyncStatus::Confirmed => "Recorded: AURA has this booking. It is confirmed.".into(),
            SyncStatus::Cancelling => "Recorded: AURA has this booking. The cancel that was \
                asked for is being sent to AURA."
                .into(),
            SyncStatus::Cancelled => "Recorded: AURA does not have this booking. It was asked \
                to be cancelled, so it is cancelled here."
                .into(),
            _ => "Recorded: AURA does not have this booking. It is being sent again.".into(),
        },
        Outcome::KeyMade { name } => format!(
            "The key \"{name}\" is made. Copy it now: it is shown only once, and only its fingerprint is kept."
        ),
        Outcome::KeyRevoked { name } => {
            format!("The key \"{name}\" is revoked: it no longer works, anywhere.")
        }
        Outcome::HookAdded { url } => format!(
            "Events now go to {url}. Copy its signing secret now: it is shown only once."
        ),
        Outcome::HookRotated { url } => format!(
            "{url} has a new signing secret (shown only now). The old one still signs for 24 hours, so the receiver can switch over."
        ),
        Outcome::HookDeleted { url } => format!("Events no longer go to {url}."),
        Outcome::Replayed => "The delivery is sent again, with the same webhook-id.".into(),
        Outcome::SentAgain { opens, now } => {
            format!(
                "Sent again from the window opening {opens}. Now: {}.",
                now.label()
            )
        }
        Outcome::ClosureAdded { name, meets: 0 } => {
            format!("\"{name}\" is saved. It meets no booking.")
        }
        Outcome::ClosureAdded { name, meets } => format!(
            "\"{name}\" is saved. It meets {meets} booking{}: choose below which to skip on those dates.",
            if *meets == 1 { "" } else { "s" }
        ),
        Outcome::ClosuresImported {
            added,
            updated,
            left_out,
        } => {
            let mut said = format!(
                "Read from the file: {added} closure{} added, {updated} updated (imported before).",
                if *added == 1 { "" } else { "s" }
            );
            if !left_out.is_empty() {
                said.push_str(&format!(" Left out: {}.", left_out.join("; ")));
            }
            said
        }
        Outcome::ClosureDeleted { name } => format!("\"{name}\" is deleted. Nothing was sent to AURA."),
        Outcome::Booked { status, message } => match message {
            Some(m) if *status == SyncStatus::Rejected => format!("Refused by AURA: {m}"),
            _ => format!("{}.", status.label()),
        },
        Outcome::Several { rows } => rows
            .iter()
            .map(|r| {
                let said = match &r.outcome {
                    Ok(o) => says(o),
                    Err(e) => format!("Not done: {e}"),
                };
                format!("Booking #{} ({}): {said}", r.booking_id, r.name)
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Outcome::ChangeAsked {
            kind,
            status,
            parts,
            ..
        } => change_says(*kind, *status, parts),
    }
}

/// A change of plans, by where it stands.
fn change_says(kind: ChangeKind, status: ChangeStatus, parts: &[i64]) -> String {
    let what = match kind {
        ChangeKind::Change => "The change",
        ChangeKind::Skip => "The skip",
    };
    let new = match parts {
        [] => String::new(),
        [one] => format!(" New booking: #{one}."),
        many => format!(
            " New bookings: {}.",
            many.iter()
                .map(|p| format!("#{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let (held, it) = match kind {
        ChangeKind::Change => ("the new version", "it"),
        ChangeKind::Skip => ("the windows kept, as new bookings", "them"),
    };
    let stands = match status {
        ChangeStatus::Booking => format!(
            "is saved: {held} is being sent to AURA, and this booking is cancelled once AURA holds {it}. The booking's page shows each step."
        ),
        ChangeStatus::Cancelling => {
            format!("is under way: AURA holds {held}, and this booking's cancel is being sent.")
        }
        ChangeStatus::Done => {
            format!("is done: AURA holds {held}, and this booking is cancelled.")
        }
        ChangeStatus::Refused => "was not carried out: AURA refused the new booking (or it could not be sent in time), so this booking stands as it was. The booking's page says why.".to_string(),
        ChangeStatus::Stuck => format!(
            "is stuck: AURA refused to cancel this booking, so it holds this one and {held}. Cancel this booking again, or cancel the new bookings."
        ),
    };
    format!("{what} {stands}{new}")
}

/// A cancel, by where the wish took the booking (`asked`) and where it stands now.
fn cancel_says(asked: SyncStatus, now: SyncStatus) -> String {
    match now {
        SyncStatus::Cancelled if asked == SyncStatus::Cancelled => {
            "The booking is cancelled. It never reached AURA, so nothing was scheduled there."
                .into()
        }
        SyncStatus::Cancelled if asked == SyncStatus::Cancelling => {
            "The booking is cancelled. AURA confirmed it.".into()
        }
        SyncStatus::Cancelled => "The booking is cancelled.".into(),
        SyncStatus::Cancelling => "Cancel requested, but AURA has not confirmed it yet, so AURA \
            may still send this service until it does. The booking shows \"Cancelling\" and the \
            dashboard keeps trying."
            .into(),
        SyncStatus::Unknown => "Cancel requested. It is not known whether AURA scheduled this \
            booking: its answer was lost. An account manager will check with AURA; the booking is \
            then cancelled at AURA, or here if AURA never had it. Until then, treat it as possibly \
            scheduled."
            .into(),
        SyncStatus::Sending => "Cancel requested. The booking is being sent to AURA right now; it \
            is cancelled once AURA's answer is known (if the answer is lost, after someone has \
            checked with AURA)."
            .into(),
        other => format!("The booking is now: {}.", other.label()),
    }
}
