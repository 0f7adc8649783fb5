//! The calendar as a user reads it: month, week and agenda views of the same windows, a month day's
//! "+N more", windows crossing midnight, side-by-side overlaps, filters with counts, and bad URLs.

use crate::common::{
    Dashboard, RunningSandbox, book_as, decode, draft, drawn_windows, local_in, london_site,
    start_dashboard, start_sandbox,
};
use app::api::bookings::LoadCalendar;
use backend::aura::wire::ServiceCatalog;
use chrono::{TimeZone, Timelike};
use domain::error::AppError;
use domain::model::{CalendarBody, CalendarMode, CalendarView, StatusGroup};
use domain::{BookingDraft, RepeatKind, ServiceType};
use leptos::server_fn::ServerFn;
use server::sandbox::SandboxConfig;

async fn setup() -> (RunningSandbox, Dashboard, i64) {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    (sb, dash, site)
}

async fn calendar(dash: &Dashboard, query: &str) -> Result<CalendarView, AppError> {
    decode(
        dash.http
            .get(format!("{}?{query}", dash.url(LoadCalendar::PATH)))
            .send()
            .await
            .expect("calendar"),
    )
    .await
}

/// A booking at the London site on the local dates `first..=last`, opening at `start` for
/// `minutes`.
fn at(key: &str, site: i64, first: &str, last: &str, start: &str, minutes: u32) -> BookingDraft {
    BookingDraft {
        repeat: RepeatKind::Daily,
        days: vec![],
        first_date: first.into(),
        last_date: last.into(),
        start_time: start.into(),
        window_minutes: minutes.to_string(),
        ..draft(key, key, site, 60 * 24)
    }
}

fn day_after(date: &str, n: i64) -> String {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date");
    (d + chrono::Duration::days(n)).to_string()
}

#[tokio::test]
async fn one_booking_shows_the_same_in_month_week_and_agenda() {
    let (_sb, dash, site) = setup().await;
    let first = local_in("Europe/London", 60 * 24 * 2).date;
    let last = day_after(&first, 9);
    // Ten nights, 23:00 for two hours: every window crosses midnight.
    let booked = book_as(
        &dash.http,
        &dash.url(""),
        &at("nights", site, &first, &last, "23:00", 120),
    )
    .await
    .expect("booked");
    assert!(booked.booking_id > 0);

    let agenda = calendar(&dash, &format!("view=agenda&date={first}"))
        .await
        .expect("agenda");
    assert_eq!(agenda.mode, CalendarMode::Agenda);
    let CalendarBody::Agenda { days, more } = &agenda.body else {
        panic!("an agenda")
    };
    assert_eq!(days.len(), 7, "a week of days");
    assert!(more.is_none());
    assert!(days.iter().all(|d| d.occurrences.len() == 1), "{days:?}");
    assert_eq!(agenda.total, 7);
    assert!(
        days[0].occurrences[0].time_label.contains("(next day)"),
        "{}",
        days[0].occurrences[0].time_label
    );

    let week = calendar(&dash, &format!("view=week&date={first}"))
        .await
        .expect("week");
    let CalendarBody::Week(week_days) = &week.body else {
        panic!("a week")
    };
    assert_eq!(week_days.len(), 7);
    let first_date = chrono::NaiveDate::parse_from_str(&first, "%Y-%m-%d").expect("date");
    for day in week_days {
        let parts: Vec<_> = day.items.iter().collect();
        if day.date == first_date {
            // Only the evening part: the night before had no window.
            assert_eq!(parts.len(), 1, "{:?}", day.date);
            assert_eq!(
                (parts[0].start_minute, parts[0].end_minute),
                (23 * 60, 24 * 60)
            );
            assert!(parts[0].into_next_day && !parts[0].from_previous_day);
        } else if day.date > first_date {
            // The morning part of the night before, and this evening's. The night's two hours
            // end at 01:00, or at 02:00 when the clocks go forward that night.
            assert_eq!(parts.len(), 2, "{:?}", day.date);
            let evening = (day.date - chrono::Duration::days(1))
                .and_hms_opt(23, 0, 0)
                .expect("23:00");
            let ends = (chrono_tz::Europe::London
                .from_local_datetime(&evening)
                .single()
                .expect("23:00 is never repeated or skipped in London")
                + chrono::Duration::minutes(120))
            .naive_local()
            .time();
            let end_minute = u16::try_from(ends.hour() * 60 + ends.minute()).expect("minute");
            assert_eq!(
                (parts[0].start_minute, parts[0].end_minute),
                (0, end_minute),
                "{:?}",
                day.date
            );
            assert!(parts[0].from_previous_day);
            assert_eq!(parts[1].start_minute, 23 * 60);
        }
    }

    // The month of the first night names it on that day.
    let month = calendar(&dash, &format!("view=month&date={first}"))
        .await
        .expect("month");
    let CalendarBody::Month(weeks) = &month.body else {
        panic!("a month")
    };
    assert!(weeks.iter().all(|w| w.len() == 7));
    let cell = weeks
        .iter()
        .flatten()
        .find(|d| d.date == first_date)
        .expect("in the grid");
    assert_eq!(cell.shown.len(), 1);
    assert_eq!(cell.shown[0].booking_id, booked.booking_id);
    // Links keep the view and move by the view's step.
    assert!(week.next.href.contains("view=week"));
    assert!(
        agenda
            .modes
            .iter()
            .any(|m| m.current && m.label == "Agenda")
    );
}

