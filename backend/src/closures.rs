//! Closures: dates a customer's sites are closed (bank holidays, shutdowns), for every site or
//! some, typed in or imported from an `.ics` file. A closure sends nothing by itself: it lists the
//! bookings it meets, and the person chooses which to skip on those dates (each a skip, carried
//! out as the booking's page does it) and which to keep.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{CalendarComponent, Component};

use crate::auth::Viewer;
use crate::blocking::EXPANSION;
use crate::bookings::{SkipAsk, skip_dates};
use crate::db::{self, Booking, ClosureRow, ClosureSaved, CustomerRow, CustomerScope, NewClosure};
use crate::error::ServerError;
use crate::forms::Done;
use crate::present::{date_label, window_label};
use crate::state::AppState;
use domain::error::AppError;
use domain::model::{
    ClosureView, ClosuresPage, ClosuresView, CustomerOption, MeetView, Outcome, RowResult,
    SiteView, SyncStatus,
};
use domain::plan::{MAX_SKIP_DAYS, check_closure, windows_on};
use domain::{Field, FieldErrors};

/// The most closures a page lists, and a file may hold.
pub const MAX_CLOSURES: usize = 500;
/// The largest calendar file read.
pub const MAX_ICS_BYTES: usize = 512 * 1024;
/// The windows listed per booking met.
const WINDOWS_SHOWN: usize = 10;

pub const PAGE: &str = "/closures";

/// The customer the viewer acts for here, or the choice to make first.
fn customer_of(viewer: &Viewer) -> Result<Result<&CustomerRow, Vec<CustomerOption>>, ServerError> {
    match viewer.acting_customer(None) {
        Ok(c) => Ok(Ok(c)),
        Err(AppError::Conflict(_)) => Ok(Err(viewer
            .customers
            .iter()
            .map(CustomerOption::from)
            .collect())),
        Err(e) => Err(e.into()),
    }
}

fn acting(viewer: &Viewer) -> Result<&CustomerRow, ServerError> {
    Ok(viewer.acting_customer(None)?)
}

