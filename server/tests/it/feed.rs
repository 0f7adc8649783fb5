//! The private calendar feed as a calendar app reads it: issued once, replaced (the old address
//! stops), turned off; parsed with the `icalendar` crate's own parser: events, zones, daylight
//! saving and cancellations; and the same scope as the pages.

use crate::common::raw;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventStatus};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::common::{
    Dashboard, book_as, cancel_as, decode, draft, london_site, start_dashboard, start_sandbox,
};
use app::api::accounts::{LoadAccount, StartFeed, StopFeed};
use backend::aura::wire::ServiceCatalog;
use domain::model::AccountView;
use domain::{BookingDraft, RepeatKind};
use server::sandbox::SandboxConfig;

/// The account page's data, as `client` sees it.
async fn account(dash: &Dashboard, client: &reqwest::Client) -> AccountView {
    decode(
        client
            .get(dash.url(LoadAccount::PATH))
            .send()
            .await
            .expect("account"),
    )
    .await
    .expect("account")
}

/// Issues (or replaces) `client`'s feed and reads its address from the account page's one-time
/// flash, as the page shows it.
pub(crate) async fn issue_feed(dash: &Dashboard, client: &reqwest::Client) -> String {
    let r = client
        .post(dash.url(StartFeed::PATH))
        .send()
        .await
        .expect("start");
    assert!(r.status().is_success(), "{}", r.status());
    let view = account(dash, client).await;
    assert!(view.feed.active);
    let path = view.flash.and_then(|f| f.reveal).expect("shown once");
    // Shown once: the next load has no address.
    let again = account(dash, client).await;
    assert!(again.flash.and_then(|f| f.reveal).is_none());
    path
}

/// A feed read as a calendar app does: no cookies.
pub(crate) async fn read_feed(dash: &Dashboard, path: &str) -> (StatusCode, String) {
    let r = reqwest::Client::new()
        .get(dash.url(path))
        .send()
        .await
        .expect("feed");
    let status = r.status();
    if status.is_success() {
        let kind = r.headers()["content-type"]
            .to_str()
            .expect("type")
            .to_string();
        assert!(kind.starts_with("text/calendar"), "{kind}");
        assert_eq!(r.headers()["cache-control"], "private, no-store");
    }
    (status, r.text().await.expect("body"))
}

fn parse(text: &str) -> icalendar::Calendar {
    text.parse()
        .unwrap_or_else(|e| panic!("not iCalendar ({e}): {text}"))
}

fn start_of(e: &icalendar::Event) -> (chrono::NaiveDateTime, String) {
    match e.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            (date_time, tzid)
        }
        other => panic!("start without a zone: {other:?}"),
    }
}