#[tokio::test]
async fn a_busy_day_shows_a_few_windows_and_how_many_more() {
    let (_sb, dash, site) = setup().await;
    let day = local_in("Europe/London", 60 * 24 * 2).date;
    for (i, start) in ["08:00", "09:00", "09:30", "10:00", "11:00"]
        .iter()
        .enumerate()
    {
        book_as(
            &dash.http,
            &dash.url(""),
            &at(&format!("busy-{i}"), site, &day, &day, start, 90),
        )
        .await
        .expect("booked");
    }
    let month = calendar(&dash, &format!("view=month&date={day}"))
        .await
        .expect("month");
    let CalendarBody::Month(weeks) = &month.body else {
        panic!("a month")
    };
    let date = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").expect("date");
    let cell = weeks
        .iter()
        .flatten()
        .find(|d| d.date == date)
        .expect("day");
    assert_eq!(cell.shown.len(), 3);
    assert_eq!(cell.more, 2);
    assert!(cell.shown.windows(2).all(|w| w[0].opens <= w[1].opens));
    assert!(cell.agenda.contains(&format!("view=agenda&date={day}")));
    // The day's agenda lists all five; the week puts overlapping ones side by side.
    let agenda = calendar(&dash, &format!("view=agenda&date={day}"))
        .await
        .expect("agenda");
    let CalendarBody::Agenda { days, .. } = &agenda.body else {
        panic!("an agenda")
    };
    assert_eq!(days[0].occurrences.len(), 5);
    let week = calendar(&dash, &format!("view=week&date={day}"))
        .await
        .expect("week");
    let CalendarBody::Week(week_days) = &week.body else {
        panic!("a week")
    };
    let items = &week_days
        .iter()
        .find(|d| d.date == date)
        .expect("day")
        .items;
    // 08:00-09:30, 09:00-10:30, 09:30-11:00, 10:00-11:30, 11:00-12:30: at most three at once.
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i.columns == 3), "{items:?}");
    let columns: Vec<u8> = items.iter().map(|i| i.column).collect();
    assert_eq!(columns, vec![0, 1, 0, 2, 0]);
}

#[tokio::test]
async fn filters_narrow_the_view_and_count_each_choice() {
    let (_sb, dash, site) = setup().await;
    let day = local_in("Europe/London", 60 * 24 * 2).date;
    book_as(
        &dash.http,
        &dash.url(""),
        &at("patrol", site, &day, &day, "08:00", 60),
    )
    .await
    .expect("booked");
    let guarding = BookingDraft {
        service_type: Some(ServiceType::Guarding),
        ..at("guard", site, &day, &day, "12:00", 60)
    };
    book_as(&dash.http, &dash.url(""), &guarding)
        .await
        .expect("booked");

    let all = calendar(&dash, &format!("view=agenda&date={day}"))
        .await
        .expect("all");
    assert_eq!(all.total, 2);
    assert!(!all.filtered);
    assert_eq!(all.legend, vec![ServiceType::Patrol, ServiceType::Guarding]);

    let only = calendar(&dash, &format!("view=agenda&date={day}&service=guarding"))
        .await
        .expect("filtered");
    assert!(only.filtered);
    assert_eq!(only.total, 1);
    let names: Vec<&str> = drawn_windows(&only)
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, vec!["guard"]);
    let service = only
        .filters
        .iter()
        .find(|f| f.param == "service")
        .expect("service filter");
    let count_of = |v: &str| {
        service
            .options
            .iter()
            .find(|o| o.value == v)
            .map(|o| (o.count, o.selected))
    };
    // A choice's count is what choosing it would show.
    assert_eq!(count_of("patrol"), Some((1, false)));
    assert_eq!(count_of("guarding"), Some((1, true)));
    assert_eq!(count_of("escort"), Some((0, false)));
    let status = only
        .filters
        .iter()
        .find(|f| f.param == "status")
        .expect("status filter");
    let confirmed = status
        .options
        .iter()
        .find(|o| o.value == StatusGroup::Confirmed.key())
        .expect("confirmed");
    assert_eq!(confirmed.count, 1, "with the service filter applied");
    // Filters combine, and links keep them.
    let none = calendar(
        &dash,
        &format!("view=agenda&date={day}&service=guarding&status=not_sent"),
    )
    .await
    .expect("combined");
    assert_eq!(none.total, 0);
    assert!(none.next.href.contains("service=guarding"));
    assert!(none.next.href.contains("status=not_sent"));
    // One customer: no customer filter.
    assert!(all.filters.iter().all(|f| f.param != "customer"));
}

