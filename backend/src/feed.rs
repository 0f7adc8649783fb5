//! Private calendar feeds (iCalendar): one secret address per person, shown once and kept only as
//! its SHA-256, that a calendar app (Outlook, Google, Apple) reads without signing in. It holds
//! the windows of the next [`FEED_DAYS`] days of every booking the person reaches at the time it
//! is read (the same scope as the pages): times in each site's zone (`TZID` with a `VTIMEZONE`),
//! cancelled bookings as `STATUS:CANCELLED`, one stable `UID` per window.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};
use sha2::{Digest, Sha256};

use super::auth::Viewer;
use super::blocking::EXPANSION;
use super::db::{self, Booking};
use super::error::ServerError;
use super::forms::Done;
use super::present::instant_label;
use super::secret::Secret;
use super::state::AppState;
use crate::windows::soonest_windows;
use domain::error::AppError;
use domain::model::{FeedView, Outcome, SyncStatus};

/// How far ahead the feed reaches.
pub const FEED_DAYS: i64 = 90;
/// Windows that closed this long ago are still in the feed (today's stay visible all day).
const FEED_PAST_HOURS: i64 = 24;
/// The most windows one feed holds, whatever the bookings: the work per read is bounded.
pub const MAX_FEED_EVENTS: usize = 5_000;
/// Where feeds are served: `/feeds/<secret>.ics`.
pub const FEED_PATH: &str = "/feeds/";
/// The secret is 64 lower-case hex digits (256 bits, of which 244 random: two UUID v4s).
const TOKEN_CHARS: usize = 64;

/// The SHA-256 of a feed's secret, as stored; `None` for anything that cannot be a secret of ours.
pub fn token_hash(token: &str) -> Option<String> {
    let well_formed = token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then(|| format!("{:x}", Sha256::digest(token.as_bytes())))
}