#[tokio::test]
async fn a_feed_is_shown_once_replaced_and_turned_off_and_holds_the_viewers_bookings() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let kept_draft = draft("feed-1", "Gate, check; lock \"north\"", site, 600);
    let kept = book_as(&dash.http, &dash.url(""), &kept_draft)
        .await
        .expect("booked");
    let dropped = book_as(
        &dash.http,
        &dash.url(""),
        &draft("feed-2", "Cancelled patrol", site, 900),
    )
    .await
    .expect("booked");
    cancel_as(
        &dash.http,
        &dash.url(""),
        dropped.booking_id,
        "Not needed",
        &[],
    )
    .await
    .expect("cancelled");
    let b = dash.signed_in(&dash.people.customer_b).await;
    let b_site = backend::db::sites_for_customer(&dash.state.db, dash.b.id)
        .await
        .expect("sites")[0]
        .id;
    book_as(
        &b,
        &dash.url(""),
        &draft("feed-b", "Bravo's own", b_site, 600),
    )
    .await
    .expect("B booked");

    let path = issue_feed(&dash, &dash.http).await;
    let (status, text) = read_feed(&dash, &path).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let calendar = parse(&text);
    assert!(
        text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"),
        "{text}"
    );
    let events: Vec<&icalendar::Event> = calendar.events().collect();
    // Weekly for four weeks: four windows each (the first may be today).
    let of = |id: i64| {
        events
            .iter()
            .filter(|e| {
                e.get_uid()
                    .is_some_and(|u| u.starts_with(&format!("booking-{id}-")))
            })
            .collect::<Vec<_>>()
    };
    let kept_events = of(kept.booking_id);
    assert_eq!(kept_events.len(), 4, "{text}");
    let dropped_events = of(dropped.booking_id);
    assert_eq!(dropped_events.len(), 4);
    assert!(
        dropped_events
            .iter()
            .all(|e| e.get_status() == Some(EventStatus::Cancelled))
    );
    assert!(
        kept_events
            .iter()
            .all(|e| e.get_status() != Some(EventStatus::Cancelled))
    );
    // Text with commas, semicolons and quotes comes back as it was.
    assert!(
        kept_events[0]
            .get_summary()
            .expect("summary")
            .starts_with("Gate, check; lock \"north\" · Mobile patrol")
    );
    // Each window in the site's zone, at the booked local time, one UID per window.
    for e in &kept_events {
        let (start, tzid) = start_of(e);
        assert_eq!(tzid, "Europe/London");
        assert_eq!(start.format("%H:%M").to_string(), kept_draft.start_time);
    }
    let mut uids: Vec<&str> = events.iter().filter_map(|e| e.get_uid()).collect();
    let n = uids.len();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), n, "UIDs repeat");
    // Stable: the same UIDs on the next read.
    let (_, again) = read_feed(&dash, &path).await;
    let again = parse(&again);
    let uids_again: Vec<String> = again
        .events()
        .filter_map(|e| e.get_uid().map(str::to_string))
        .collect();
    assert_eq!(uids_again.len(), n);
    assert!(uids_again.iter().all(|u| uids.contains(&u.as_str())));
    // Only A's bookings.
    assert!(!text.contains("Bravo"), "{text}");
    assert!(
        events
            .iter()
            .all(|e| e.get_summary().is_some_and(|s| !s.contains("Bravo")))
    );

    // Replaced: the old address is gone, the new one works.
    let newer = issue_feed(&dash, &dash.http).await;
    assert_ne!(newer, path);
    assert_eq!(read_feed(&dash, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read_feed(&dash, &newer).await.0, StatusCode::OK);
    // Only a hash is stored.
    let stored: String = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT token_hash FROM calendar_feeds"
    ))
    .fetch_one(conn)
    .await?)
    .expect("row");
    let token = newer.trim_start_matches("/feeds/").trim_end_matches(".ics");
    assert!(!stored.contains(token) && !newer.contains(&stored));

    // B's feed holds B's booking and not A's.
    let b_path = issue_feed(&dash, &b).await;
    let (_, b_text) = read_feed(&dash, &b_path).await;
    assert!(b_text.contains("Bravo's own"));
    assert!(!b_text.contains("Gate, check"));

    // Turned off: gone.
    let r = dash
        .http
        .post(dash.url(StopFeed::PATH))
        .send()
        .await
        .expect("stop");
    assert!(r.status().is_success());
    assert_eq!(read_feed(&dash, &newer).await.0, StatusCode::NOT_FOUND);
    assert!(!account(&dash, &dash.http).await.feed.active);
    // B's is untouched.
    assert_eq!(read_feed(&dash, &b_path).await.0, StatusCode::OK);

    // A disabled person's feed ends with the account.
    raw!(&dash.state.db, |conn, d| sqlx::query(&d(
        "UPDATE users SET disabled_at = '2026-01-01T00:00:00Z' WHERE email = ?"
    ))
    .bind(&dash.people.customer_b)
    .execute(conn)
    .await?
    .rows_affected())
    .expect("disable");
    assert_eq!(read_feed(&dash, &b_path).await.0, StatusCode::NOT_FOUND);

    // Anything that is not a feed of ours is a plain 404, never a sign-in page.
    for junk in [
        "/feeds/x.ics",
        "/feeds/",
        &format!("/feeds/{}.ics", "0".repeat(64)),
        "/feeds/..%2F..%2Fetc%2Fpasswd",
    ] {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(dash.url(junk))
            .send()
            .await
            .expect("get");
        assert!(r.status().is_client_error(), "{junk}: {}", r.status());
    }
    // A password reset ends every session of the person, and the feed with them.
    let path = issue_feed(&dash, &dash.http).await;
    assert_eq!(read_feed(&dash, &path).await.0, StatusCode::OK);
    let a_user = backend::db::user_by_email(&dash.state.db, &dash.people.customer_a)
        .await
        .expect("read")
        .expect("A's user");
    let admin = dash.signed_in(&dash.people.admin).await;
    let r = admin
        .post(dash.url(app::api::accounts::ResetPassword::PATH))
        .form(&[
            ("user", a_user.id.to_string()),
            ("password", "a brand new long password".into()),
        ])
        .send()
        .await
        .expect("reset");
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(read_feed(&dash, &path).await.0, StatusCode::NOT_FOUND);

    // Signed out people cannot issue one.
    let r = dash
        .anonymous()
        .post(dash.url(StartFeed::PATH))
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The next change of `tz`'s UTC offset after `after`.
fn next_change(tz: chrono_tz::Tz, after: DateTime<Utc>) -> DateTime<Utc> {
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    let mut day = after;
    while offset(day) == offset(after) {
        day += Duration::days(1);
    }
    // The first second with the new offset.
    let (mut lo, mut hi) = (day - Duration::days(1), day);
    while hi - lo > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if offset(mid) == offset(after) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Windows across a daylight-saving change keep their local time; the feed's `VTIMEZONE` has the
/// change, so a calendar app places each at the right instant.
#[tokio::test]
async fn windows_across_a_clock_change_keep_their_local_time() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let tz = chrono_tz::Europe::London;
    // Three days ahead at least, so the first night (two days before the change) is London's
    // tomorrow or later, whatever the hour.
    let change = next_change(tz, Utc::now() + Duration::days(3));
    let change_day: NaiveDate = change.with_timezone(&tz).date_naive();
    let first = change_day - Duration::days(2);
    let booking = BookingDraft {
        repeat: RepeatKind::Daily,
        days: Vec::new(),
        first_date: first.to_string(),
        last_date: (change_day + Duration::days(2)).to_string(),
        start_time: "22:00".into(),
        ..draft("feed-dst", "Across the change", site, 600)
    };
    let booked = book_as(&dash.http, &dash.url(""), &booking)
        .await
        .expect("booked");
    // A window around the change itself (00:30 for two hours: across 01:00 or 02:00 local).
    let night = BookingDraft {
        idempotency_key: "feed-dst-night".into(),
        name: "Night of the change".into(),
        start_time: "00:30".into(),
        window_minutes: "120".into(),
        ..booking.clone()
    };
    let night = book_as(&dash.http, &dash.url(""), &night)
        .await
        .expect("booked");
    // Read as of a week before the change (the feed reaches 90 days ahead of its reader's now).
    let bookings = backend::db::active_bookings(
        &dash.state.db,
        &backend::db::CustomerScope::Only(vec![dash.a.id]),
    )
    .await
    .expect("read");
    let now = change - Duration::days(7);
    let text =
        backend::feed::calendar_text(&bookings, "Test", None, now, now + Duration::days(90), now);
    let calendar = parse(&text);
    let events: Vec<&icalendar::Event> = calendar
        .events()
        .filter(|e| {
            e.get_uid()
                .is_some_and(|u| u.starts_with(&format!("booking-{}-", booked.booking_id)))
        })
        .collect();
    assert_eq!(events.len(), 5, "{text}");
    for (i, e) in events.iter().enumerate() {
        let (start, tzid) = start_of(e);
        assert_eq!(tzid, "Europe/London");
        assert_eq!(start.date(), first + Duration::days(i as i64));
        assert_eq!(start.format("%H:%M").to_string(), "22:00");
    }
    // The zone's definition names the change at its local time, with both offsets.
    let before = tz
        .offset_from_utc_datetime(&(change - Duration::seconds(1)).naive_utc())
        .fix();
    let after = tz.offset_from_utc_datetime(&change.naive_utc()).fix();
    let local_change = (change.naive_utc()
        + Duration::seconds(i64::from(before.local_minus_utc())))
    .format("%Y%m%dT%H%M%S")
    .to_string();
    let hhmm = |o: chrono::FixedOffset| {
        let s = o.local_minus_utc();
        format!(
            "{}{:02}{:02}",
            if s < 0 { '-' } else { '+' },
            s.abs() / 3600,
            s.abs() / 60 % 60
        )
    };
    let expected = format!(
        "DTSTART:{local_change}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
        hhmm(before),
        hhmm(after)
    );
    assert!(text.contains(&expected), "{expected} not in {text}");
    // Every start and end, read as a calendar app reads them (RFC 5545: a local time that happens
    // twice is the first), is the window's real instant.
    let instant = |t: Option<DatePerhapsTime>| match t {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            assert_eq!(tzid, "Europe/London");
            tz.from_local_datetime(&date_time)
                .earliest()
                .expect("exists")
                .with_timezone(&Utc)
        }
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at))) => at,
        other => panic!("{other:?}"),
    };
    // Expected without the app's schedule code: each night from `first`, 00:30 London (never in a
    // gap or a repeat: London changes at 01:00 UTC), for 120 minutes of real time.
    let windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = (0..5)
        .map(|i| {
            let date = first + Duration::days(i);
            let opens = tz
                .from_local_datetime(&date.and_hms_opt(0, 30, 0).expect("time"))
                .single()
                .expect("00:30 is one instant in London")
                .with_timezone(&Utc);
            (opens, opens + Duration::minutes(120))
        })
        .collect();
    let mut read: Vec<(DateTime<Utc>, DateTime<Utc>)> = calendar
        .events()
        .filter(|e| {
            e.get_uid()
                .is_some_and(|u| u.starts_with(&format!("booking-{}-", night.booking_id)))
        })
        .map(|e| (instant(e.get_start()), instant(e.get_end())))
        .collect();
    read.sort();
    assert_eq!(read, windows);
    // The night of the change, by hand: two hours from 00:30 end at 03:30 when the clocks go
    // forward, at 01:30 (the second time) when they go back.
    let spring = after.local_minus_utc() > before.local_minus_utc();
    let (_, closes) = read[2];
    assert_eq!(
        closes.with_timezone(&tz).format("%H:%M").to_string(),
        if spring { "03:30" } else { "01:30" }
    );
    assert_eq!(read.len(), 5);
    assert!(change_day.year() >= 2026);
}