#[tokio::test]
async fn a_calendar_url_no_link_makes_is_a_400() {
    let (_sb, dash, _site) = setup().await;
    for bad in [
        "view=year",
        "date=2026-13-01",
        "date=yesterday",
        "site=abc",
        "service=teleport",
        "status=maybe",
        "customer=-",
    ] {
        let r = dash
            .http
            .get(format!("{}?{bad}", dash.url(LoadCalendar::PATH)))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST, "{bad}");
    }
    // And the page itself answers the same request with the message, not a failure.
    let page = dash
        .http
        .get(dash.url("/?view=year"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), reqwest::StatusCode::BAD_REQUEST);
}

/// With "times in my zone" chosen, every window is shown in the browser's zone (on that zone's
/// day), still naming its zone, with the site's local time alongside; the booking's own page keeps
/// the site's time.
#[tokio::test]
async fn times_can_be_shown_in_the_viewers_own_zone() {
    let (_sb, dash, site) = setup().await;
    let day = local_in("Europe/London", 60 * 24 * 3).date;
    // 20:00 in London is the next morning in Tokyo.
    let booked = book_as(
        &dash.http,
        &dash.url(""),
        &at("tokyo", site, &day, &day, "20:00", 60),
    )
    .await
    .expect("booked");
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let base: reqwest::Url = dash.url("/").parse().expect("url");
    jar.add_cookie_str("aura_zone=Asia%2FTokyo; Path=/", &base);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        dash.url("").trim_end_matches('/').parse().expect("origin"),
    );
    let client = reqwest::Client::builder()
        .cookie_provider(jar)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let signed = client
        .post(dash.url(app::api::accounts::SignIn::PATH))
        .form(&[
            ("email", dash.people.customer_a.as_str()),
            ("password", crate::common::PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(signed.status().is_success());
    let get = |query: String| {
        let client = client.clone();
        let url = format!("{}?{query}", dash.url(LoadCalendar::PATH));
        async move {
            decode::<CalendarView>(client.get(url).send().await.expect("calendar"))
                .await
                .expect("calendar")
        }
    };
    let site_view = get(format!("view=agenda&date={day}")).await;
    assert_eq!(site_view.my_zone.as_deref(), Some("Asia/Tokyo"));
    let w = &drawn_windows(&site_view)[0];
    assert_eq!(w.timezone, "Europe/London");
    assert!(w.site_time.is_none());

    let chosen = client
        .post(dash.url(app::api::accounts::SetTimesIn::PATH))
        .form(&[("times_in", "mine"), ("back", "/")])
        .send()
        .await
        .expect("choose");
    assert!(chosen.status().is_success() || chosen.status().is_redirection());
    let mine = get(format!("view=agenda&date={day}")).await;
    assert_eq!(mine.times_in, domain::model::TimesIn::Mine);
    let CalendarBody::Agenda { days, .. } = &mine.body else {
        panic!("an agenda")
    };
    // Not on the London day any more: on Tokyo's next day, 04:00 or 05:00 JST.
    assert!(days[0].occurrences.is_empty(), "{:?}", days[0]);
    let w = &days[1].occurrences[0];
    assert_eq!(w.timezone, "Asia/Tokyo");
    assert!(w.time_label.ends_with("JST"), "{}", w.time_label);
    assert!(
        w.site_time
            .as_deref()
            .is_some_and(|t| t.contains("20:00–21:00") && t.contains("Europe/London")),
        "{:?}",
        w.site_time
    );
    let detail: domain::model::BookingDetail = decode(
        client
            .get(format!(
                "{}?id={}",
                dash.url(app::api::bookings::LoadBooking::PATH),
                booked.booking_id
            ))
            .send()
            .await
            .expect("detail"),
    )
    .await
    .expect("detail");
    assert_eq!(detail.timezone, "Europe/London");
}