fn new_token() -> Secret {
    Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// The account page's view of the person's feed.
pub async fn feed_view(state: &AppState, viewer: &Viewer) -> Result<FeedView, ServerError> {
    let row = db::feed_of_user(&state.db, viewer.user_id).await?;
    Ok(FeedView {
        active: row.is_some(),
        created: row
            .as_ref()
            .map(|r| instant_label(r.created_at, &chrono_tz::UTC)),
        last_read: row
            .and_then(|r| r.last_read_at)
            .map(|at| instant_label(at, &chrono_tz::UTC)),
        days: FEED_DAYS,
    })
}

/// Gives the person a new feed address (any earlier one stops working at once) and shows it once:
/// the path goes into the page's one-time flash, the database keeps only its hash.
pub async fn start_feed(
    state: &AppState,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let token = new_token();
    let hash = token_hash(token.expose())
        .ok_or_else(|| ServerError::internal("a new feed secret is not well formed"))?;
    let replaced = db::feed_of_user(&state.db, viewer.user_id).await?.is_some();
    db::replace_feed(&state.db, viewer.user_id, &hash, now).await?;
    tracing::info!(
        user = viewer.user_id,
        replaced,
        "calendar feed address issued"
    );
    Ok(Done::to("/account", Outcome::FeedOn { replaced })
        .revealing(format!("{FEED_PATH}{}.ics", token.expose())))
}

pub async fn stop_feed(state: &AppState, viewer: &Viewer) -> Result<Done, ServerError> {
    let had = db::delete_feed(&state.db, viewer.user_id).await?;
    tracing::info!(user = viewer.user_id, had, "calendar feed turned off");
    Ok(Done::to("/account", Outcome::FeedOff))
}

/// The feed at `/feeds/<file>`: its iCalendar text, or `NotFound` for an address that is not (or
/// no longer) a feed, or whose person can no longer sign in.
pub async fn feed_calendar(
    state: &AppState,
    file: &str,
    origin: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, ServerError> {
    let not_found = || ServerError::User(AppError::NotFound("No such calendar feed.".into()));
    let hash = file
        .strip_suffix(".ics")
        .and_then(token_hash)
        .ok_or_else(not_found)?;
    let user_id = db::read_feed(&state.db, &hash, now)
        .await?
        .ok_or_else(not_found)?;
    let user = db::user_by_id(&state.db, user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(not_found)?;
    let viewer = Viewer::of_user(&state.db, user, None).await?;
    let from = now - Duration::hours(FEED_PAST_HOURS);
    let to = now + Duration::days(FEED_DAYS);
    // Everything on the calendar, and cancellations.
    let statuses: Vec<SyncStatus> = SyncStatus::ACTIVE
        .into_iter()
        .chain([SyncStatus::Cancelled])
        .collect();
    let bookings = db::bookings_between(&state.db, &viewer.scope(), &statuses, from, to).await?;
    let title = format!("AURA services · {}", viewer.showing_for());
    EXPANSION
        .run(move || calendar_text(&bookings, &title, origin.as_deref(), from, to, now))
        .await
}

/// The feed's text: the events, with a `VTIMEZONE` for every zone they name. With more than
/// [`MAX_FEED_EVENTS`] windows in range, the soonest are kept (every window up to some day, none
/// after it) and the calendar's description says until when.
pub fn calendar_text(
    bookings: &[Booking],
    title: &str,
    origin: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::new();
    calendar
        .name(&feed_text(title))
        .append_property(("REFRESH-INTERVAL;VALUE=DURATION", "PT1H"))
        .append_property(("X-PUBLISHED-TTL", "PT1H"));
    // One more than shown tells whether any were left out.
    let mut windows = soonest_windows(bookings, from, to, MAX_FEED_EVENTS + 1, |_| true);
    if windows.len() > MAX_FEED_EVENTS
        && let Some((_, first_left_out)) = windows.pop()
    {
        calendar.description(&format!(
            "The {MAX_FEED_EVENTS} windows opening soonest, up to {} UTC; the dashboard lists the rest.",
            first_left_out.opens.format("%Y-%m-%d %H:%M")
        ));
    }
    // A change of plans books some windows again as they were (same line of versions, same
    // date: the same UID): the feed shows each once, from the booking that holds it now.
    let mut by_uid: BTreeMap<(i64, chrono::NaiveDate), usize> = BTreeMap::new();
    let mut kept = Vec::with_capacity(windows.len());
    for (i, o) in windows {
        let booking = &bookings[i];
        let rank = |b: &Booking| (b.status != SyncStatus::Cancelled, b.id);
        match by_uid.get(&(booking.lineage, o.local_date)) {
            Some(&at) => {
                let (j, _): &(usize, domain::Occurrence) = &kept[at];
                if rank(booking) > rank(&bookings[*j]) {
                    kept[at] = (i, o);
                }
            }
            None => {
                by_uid.insert((booking.lineage, o.local_date), kept.len());
                kept.push((i, o));
            }
        }
    }
    let windows = kept;
    let mut zones = BTreeMap::new();
    for (i, o) in &windows {
        let booking = &bookings[*i];
        zones.insert(booking.zone.name(), *booking.zone.tz());
        calendar.push(event(booking, o, origin, now));
    }
    let text = calendar.to_string();
    let timezones: String = zones
        .into_values()
        // Windows in range opened up to a day before `from` and close up to a day after `to`.
        .map(|tz| vtimezone(tz, from - Duration::days(1), to + Duration::days(1)))
        .collect();
    // icalendar writes no VTIMEZONE (and adds a UID to any component it writes), so they are
    // written here and placed before the first event (or the end, with none).
    let at = text
        .find("BEGIN:VEVENT")
        .or_else(|| text.find("END:VCALENDAR"))
        .unwrap_or(text.len());
    format!("{}{timezones}{}", &text[..at], &text[at..])
}

fn event(
    booking: &Booking,
    o: &domain::Occurrence,
    origin: Option<&str>,
    now: DateTime<Utc>,
) -> Event {
    let tz = booking.zone.tz();
    let local = |at: DateTime<Utc>| feed_time(at, tz);
    // A window that opened before the cancel was asked for took place as scheduled then.
    let cancelled_after = booking
        .cancellation
        .as_ref()
        .is_some_and(|c| o.opens < c.requested_at && booking.aura_id.is_some());
    let status = match booking.status {
        SyncStatus::Cancelled if cancelled_after => EventStatus::Confirmed,
        SyncStatus::Cancelled => EventStatus::Cancelled,
        SyncStatus::Confirmed => EventStatus::Confirmed,
        _ => EventStatus::Tentative,
    };
    let summary = match booking.status {
        SyncStatus::Confirmed => format!("{} · {}", booking.name, booking.service_type.label()),
        other => format!(
            "{} · {} ({})",
            booking.name,
            booking.service_type.label(),
            other.short_label()
        ),
    };
    let mut description = vec![
        format!(
            "{} for {}.",
            booking.service_type.label(),
            booking.customer.name
        ),
        format!("Status: {}.", booking.status.label()),
        format!(
            "Guards: {}; {}.",
            booking.number_of_guards,
            booking.armed_preference.label()
        ),
    ];
    if let Some(i) = &booking.special_instructions {
        description.push(format!("Instructions: {i}"));
    }
    for c in &booking.contacts {
        description.push(format!("On-site contact: {} {}", c.name, c.mobile));
    }
    let url = origin.map(|o| format!("{o}/bookings/{}", booking.id));
    if let Some(url) = &url {
        description.push(url.clone());
    }
    let mut event = Event::new();
    event
        .uid(&format!(
            "booking-{}-{}@aura-dashboard",
            booking.lineage,
            o.local_date.format("%Y%m%d")
        ))
        .timestamp(now)
        .summary(&feed_text(&summary))
        .description(&feed_text(&description.join("\n")))
        .location(&feed_text(&location_text(booking)))
        .status(status)
        .starts(local(o.opens))
        .ends(local(o.closes));
    if let Some(url) = &url {
        event.url(url);
    }
    event.done()
}

/// Text as a feed may carry it. The `icalendar` crate escapes line feeds, commas, semicolons and
/// backslashes, but RFC 5545 allows no control character in text other than a tab, and some
/// readers split lines at a carriage return or at any Unicode line break, so a lone `\r` could end
/// the event and start another. Line breaks of every kind (CR LF, CR, VT, FF, NEL, U+2028, U+2029)
/// become a line feed, which the crate writes as `\n`; any other control character becomes
/// U+FFFD, visibly there and harmless.
pub fn feed_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => '\n',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// An instant as the feed writes it: local time in the zone (`TZID`); but where that local time
/// names two instants (the repeated hour of a fall-back night) and this is the later one, which a
/// calendar would not pick (RFC 5545 takes the first), in UTC.
fn feed_time(at: DateTime<Utc>, tz: &Tz) -> CalendarDateTime {
    let naive = at.with_timezone(tz).naive_local();
    match tz.from_local_datetime(&naive).earliest() {
        Some(first) if first == at => CalendarDateTime::WithTimezone {
            date_time: naive,
            tzid: tz.name().to_string(),
        },
        _ => CalendarDateTime::Utc(at),
    }
}

fn location_text(booking: &Booking) -> String {
    let mut parts = Vec::new();
    if let Some(site) = &booking.site {
        parts.push(site.name.clone());
    }
    if let Some(a) = &booking.location.address {
        parts.push(a.clone());
    }
    if parts.is_empty()
        && let Some(coordinates) = booking.location.coordinates
    {
        parts.push(super::present::coordinates_label(coordinates));
    }
    parts.join(", ")
}

/// A `VTIMEZONE` for `tz` that covers `[from, to]`: the period in force at `from`, then each change
/// of UTC offset until `to` (found day by day, then to the second). Listing the changes themselves
/// (not rules) is exact for any zone chrono-tz knows, whatever its history.
pub fn vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc());
    let seconds = |t: DateTime<Utc>| offset_at(t).fix().local_minus_utc();
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let first = offset_at(from);
    out.push_str(&period(from, seconds(from), seconds(from), &first));
    let mut day = from;
    while day < to {
        let next = (day + Duration::days(1)).min(to);
        if seconds(next) != seconds(day) {
            // The first second with the new offset.
            let (mut before, mut after) = (day, next);
            while after - before > Duration::seconds(1) {
                let mid = before + (after - before) / 2;
                if seconds(mid) == seconds(day) {
                    before = mid;
                } else {
                    after = mid;
                }
            }
            out.push_str(&period(
                after,
                seconds(before),
                seconds(after),
                &offset_at(after),
            ));
        }
        day = next;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// One `STANDARD` or `DAYLIGHT` period starting at `at` (written in the offset before it).
fn period(at: DateTime<Utc>, from_secs: i32, to_secs: i32, offset: &chrono_tz::TzOffset) -> String {
    let kind = if offset.dst_offset().is_zero() {
        "STANDARD"
    } else {
        "DAYLIGHT"
    };
    let start: NaiveDateTime = at.naive_utc() + Duration::seconds(i64::from(from_secs));
    let name = offset
        .abbreviation()
        .map(|n| format!("TZNAME:{n}\r\n"))
        .unwrap_or_default();
    format!(
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n{name}END:{kind}\r\n",
        start.format("%Y%m%dT%H%M%S"),
        utc_offset(from_secs),
        utc_offset(to_secs)
    )
}

/// `+0100`, `-0330`, `+054545` (seconds only when there are some).
fn utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let s = secs.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_secrets_are_looked_up() {
        let token = new_token();
        assert_eq!(token.expose().len(), TOKEN_CHARS);
        let hash = token_hash(token.expose()).expect("ours");
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token.expose());
        assert_ne!(token_hash(new_token().expose()), Some(hash));
        for bad in [
            "",
            "abc",
            &"A".repeat(64),
            &"g".repeat(64),
            &"0".repeat(65),
            "../../etc",
        ] {
            assert_eq!(token_hash(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_later_of_a_repeated_hour_is_written_in_utc() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("t")
                .with_timezone(&Utc)
        };
        let london = chrono_tz::Europe::London;
        // 25 Oct 2026: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
        let first = feed_time(at("2026-10-25T00:30:00Z"), &london);
        assert_eq!(
            first,
            CalendarDateTime::WithTimezone {
                date_time: at("2026-10-25T01:30:00Z").naive_utc(),
                tzid: "Europe/London".into()
            }
        );
        assert_eq!(
            feed_time(at("2026-10-25T01:30:00Z"), &london),
            CalendarDateTime::Utc(at("2026-10-25T01:30:00Z"))
        );
        assert!(matches!(
            feed_time(at("2026-07-01T21:00:00Z"), &london),
            CalendarDateTime::WithTimezone { .. }
        ));
    }

    #[test]
    fn offsets_are_written_as_icalendar_wants() {
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-12_600), "-0330");
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(20_745), "+054545");
    }

    #[test]
    fn a_zone_lists_each_change_in_range_to_the_second() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("t")
                .with_timezone(&Utc)
        };
        let text = vtimezone(
            chrono_tz::Europe::London,
            at("2026-10-01T00:00:00Z"),
            at("2027-04-30T00:00:00Z"),
        );
        // In force on 1 October: BST. Back at 02:00 BST on 25 October; forward at 01:00 GMT on
        // 28 March.
        assert_eq!(
            text,
            "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n\
             BEGIN:DAYLIGHT\r\nDTSTART:20261001T010000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nEND:DAYLIGHT\r\n\
             BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\nEND:STANDARD\r\n\
             BEGIN:DAYLIGHT\r\nDTSTART:20270328T010000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nEND:DAYLIGHT\r\n\
             END:VTIMEZONE\r\n"
        );
        // A zone without changes: one period.
        let tokyo = vtimezone(
            chrono_tz::Asia::Tokyo,
            at("2026-10-01T00:00:00Z"),
            at("2027-04-30T00:00:00Z"),
        );
        assert_eq!(tokyo.matches("BEGIN:STANDARD").count(), 1);
        assert!(tokyo.contains("TZOFFSETTO:+0900"));
    }
}