/// The closures page: the customer's closures not yet over, each with the bookings it meets.
pub async fn closures_view(
    state: &AppState,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<ClosuresPage, ServerError> {
    let customer = match customer_of(viewer)? {
        Ok(c) => c.clone(),
        Err(choices) => return Ok(ClosuresPage::ChooseCustomer(choices)),
    };
    let today = now
        .with_timezone(customer.default_timezone.tz())
        .date_naive();
    let closures = db::closures_of(&state.db, customer.id, today, MAX_CLOSURES as i64).await?;
    let sites: Vec<SiteView> = db::open_sites_for_customer(&state.db, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    let scope = CustomerScope::Only(vec![customer.id]);
    let bookings = db::active_bookings(&state.db, &scope).await?;
    let site_names = sites.clone();
    let views = EXPANSION
        .run(move || {
            closures
                .iter()
                .map(|c| view_of(c, &bookings, &site_names, now))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(ClosuresPage::Ready(Box::new(ClosuresView {
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        closures: views,
        sites,
        form_key: uuid::Uuid::new_v4().simple().to_string(),
        flash: None,
    })))
}

fn dates_label(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        date_label(first)
    } else {
        format!("{} to {}", date_label(first), date_label(last))
    }
}

/// Whether a booking can have dates skipped now; else why not (in words).
fn why_not(b: &Booking) -> Option<String> {
    if b.cancellation.is_some() {
        return Some("A cancel was asked for it.".into());
    }
    match b.status {
        SyncStatus::Confirmed | SyncStatus::Saved | SyncStatus::NotSent => None,
        other => Some(format!("It is {}.", other.label().to_lowercase())),
    }
}

/// The bookings `closure` meets: those at a site it closes with windows still to open on its
/// dates.
fn meets(
    closure: &ClosureRow,
    bookings: &[Booking],
    now: DateTime<Utc>,
) -> Vec<(Booking, Vec<domain::Occurrence>)> {
    bookings
        .iter()
        .filter(|b| closure.closes(b.site.as_ref().map(|s| s.id)))
        .filter(|b| b.first_date <= closure.last_date && closure.first_date <= b.last_date)
        .filter_map(|b| {
            let windows = windows_on(
                &b.schedule,
                b.zone.tz(),
                closure.first_date,
                closure.last_date,
                now,
            );
            (!windows.is_empty()).then(|| (b.clone(), windows))
        })
        .collect()
}

fn view_of(
    closure: &ClosureRow,
    bookings: &[Booking],
    sites: &[SiteView],
    now: DateTime<Utc>,
) -> ClosureView {
    let sites_label = if closure.site_ids.is_empty() {
        "Every site".to_string()
    } else {
        closure
            .site_ids
            .iter()
            .map(|id| {
                sites
                    .iter()
                    .find(|s| s.id == *id)
                    .map_or_else(|| format!("site #{id} (retired)"), |s| s.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    ClosureView {
        id: closure.id,
        name: closure.name.clone(),
        dates: dates_label(closure.first_date, closure.last_date),
        sites: sites_label,
        meets: meets(closure, bookings, now)
            .into_iter()
            .map(|(b, windows)| {
                let tz = b.zone.tz();
                MeetView {
                    booking_id: b.id,
                    name: b.name.clone(),
                    place: crate::present::place(&b),
                    count: windows.len(),
                    windows: windows
                        .iter()
                        .take(WINDOWS_SHOWN)
                        .map(|o| {
                            format!(
                                "{}, {}",
                                date_label(o.local_date),
                                window_label(o.opens, o.closes, tz)
                            )
                        })
                        .collect(),
                    why_not: why_not(&b),
                }
            })
            .collect(),
    }
}

/// The sites a closure closes, checked to be the customer's (none: every site).
async fn checked_sites(
    state: &AppState,
    customer: &CustomerRow,
    sites: &[i64],
) -> Result<Vec<i64>, ServerError> {
    let open = db::open_sites_for_customer(&state.db, customer.id).await?;
    let mut chosen = Vec::new();
    for id in sites {
        if !open.iter().any(|s| s.id == *id) {
            return Err(FieldErrors::one(
                Field::Site,
                "That site is not one of this customer's open saved sites.",
            )
            .into());
        }
        if !chosen.contains(id) {
            chosen.push(*id);
        }
    }
    Ok(chosen)
}

/// Saves a closure typed in: a name, the first and last days closed, and the sites (none: every
/// site).
pub async fn add_closure(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    from: &str,
    to: &str,
    sites: &[i64],
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let customer = acting(viewer)?.clone();
    let (name, first, last) = check_closure(name, from, to)?;
    let sites = checked_sites(state, &customer, sites).await?;
    let saved = db::save_closure(
        &state.db,
        &NewClosure {
            customer_id: customer.id,
            name: &name,
            first_date: first,
            last_date: last,
            site_ids: &sites,
            uid: None,
            created_by: &viewer.name,
            at: now,
        },
    )
    .await?;
    let (ClosureSaved::Added(id) | ClosureSaved::Updated(id)) = saved;
    let closure = db::closure_of(&state.db, customer.id, id)
        .await?
        .ok_or_else(|| ServerError::internal(format!("closure {id} vanished")))?;
    let scope = CustomerScope::Only(vec![customer.id]);
    let bookings = db::active_bookings(&state.db, &scope).await?;
    let met = EXPANSION
        .run(move || meets(&closure, &bookings, now).len())
        .await?;
    Ok(Done::to(
        format!("{PAGE}#closure-{id}"),
        Outcome::ClosureAdded { name, meets: met },
    ))
}

/// One closure read from a calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadClosure {
    pub uid: Option<String>,
    pub name: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The closures a calendar file holds: each event's summary and days (an all-day event's end is
/// the day after its last; a timed one closes the days it touches). Events with no start, or
/// longer than a skip may cover, are left out and named.
pub fn read_ics(text: &str) -> Result<(Vec<ReadClosure>, Vec<String>), FieldErrors> {
    let unreadable = |why: &str| FieldErrors::one(Field::ClosureFile, why.to_string());
    if text.len() > MAX_ICS_BYTES {
        return Err(unreadable(&format!(
            "The file is larger than {} KB; split it.",
            MAX_ICS_BYTES / 1024
        )));
    }
    if !text.contains("BEGIN:VCALENDAR") {
        return Err(unreadable(
            "This is not a calendar file (.ics): it has no BEGIN:VCALENDAR.",
        ));
    }
    let calendar: icalendar::Calendar = text.parse().map_err(|_| {
        unreadable("The calendar file could not be read: it is not valid iCalendar (RFC 5545).")
    })?;
    let mut read = Vec::new();
    let mut left_out = Vec::new();
    for component in &calendar.components {
        let CalendarComponent::Event(event) = component else {
            continue;
        };
        if read.len() >= MAX_CLOSURES {
            left_out.push(format!("events after the first {MAX_CLOSURES}"));
            break;
        }
        let name: String = event
            .get_summary()
            .unwrap_or("Closed")
            .chars()
            .filter(|c| !c.is_control())
            .take(domain::MAX_NAME_CHARS)
            .collect();
        let name = if name.trim().is_empty() {
            "Closed".to_string()
        } else {
            name.trim().to_string()
        };
        let Some(start) = event.get_start() else {
            left_out.push(format!("{name} (no start date)"));
            continue;
        };
        let first = start.date_naive();
        let last = match (event.get_end(), &start) {
            (Some(end @ icalendar::DatePerhapsTime::Date(_)), _) => {
                end.date_naive().pred_opt().unwrap_or(first).max(first)
            }
            (Some(end), _) => end.date_naive().max(first),
            (None, _) => first,
        };
        if (last - first).num_days() >= MAX_SKIP_DAYS {
            left_out.push(format!("{name} (longer than {MAX_SKIP_DAYS} days)"));
            continue;
        }
        read.push(ReadClosure {
            uid: event.get_uid().map(|u| u.chars().take(255).collect()),
            name,
            first,
            last,
        });
    }
    if read.is_empty() && left_out.is_empty() {
        return Err(unreadable("The calendar file holds no events."));
    }
    Ok((read, left_out))
}

/// Saves the closures a calendar file holds, for `sites` (none: every site). Importing the same
/// file again updates the closures it made (by each event's UID) rather than adding them twice.
pub async fn import_closures(
    state: &AppState,
    viewer: &Viewer,
    text: &str,
    sites: &[i64],
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let customer = acting(viewer)?.clone();
    let sites = checked_sites(state, &customer, sites).await?;
    let owned = text.to_string();
    let (read, mut left_out) = EXPANSION.run(move || read_ics(&owned)).await??;
    let today = now
        .with_timezone(customer.default_timezone.tz())
        .date_naive();
    let (mut added, mut updated, mut past) = (0, 0, 0);
    let mut tx = state.db.begin().await?;
    // Written from the start (each save reads, then writes).
    db::lock_customer(&mut tx, customer.id).await?;
    for c in &read {
        if c.last < today {
            past += 1;
            continue;
        }
        match db::save_closure(
            &mut tx,
            &NewClosure {
                customer_id: customer.id,
                name: &c.name,
                first_date: c.first,
                last_date: c.last,
                site_ids: &sites,
                uid: c.uid.as_deref(),
                created_by: &viewer.name,
                at: now,
            },
        )
        .await?
        {
            ClosureSaved::Added(_) => added += 1,
            ClosureSaved::Updated(_) => updated += 1,
        }
    }
    tx.commit().await?;
    if past > 0 {
        left_out.push(format!("{past} already over"));
    }
    Ok(Done::to(
        PAGE.to_string(),
        Outcome::ClosuresImported {
            added,
            updated,
            left_out,
        },
    ))
}

pub async fn delete_closure(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<Done, ServerError> {
    let customer = acting(viewer)?.clone();
    let closure = db::closure_of(&state.db, customer.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such closure.".into()))?;
    db::delete_closure(&state.db, customer.id, id).await?;
    Ok(Done::to(
        PAGE.to_string(),
        Outcome::ClosureDeleted { name: closure.name },
    ))
}

/// Skips a closure's dates in the bookings chosen (each must be one it meets): one skip per
/// booking, each carried out and reported on its own.
pub async fn apply_closure(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    chosen: &[i64],
    key: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let customer = acting(viewer)?.clone();
    let closure = db::closure_of(&state.db, customer.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such closure.".into()))?;
    if chosen.is_empty() {
        return Err(FieldErrors::one(
            Field::Site,
            "Choose at least one booking to skip (or leave them all as they are).",
        )
        .into());
    }
    let key = crate::forms::page_key(key)?;
    let scope = CustomerScope::Only(vec![customer.id]);
    let bookings = db::active_bookings(&state.db, &scope).await?;
    let for_meets = closure.clone();
    let met: Vec<(i64, String)> = EXPANSION
        .run(move || {
            meets(&for_meets, &bookings, now)
                .into_iter()
                .map(|(b, _)| (b.id, b.name))
                .collect()
        })
        .await?;
    let from = domain::iso_date(closure.first_date);
    let to = domain::iso_date(closure.last_date);
    let mut rows = Vec::new();
    for booking in chosen.iter().take(MAX_CLOSURES) {
        let Some((_, name)) = met.iter().find(|(b, _)| b == booking) else {
            rows.push(RowResult {
                booking_id: *booking,
                name: String::new(),
                outcome: Err(AppError::Conflict(
                    "This closure does not meet it (any more).".into(),
                )),
            });
            continue;
        };
        let ask = SkipAsk {
            from: &from,
            to: &to,
            key: &format!("c{key}-{id}-{booking}"),
            also_pair: false,
        };
        let outcome = match skip_dates(state, viewer, *booking, &ask, now).await {
            Ok(o) => Ok(Box::new(o)),
            Err(ServerError::User(e)) => Err(e),
            Err(e) => return Err(e),
        };
        rows.push(RowResult {
            booking_id: *booking,
            name: name.clone(),
            outcome,
        });
    }
    Ok(Done::to(
        format!("{PAGE}#closure-{id}"),
        Outcome::Several { rows },
    ))
}

/// The closures a booking's windows meet (name and dates), for its page and the booking form.
pub async fn closures_meeting(
    state: &AppState,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<Vec<(String, NaiveDate, NaiveDate, usize)>, ServerError> {
    let today = now.with_timezone(booking.zone.tz()).date_naive();
    let closures =
        db::closures_of(&state.db, booking.customer.id, today, MAX_CLOSURES as i64).await?;
    let booking = booking.clone();
    EXPANSION
        .run(move || {
            closures
                .iter()
                .filter(|c| c.closes(booking.site.as_ref().map(|s| s.id)))
                .filter_map(|c| {
                    let n = windows_on(
                        &booking.schedule,
                        booking.zone.tz(),
                        c.first_date,
                        c.last_date,
                        now,
                    )
                    .len();
                    (n > 0).then(|| (c.name.clone(), c.first_date, c.last_date, n))
                })
                .collect()
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    const HOLIDAYS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:xmas-2027@example.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20271225\r\nDTEND;VALUE=DATE:20271226\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:shutdown@example.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20271227\r\nDTEND;VALUE=DATE:20280103\r\nSUMMARY:Winter shutdown\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:audit@example.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20271110T090000Z\r\nDTEND:20271111T170000Z\r\nSUMMARY:Audit\\, all day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:no-start@example.com\r\nDTSTAMP:20261201T000000Z\r\nSUMMARY:Someday\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:long@example.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20290101\r\nSUMMARY:Two years\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn a_calendar_file_gives_one_closure_per_event_with_its_days() {
        let (read, left_out) = read_ics(HOLIDAYS).expect("read");
        assert_eq!(
            read,
            vec![
                ReadClosure {
                    uid: Some("xmas-2027@example.com".into()),
                    name: "Christmas Day".into(),
                    first: date(2027, 12, 25),
                    last: date(2027, 12, 25),
                },
                ReadClosure {
                    uid: Some("shutdown@example.com".into()),
                    name: "Winter shutdown".into(),
                    first: date(2027, 12, 27),
                    last: date(2028, 1, 2),
                },
                ReadClosure {
                    uid: Some("audit@example.com".into()),
                    name: "Audit, all day".into(),
                    first: date(2027, 11, 10),
                    last: date(2027, 11, 11),
                },
            ]
        );
        assert_eq!(
            left_out,
            vec![
                "Someday (no start date)".to_string(),
                "Two years (longer than 366 days)".to_string()
            ]
        );
    }

    #[test]
    fn what_is_not_a_calendar_is_refused_at_the_file_field() {
        for bad in [
            "",
            "hello",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n\u{0}\u{1}",
        ] {
            let e = read_ics(bad).expect_err(bad);
            assert!(e.get(Field::ClosureFile).is_some(), "{bad:?}");
        }
        let big = "X".repeat(MAX_ICS_BYTES + 1);
        assert!(read_ics(&big).is_err());
    }
}
