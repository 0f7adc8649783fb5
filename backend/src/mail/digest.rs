//! The morning digest: at 07:00 in each person's own zone, tomorrow's windows per site, what still
//! needs action, and what changed yesterday, for the customers they see. Written once per person
//! and day (its Message-ID is its key: any number of processes may plan it, one mail is written);
//! nothing is sent when there is nothing to say.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{Value, context};
use serde::Serialize;

use super::Postman;
use crate::db::{self, CustomerScope, Hearing, MailKind, NewMail, StoredDate};
use crate::outbox::Clock;
use crate::present::{date_label, instant_label, place, window_label};
use crate::windows::soonest_windows;
use crate::zone::Zone;
use domain::model::Role;
use domain::notify::{DIGEST_AT, DIGEST_UNTIL};

/// At most this many of tomorrow's windows are listed; the rest are counted, with a link.
const LISTED_WINDOWS: usize = 60;
/// At most this many bookings needing action are listed; the rest are counted, with a link.
const LISTED_ATTENTION: usize = 30;

/// What one planning pass wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestPlan {
    /// People whose digest for today was written by this pass.
    pub written: usize,
}

/// Writes today's digest mail for everyone whose morning it is (07:00 to 12:00 in their zone) and
/// who has none yet.
pub async fn plan_digests<C: Clock>(
    postman: &Postman<C>,
) -> Result<DigestPlan, crate::ServerError> {
    let now = postman.now();
    let mut plan = DigestPlan::default();
    if matches!(postman.config.transport, super::Transport::Off) {
        // No mail goes anywhere: nothing to plan (a digest is for its morning only).
        return Ok(plan);
    }
    let mut after = 0;
    loop {
        let people = db::people_after(&postman.db, after, 500).await?;
        let Some(last) = people.last() else { break };
        after = last.id;
        let due: Vec<(&Hearing, NaiveDate)> = people
            .iter()
            .filter(|p| p.digest)
            .filter_map(|p| {
                let local = now.with_timezone(p.zone().tz()).naive_local();
                let t = local.time();
                (t >= DIGEST_AT && t < DIGEST_UNTIL).then_some((p, local.date()))
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let planned: HashSet<String> = db::digest_keys_since(
            &postman.db,
            StoredDate(
                due.iter()
                    .map(|(_, d)| *d)
                    .min()
                    .unwrap_or(now.date_naive()),
            )
            .days(),
        )
        .await?
        .into_iter()
        .collect();
        for (person, day) in due {
            let key = digest_key(person.id, day);
            if planned.contains(&key) {
                continue;
            }
            let written = db::enqueue_mail(
                &postman.db,
                &NewMail {
                    user_id: person.id,
                    to: &person.email,
                    kind: MailKind::Digest,
                    notification_id: None,
                    reset_id: None,
                    digest_date: Some(StoredDate(day).days()),
                    message_key: &key,
                    token: None,
                    // Quiet hours that cover the morning hold the digest until they end.
                    due: db::quiet_hours(person.quiet_from, person.quiet_to)
                        .map_or(now, |q| q.release(person.zone().tz(), now)),
                    at: now,
                },
            )
            .await?;
            plan.written += usize::from(written.is_some());
        }
    }
    Ok(plan)
}

/// A digest's key (and Message-ID's local part): one per person and day.
pub fn digest_key(user_id: i64, day: NaiveDate) -> String {
    format!("digest-{user_id}-{}", day.format("%Y%m%d"))
}

#[derive(Serialize)]
struct Window {
    window: String,
    name: String,
    service: &'static str,
    status: &'static str,
    link: String,
}

#[derive(Serialize)]
struct Site {
    name: String,
    windows: Vec<Window>,
}

#[derive(Serialize)]
struct Attention {
    name: String,
    customer: Option<String>,
    status: &'static str,
    link: String,
}

#[derive(Serialize)]
struct Change {
    at: String,
    what: &'static str,
    name: Option<String>,
    link: Option<String>,
}

/// The instant a local date begins in `zone` (its first instant on a day whose midnight a clock
/// change skips).
fn start_of(zone: &Zone, day: NaiveDate) -> DateTime<Utc> {
    domain::local_date_span(zone.tz(), day, day).0
}

/// The customers a person sees, as the dashboard shows them to that person.
pub(super) async fn scope_of<C: Clock>(
    postman: &Postman<C>,
    person: &Hearing,
) -> Result<CustomerScope, crate::ServerError> {
    if person.role == Role::Admin {
        return Ok(CustomerScope::All);
    }
    let reach =
        db::customers_in_reach(&postman.db, person.role, person.id, person.customer_id).await?;
    Ok(CustomerScope::Only(
        reach.into_iter().map(|c| c.id).collect(),
    ))
}

/// What `person`'s digest for `day` says, or `None` when there is nothing to say.
pub(super) async fn digest_context<C: Clock>(
    postman: &Postman<C>,
    person: &Hearing,
    zone: &Zone,
    day: NaiveDate,
) -> Result<Option<Value>, crate::ServerError> {
    let scope = scope_of(postman, person).await?;
    let several = person.role != Role::Customer;
    let tomorrow = day.succ_opt().unwrap_or(day);
    let (from, to) = (
        start_of(zone, tomorrow),
        start_of(zone, tomorrow.succ_opt().unwrap_or(tomorrow)),
    );
    let bookings = db::shown_bookings_between(&postman.db, &scope, from, to).await?;
    let windows = soonest_windows(&bookings, from, to, LISTED_WINDOWS, |_| true);
    // Every window of the day, to say how many are not listed (a day holds a window or two per
    // booking: counting them all is cheap).
    let all_windows: usize = bookings
        .iter()
        .map(|b| {
            b.schedule
                .occurrences_between(b.zone.tz(), from, to)
                .count()
        })
        .sum();
    let more = all_windows.saturating_sub(windows.len());
    let mut sites: Vec<Site> = Vec::new();
    for (i, o) in windows {
        let b = &bookings[i];
        let site = if several {
            format!("{} · {}", place(b), b.customer.name)
        } else {
            place(b)
        };
        let window = Window {
            window: window_label(o.opens, o.closes, b.zone.tz()),
            name: b.name.clone(),
            service: b.service_type.label(),
            status: b.status.short_label(),
            link: postman.link(&format!("/bookings/{}", b.id)),
        };
        match sites.iter_mut().find(|s| s.name == site) {
            Some(s) => s.windows.push(window),
            None => sites.push(Site {
                name: site,
                windows: vec![window],
            }),
        }
    }
    let needing = db::bookings_needing_attention(&postman.db, &scope).await?;
    let more_attention = needing.len().saturating_sub(LISTED_ATTENTION);
    let attention: Vec<Attention> = needing
        .into_iter()
        .take(LISTED_ATTENTION)
        .map(|b| Attention {
            link: postman.link(&format!("/bookings/{}", b.id)),
            customer: several.then(|| b.customer.name.clone()),
            status: b.status.label(),
            name: b.name,
        })
        .collect();
    let (yesterday_from, today_from) = (
        start_of(zone, day.pred_opt().unwrap_or(day)),
        start_of(zone, day),
    );
    let changes: Vec<Change> =
        db::notices_between(&postman.db, person.id, yesterday_from, today_from)
            .await?
            .into_iter()
            .map(|n| Change {
                at: instant_label(n.created_at, zone.tz()),
                what: n.notice.wording(person.role, n.event_kind).headline,
                link: n
                    .booking_id
                    .map(|id| postman.link(&format!("/bookings/{id}"))),
                name: n.booking_name,
            })
            .collect();
    if sites.is_empty() && attention.is_empty() && changes.is_empty() {
        return Ok(None);
    }
    let attention_total = attention.len() + more_attention;
    Ok(Some(context! {
        today => date_label(day),
        tomorrow => format!("{} ({})", date_label(tomorrow), zone.name()),
        sites => sites,
        more => more,
        upcoming_url => postman.link("/upcoming"),
        attention => attention,
        more_attention => more_attention,
        attention_total => attention_total,
        attention_url => postman.link("/attention"),
        changes => changes,
    }))
}