/// A portfolio with more windows than a feed holds keeps the soonest ones — every window up to a
/// moment, none after — and says so in the calendar's description; none is dropped at random.
#[tokio::test]
async fn a_feed_too_large_keeps_the_soonest_windows_and_says_so() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let max = backend::feed::MAX_FEED_EVENTS;
    // Daily for 90 days: enough bookings for more windows than a feed holds.
    let bookings = max / 90 + 2;
    // Each booking's first date and start time, as booked.
    let mut booked = Vec::new();
    for n in 0..bookings {
        let d = draft(
            &format!("big-{n}"),
            &format!("Patrol {n}"),
            site,
            600 + n as i64,
        );
        let first = NaiveDate::parse_from_str(&d.first_date, "%Y-%m-%d").expect("d");
        let start = chrono::NaiveTime::parse_from_str(&d.start_time, "%H:%M").expect("t");
        booked.push((first, start));
        let daily = BookingDraft {
            repeat: RepeatKind::Daily,
            days: Vec::new(),
            last_date: (first + Duration::days(89)).to_string(),
            ..d
        };
        book_as(&dash.http, &dash.url(""), &daily)
            .await
            .expect("booked");
    }
    let all = backend::db::active_bookings(
        &dash.state.db,
        &backend::db::CustomerScope::Only(vec![dash.a.id]),
    )
    .await
    .expect("read");
    let now = Utc::now();
    let to = now + Duration::days(90);
    let text = backend::feed::calendar_text(&all, "Test", None, now, to, now);
    let calendar = parse(&text);
    let starts: Vec<chrono::NaiveDateTime> = calendar.events().map(|e| start_of(e).0).collect();
    assert_eq!(starts.len(), max);
    let latest = starts.iter().max().expect("some");
    // Every window of every booking opening before the latest shown is in the feed. Counted from
    // what was booked, without the app's schedule code: each of the 90 days at its start time (all
    // within the 90 days read: the first opens at least ten hours from now), as London's clock
    // shows it — a start in the spring-forward gap opens an hour later by the clock.
    let tz = chrono_tz::Europe::London;
    let earlier = booked
        .iter()
        .flat_map(|(first, start)| {
            (0..90).map(move |d| (*first + Duration::days(d)).and_time(*start))
        })
        .map(|local| match tz.from_local_datetime(&local).earliest() {
            Some(_) => local,
            None => local + Duration::hours(1),
        })
        .filter(|local| local < latest)
        .count();
    let shown_earlier = starts.iter().filter(|s| *s < latest).count();
    assert_eq!(shown_earlier, earlier);
    assert!(
        text.contains(&format!("DESCRIPTION:The {max} windows opening soonest")),
        "no note"
    );
}

