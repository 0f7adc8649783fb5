//! The flows behind telling people in the dashboard: the inbox (and marking read), acknowledging a
//! refused or lapsed booking, notification preferences, one-click unsubscribe, the delivery log
//! and the built-in mail catcher.

use chrono::{DateTime, NaiveTime, Utc};

use crate::auth::Viewer;
use crate::db::{self, MailKind, MailRow, MailStatus};
use crate::error::ServerError;
use crate::forms::{Done, zone_at};
use crate::mail::{Transport, Unsubscribe, UnsubscribeScope};
use crate::present::instant_label;
use crate::state::AppState;
use crate::zone::zone_names;
use domain::error::AppError;
use domain::model::{
    CaughtView, DeliveryLogView, DeliveryRow, InboxItem, InboxView, MailCatcherView, NoticeChoice,
    NotificationsView, Outcome, UnsubscribeView,
};
use domain::notify::{Delivery, Notice};
use domain::{Field, FieldErrors, Violation};

/// Notices per inbox page.
pub const INBOX_PAGE: i64 = 50;
/// Mail per delivery-log page.
pub const LOG_PAGE: i64 = 100;

pub async fn inbox_view(
    state: &AppState,
    viewer: &Viewer,
    before: Option<i64>,
) -> Result<InboxView, ServerError> {
    let person = db::hearing_of(&state.db, viewer.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let zone = person.zone();
    let rows = db::inbox(&state.db, viewer.user_id, before, INBOX_PAGE + 1).await?;
    let older = (rows.len() as i64 > INBOX_PAGE)
        .then(|| rows.get(INBOX_PAGE as usize - 1).map(|r| r.id))
        .flatten();
    let items = rows
        .into_iter()
        .take(INBOX_PAGE as usize)
        .map(|r| {
            let wording = r.notice.wording(viewer.role, r.event_kind);
            InboxItem {
                id: r.id,
                notice: r.notice,
                headline: wording.headline.into(),
                meaning: wording.meaning.into(),
                action: wording.action.into(),
                booking_id: r.booking_id,
                booking_name: r.booking_name,
                customer: r.customer_name,
                detail: r.detail,
                actor: r.actor,
                at: instant_label(r.created_at, zone.tz()),
                read: r.read_at.is_some(),
            }
        })
        .collect();
    Ok(InboxView {
        items,
        unread: db::count_unread(&state.db, viewer.user_id).await?,
        older,
        before,
        show_customer: viewer.role.spans_customers(),
        flash: None,
    })
}

/// Marks one notice read, or all of the person's.
pub async fn mark_read(
    state: &AppState,
    viewer: &Viewer,
    id: Option<i64>,
    back: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let count = db::mark_read(&state.db, viewer.user_id, id, now).await?;
    Ok(Done::to(
        crate::auth::local_path(back),
        Outcome::MarkedRead { count },
    ))
}

/// Acknowledges a refused or lapsed booking (anyone who sees it): it leaves the calendar, the
/// upcoming list and "Needs attention".
pub async fn acknowledge(
    state: &AppState,
    viewer: &Viewer,
    booking_id: i64,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let booking = db::booking_in_scope(&state.db, &viewer.scope(), booking_id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such booking.".into()))?;
    if !db::acknowledge(&state.db, &viewer.scope(), booking_id, &viewer.name, now).await? {
        return Err(AppError::Conflict(
            "Only a refused or unsent booking not yet acknowledged can be acknowledged.".into(),
        )
        .into());
    }
    Ok(Done::to(
        format!("/bookings/{booking_id}"),
        Outcome::Acknowledged { name: booking.name },
    ))
}

fn hhmm(minutes: Option<i64>) -> Option<String> {
    minutes.map(|m| format!("{:02}:{:02}", m / 60, m % 60))
}

pub async fn notifications_view(
    state: &AppState,
    viewer: &Viewer,
) -> Result<NotificationsView, ServerError> {
    let person = db::hearing_of(&state.db, viewer.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let chosen = db::preferences(&state.db, viewer.user_id).await?;
    let choices = Notice::for_role(viewer.role)
        .map(|notice| NoticeChoice {
            notice,
            delivery: chosen
                .iter()
                .find(|(n, _)| *n == notice)
                .map_or(Delivery::Instant, |(_, d)| *d),
        })
        .collect();
    Ok(NotificationsView {
        choices,
        digest: person.digest,
        own_zone: person.own_timezone.clone(),
        zone_used: person.zone().name().to_string(),
        zones: zone_names(),
        quiet_from: hhmm(person.quiet_from),
        quiet_to: hhmm(person.quiet_to),
    })
}

/// What the preferences form posts.
pub struct NotificationChoices<'a> {
    /// (notice key, delivery key) for each notice listed.
    pub choices: Vec<(Notice, Delivery)>,
    pub digest: bool,
    /// Empty: the customer's zone (or UTC).
    pub zone: &'a str,
    pub quiet_from: &'a str,
    pub quiet_to: &'a str,
}

fn time_of_day(errors: &mut FieldErrors, field: Field, text: &str) -> Option<Option<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    match NaiveTime::parse_from_str(text, "%H:%M") {
        Ok(t) => {
            use chrono::Timelike;
            Some(Some(i64::from(t.hour() * 60 + t.minute())))
        }
        Err(_) => {
            errors.add(Violation::TimeOfDayInvalid(field));
            None
        }
    }
}

pub async fn save_notifications(
    state: &AppState,
    viewer: &Viewer,
    form: &NotificationChoices<'_>,
) -> Result<Done, ServerError> {
    let mut errors = FieldErrors::default();
    let zone = if form.zone.trim().is_empty() {
        Some(None)
    } else {
        zone_at(&mut errors, Field::Timezone, form.zone.trim()).map(|z| Some(z.name().to_string()))
    };
    let from = time_of_day(&mut errors, Field::QuietFrom, form.quiet_from);
    let to = time_of_day(&mut errors, Field::QuietTo, form.quiet_to);
    let quiet = match (from, to) {
        (Some(Some(f)), Some(Some(t))) => Some(Some((f, t))),
        (Some(None), Some(None)) => Some(None),
        (Some(_), Some(_)) => {
            errors.add(Violation::QuietHoursHalf);
            None
        }
        _ => None,
    };
    errors.into_result()?;
    let (Some(zone), Some(quiet)) = (zone, quiet) else {
        return Err(AppError::BadRequest("the form was incomplete".into()).into());
    };
    let mut tx = state.db.begin().await?;
    for (notice, delivery) in &form.choices {
        if notice.reaches(viewer.role) {
            db::set_preference(&mut tx, viewer.user_id, *notice, *delivery).await?;
        }
    }
    db::set_digest(&mut tx, viewer.user_id, form.digest).await?;
    db::set_zone_and_quiet(&mut tx, viewer.user_id, zone.as_deref(), quiet).await?;
    tx.commit().await?;
    Ok(Done::to(
        "/account#notifications",
        Outcome::NotificationsSaved,
    ))
}

/// The unsubscribe a signed link names, if it is genuine and its person exists.
pub async fn unsubscribe_link(
    state: &AppState,
    user: &str,
    scope: &str,
    signature: &str,
) -> Result<(Unsubscribe, String), ServerError> {
    let key = crate::mail::signing_key(&state.db).await?;
    let link = Unsubscribe::verify(user, scope, signature, &key).ok_or_else(|| {
        AppError::BadRequest(
            "This unsubscribe link is not complete or was changed. Open the link from the mail as it is, or choose what you hear about on your account page.".into(),
        )
    })?;
    let person = db::hearing_of(&state.db, link.user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("This account no longer exists.".into()))?;
    Ok((link, person.email))
}

pub async fn unsubscribe_view(
    state: &AppState,
    user: &str,
    scope: &str,
    signature: &str,
    done: bool,
) -> Result<UnsubscribeView, ServerError> {
    let (link, email) = unsubscribe_link(state, user, scope, signature).await?;
    Ok(UnsubscribeView {
        what: link.scope.label().to_string(),
        email,
        done,
    })
}

/// Carries out a signed unsubscribe (a one-click POST from a mail program, or the page's button).
pub async fn unsubscribe(
    state: &AppState,
    user: &str,
    scope: &str,
    signature: &str,
) -> Result<Unsubscribe, ServerError> {
    let (link, _) = unsubscribe_link(state, user, scope, signature).await?;
    match link.scope {
        UnsubscribeScope::Notice(notice) => {
            db::set_preference(&state.db, link.user_id, notice, Delivery::Off).await?
        }
        UnsubscribeScope::Digest => db::set_digest(&state.db, link.user_id, false).await?,
    }
    tracing::info!(
        user = link.user_id,
        scope = link.scope.key(),
        "unsubscribed by link"
    );
    Ok(link)
}

fn delivery_row(row: MailRow, now: DateTime<Utc>) -> DeliveryRow {
    let utc = chrono_tz::UTC;
    let state = match row.status {
        MailStatus::Sent => "Sent".to_string(),
        MailStatus::Failed => "Failed".to_string(),
        MailStatus::Skipped => "Nothing to send".to_string(),
        MailStatus::Pending if row.attempts > 0 => format!(
            "Retrying ({} attempt{} so far)",
            row.attempts,
            if row.attempts == 1 { "" } else { "s" }
        ),
        MailStatus::Pending if row.next_attempt_at > now => "Waiting (quiet hours)".to_string(),
        MailStatus::Pending => "Waiting to be sent".to_string(),
    };
    DeliveryRow {
        id: row.id,
        to: row.to_address,
        kind: match row.kind {
            MailKind::Notice => "Notice",
            MailKind::Digest => "Morning digest",
            MailKind::PasswordReset => "Password reset",
        }
        .to_string(),
        subject: row.subject,
        failed: row.status == MailStatus::Failed,
        state,
        answer: row.last_answer,
        written: instant_label(row.created_at, &utc),
        sent: row.sent_at.map(|at| instant_label(at, &utc)),
        next_attempt: (row.status == MailStatus::Pending)
            .then(|| instant_label(row.next_attempt_at, &utc)),
        message_id: row.message_id,
    }
}

/// The delivery log (administrators): every mail, newest first, with what the server said.
pub async fn delivery_log(
    state: &AppState,
    viewer: &Viewer,
    before: Option<i64>,
    now: DateTime<Utc>,
) -> Result<DeliveryLogView, ServerError> {
    viewer.require_admin()?;
    let rows = db::mail_log(&state.db, before, LOG_PAGE + 1).await?;
    let older = (rows.len() as i64 > LOG_PAGE)
        .then(|| rows.get(LOG_PAGE as usize - 1).map(|r| r.id))
        .flatten();
    Ok(DeliveryLogView {
        transport: state.mail.transport.describe().to_string(),
        rows: rows
            .into_iter()
            .take(LOG_PAGE as usize)
            .map(|r| delivery_row(r, now))
            .collect(),
        older,
    })
}

/// What the built-in catcher caught (demo mode without SMTP_URL only): administrators only, as
/// everyone's mail is there, password reset links included.
pub async fn caught_mail(
    state: &AppState,
    viewer: &Viewer,
) -> Result<MailCatcherView, ServerError> {
    viewer.require_admin()?;
    if !matches!(state.mail.transport, Transport::Catcher) {
        return Err(AppError::NotFound(
            "The mail catcher runs only in demo mode without SMTP_URL.".into(),
        )
        .into());
    }
    let utc = chrono_tz::UTC;
    Ok(MailCatcherView {
        mail: db::caught_mail(&state.db, 100)
            .await?
            .into_iter()
            .map(|m| CaughtView {
                id: m.id,
                to: m.to_address,
                subject: m.subject,
                text: m.text_body,
                headers: m.headers,
                at: instant_label(m.caught_at, &utc),
            })
            .collect(),
    })
}

/// One caught mail's HTML part, as sent (administrators only).
pub async fn caught_html(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<String, ServerError> {
    viewer.require_admin()?;
    if !matches!(state.mail.transport, Transport::Catcher) {
        return Err(AppError::NotFound(
            "The mail catcher runs only in demo mode without SMTP_URL.".into(),
        )
        .into());
    }
    Ok(db::caught_mail_by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such mail.".into()))?
        .html_body)
}