/// What a strict parser found in a feed: each event's UID, SUMMARY, DESCRIPTION and LOCATION.
#[derive(serde::Deserialize, Debug)]
struct StrictEvent {
    uid: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    location: Option<String>,
}

/// Reads `text` with two strict iCalendar parsers from PyPI, `vobject` (used by CalDAV tools) and
/// `icalendar`, through `strict_ical.py` and the Python `scripts/test` prepares
/// (`AURA_TEST_PYTHON`; plain `python3` with both installed works too). Each parser's events.
fn strict_parsers(text: &str) -> Vec<(String, Vec<StrictEvent>)> {
    let dir = crate::common::tempdir::TempDir::new();
    let file = dir.path.join("feed.ics");
    std::fs::write(&file, text).expect("write feed");
    let python = std::env::var("AURA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/strict_ical.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{python} did not run: {e}"));
    assert!(
        out.status.success(),
        "the strict parsers did not run ({python}; scripts/test installs vobject and icalendar): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("parser output");
    found
        .into_iter()
        .map(|(parser, events)| {
            let events = serde_json::from_value(events.clone())
                .unwrap_or_else(|_| panic!("{parser} refused the feed: {events}\n{text}"));
            (parser, events)
        })
        .collect()
}

/// Every control character and every form of line break, in every text a feed carries: typed
/// through the forms where the forms take them (line breaks and tabs in instructions, Unicode line
/// separators anywhere), and written straight into the database for the rest (text stored before
/// the rules, or by hand). Two strict parsers read the customer's and the account manager's feeds
/// and find exactly the events booked, with the text as typed (line breaks as line feeds).
#[tokio::test]
async fn strict_parsers_find_exactly_the_events_booked_whatever_the_text() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let forged = "x\rEND:VEVENT\rBEGIN:VEVENT\rUID:injected@evil\rSUMMARY:INJECTED\r\
                  DTSTART:20270101T000000Z\rDTEND:20270101T010000Z\rEND:VEVENT\rBEGIN:VEVENT\rX:";
    let textarea =
        "Ring first\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:second@evil\r\n\r\nthen wait\ttab";
    let mut typed = draft("strict-1", "Gate\u{2028}END:VEVENT\u{2029}North", site, 600);
    typed.special_instructions = forged.into();
    let first = book_as(&dash.http, &dash.url(""), &typed)
        .await
        .expect("booked");
    let mut typed = draft("strict-2", "Back door; lock, \\ check", site, 700);
    typed.special_instructions = textarea.into();
    let second = book_as(&dash.http, &dash.url(""), &typed)
        .await
        .expect("booked");
    // Stored with line feeds only.
    let stored: Vec<String> = raw!(&dash.state.db, |conn, d| sqlx::query_scalar(&d(
        "SELECT special_instructions FROM bookings ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
    .expect("read");
    assert_eq!(stored[0], forged.replace('\r', "\n"));
    assert_eq!(
        stored[1],
        "Ring first\nEND:VEVENT\nBEGIN:VEVENT\nUID:second@evil\n\nthen wait\ttab"
    );
    // Every control character (PostgreSQL text holds no NUL), straight into the database.
    let postgres = matches!(dash.state.db, backend::db::Db::Postgres(_));
    let every: String = (0u32..0x20)
        .chain([0x7f])
        .chain(0x80..0xa0)
        .chain([0x2028, 0x2029])
        .filter(|c| !(postgres && *c == 0))
        .filter_map(char::from_u32)
        .map(|c| format!("{c}END:VEVENT{c}BEGIN:VEVENT{c}UID:c{:x}@evil{c}", c as u32))
        .collect();
    let third = book_as(
        &dash.http,
        &dash.url(""),
        &draft("strict-3", "Raw text", site, 800),
    )
    .await
    .expect("booked");
    raw!(&dash.state.db, |conn, d| sqlx::query(&d(
        "UPDATE bookings SET name = ?, special_instructions = ?, address = ? WHERE id = ?"
    ))
    .bind(format!("Raw{every}"))
    .bind(&every)
    .bind(&every)
    .bind(third.booking_id)
    .execute(conn)
    .await?
    .rows_affected())
    .expect("raw text");

    let booked = [first.booking_id, second.booking_id, third.booking_id];
    let customer_feed = read_feed(&dash, &issue_feed(&dash, &dash.http).await).await;
    let manager = dash.signed_in(&dash.people.manager_of_a).await;
    let manager_feed = read_feed(&dash, &issue_feed(&dash, &manager).await).await;
    for (who, (status, text)) in [("customer", customer_feed), ("manager", manager_feed)] {
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(
            !text.contains("\r\nUID:injected") && !text.contains("\nUID:second@evil"),
            "{text}"
        );
        for (parser, events) in strict_parsers(&text) {
            let context = format!("{who}'s feed read by {parser}");
            let mut uids: Vec<&str> = events.iter().filter_map(|e| e.uid.as_deref()).collect();
            assert_eq!(
                uids.len(),
                events.len(),
                "{context}: an event without a UID"
            );
            uids.sort_unstable();
            uids.dedup();
            assert_eq!(uids.len(), events.len(), "{context}: UIDs repeat");
            for id in booked {
                let mine: Vec<&StrictEvent> = events
                    .iter()
                    .filter(|e| {
                        e.uid
                            .as_deref()
                            .is_some_and(|u| u.starts_with(&format!("booking-{id}-")))
                    })
                    .collect();
                assert_eq!(mine.len(), 4, "{context}: booking {id}");
            }
            assert_eq!(events.len(), 12, "{context}: exactly the events booked");
            for e in &events {
                for text in [&e.summary, &e.description, &e.location]
                    .into_iter()
                    .flatten()
                {
                    assert!(
                        !text
                            .chars()
                            .any(|c| c.is_control() && !matches!(c, '\n' | '\t')),
                        "{context}: a control character came through in {text:?}"
                    );
                }
            }
            let of = |id: i64| {
                events
                    .iter()
                    .find(|e| {
                        e.uid
                            .as_deref()
                            .is_some_and(|u| u.starts_with(&format!("booking-{id}-")))
                    })
                    .expect("event")
            };
            let description = |id| of(id).description.clone().unwrap_or_default();
            assert!(
                description(first.booking_id)
                    .contains(&format!("Instructions: {}", forged.replace('\r', "\n"))),
                "{context}: {:?}",
                description(first.booking_id)
            );
            assert!(
                description(second.booking_id).contains(
                    "Instructions: Ring first\nEND:VEVENT\nBEGIN:VEVENT\nUID:second@evil\n\nthen wait\ttab"
                ),
                "{context}: {:?}",
                description(second.booking_id)
            );
            assert!(
                of(first.booking_id)
                    .summary
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Gate\nEND:VEVENT\nNorth")),
                "{context}: {:?}",
                of(first.booking_id).summary
            );
            assert!(
                of(second.booking_id)
                    .summary
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Back door; lock, \\ check")),
                "{context}"
            );
        }
    }
}
