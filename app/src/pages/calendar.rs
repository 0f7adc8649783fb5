//! The calendar: month, week and agenda views with filters, all in the URL
//! (`/?view=week&date=2027-03-08&service=patrol`), so links, reloads and the back button work.
//! Server-rendered with no island: the toolbar and filters are plain links and a GET form.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::accounts::SetTimesIn;
use crate::api::bookings::load_calendar;
use crate::components::feedback::{ErrorNotice, Loading};
use domain::model::{
    AgendaDay, CalendarBody, CalendarLink, CalendarView, Filter, MonthDay, OccurrenceView,
    SyncStatus, TimesIn, WeekDay, WeekItem,
};

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let asked = move || {
        let q = query.read();
        let one = |k: &str| q.get(k).unwrap_or_default();
        let all = |k: &str| q.get_all(k).unwrap_or_default().join(",");
        (
            [one("view"), one("date"), one("month")],
            [all("site"), all("service"), all("status"), all("customer")],
        )
    };
    let data = Resource::new(
        asked,
        |([view, date, month], [site, service, status, customer])| {
            load_calendar(view, date, month, site, service, status, customer)
        },
    );

    view! {
        <Title text="Calendar" />
        <script nonce=leptos::nonce::use_nonce() inner_html=PHONES_OPEN_ON_THE_AGENDA></script>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Calendar view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Phones (600 px wide or less) open on the agenda: a calendar URL that names no view is replaced
/// by the agenda's before the page is drawn. A few bytes of script instead of the WASM bundle.
const PHONES_OPEN_ON_THE_AGENDA: &str = "(function(){var q=new URLSearchParams(location.search);\
if(!q.has('view')&&!q.has('month')&&matchMedia('(max-width: 600px)').matches)\
{q.set('view','agenda');location.replace('?'+q.toString());}})();";

/// In the month grid, the arrow keys move between days (left/right a day, up/down a week) and Enter
/// opens the focused day's agenda: a few bytes of script, no WASM.
const MONTH_ARROW_KEYS: &str = "document.addEventListener('keydown',function(e){\
var a=e.target,step={ArrowLeft:-1,ArrowRight:1,ArrowUp:-7,ArrowDown:7}[e.key];\
if(!step||!a.closest||!a.closest('.month-grid .day-number'))return;\
var days=Array.prototype.slice.call(document.querySelectorAll('.month-grid .day-number a'));\
var next=days[days.indexOf(a)+step];if(next){e.preventDefault();next.focus();}});";

const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[component]
fn Calendar(view: CalendarView) -> impl IntoView {
    let CalendarView {
        mode,
        title,
        modes,
        previous,
        today,
        next,
        filters,
        keep,
        filtered,
        clear_filters,
        total,
        legend,
        showing_for,
        show_customer,
        times_in,
        my_zone,
        body,
    } = view;
    let windows = match total {
        0 => "No windows".to_string(),
        1 => "1 window".to_string(),
        n => format!("{n} windows"),
    };
    view! {
        <div class="calendar-head">
            <div>
                <h1>{title.clone()}</h1>
                <p class="showing-for">"Showing " {showing_for}</p>
                <p class="window-count">{windows} {filtered.then_some(" (filtered)")}</p>
            </div>
            <nav class="calendar-modes" aria-label="Calendar view">
                {modes.into_iter().map(|l| view! { <ToolbarLink link=l /> }).collect_view()}
            </nav>
            <nav class="calendar-dates" aria-label="Dates">
                <ToolbarLink link=previous />
                <ToolbarLink link=today />
                <ToolbarLink link=next />
            </nav>
        </div>
        <div class="calendar-options">
            <Filters filters keep filtered clear_filters />
            <TimesToggle times_in my_zone />
        </div>
        {(!legend.is_empty())
            .then(|| {
                view! {
                    <ul class="legend" aria-label="Service types">
                        {legend
                            .into_iter()
                            .map(|t| {
                                view! {
                                    <li class=format!("svc-{}", t.key())>
                                        <span class="swatch" aria-hidden="true"></span>
                                        {t.label()}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
        {(total == 0)
            .then(|| {
                view! {
                    <p class="empty">
                        {if filtered {
                            "No window matches these filters here. "
                        } else {
                            "Nothing is booked here. "
                        }} <a href="/book">"Book a service"</a>
                    </p>
                }
            })}
        <div class="calendar" data-view=mode.key()>
            {match body {
                CalendarBody::Month(weeks) => {
                    view! { <MonthGrid title weeks show_customer /> }.into_any()
                }
                CalendarBody::Week(days) => view! { <WeekGrid title days show_customer /> }.into_any(),
                CalendarBody::Agenda { days, more } => {
                    view! { <Agenda days more show_customer /> }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn ToolbarLink(link: CalendarLink) -> impl IntoView {
    view! {
        <a href=link.href aria-current=link.current.then_some("true")>
            {link.label}
        </a>
    }
}

/// Whose zone the times are in: each site's, or the viewer's own (a plain form; the choice is kept
/// in a cookie). Every time says its zone either way.
#[component]
fn TimesToggle(times_in: TimesIn, my_zone: Option<String>) -> impl IntoView {
    let back = crate::components::nav::this_page();
    let mine = match &my_zone {
        Some(zone) => format!("My zone ({zone})"),
        None => "My zone".to_string(),
    };
    view! {
        <form method="post" action=SetTimesIn::PATH class="times-toggle" aria-label="Time zone of the times shown">
            <input type="hidden" name="back" value=back />
            <span class="times-label">"Times in"</span>
            <button
                type="submit"
                name="times_in"
                value=TimesIn::Site.key()
                aria-pressed=if times_in == TimesIn::Site { "true" } else { "false" }
            >
                "Each site's zone"
            </button>
            <button
                type="submit"
                name="times_in"
                value=TimesIn::Mine.key()
                aria-pressed=if times_in == TimesIn::Mine { "true" } else { "false" }
                disabled=my_zone.is_none()
            >
                {mine}
            </button>
        </form>
    }
}

/// The filters: a GET form, so it works without script and its state lives in the URL.
#[component]
fn Filters(
    filters: Vec<Filter>,
    keep: Vec<(String, String)>,
    filtered: bool,
    clear_filters: String,
) -> impl IntoView {
    view! {
        <details class="filters" open=filtered>
            <summary>"Filters"</summary>
            <form method="get" action="/">
                {keep
                    .into_iter()
                    .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                    .collect_view()}
                <div class="filter-groups">
                    {filters
                        .into_iter()
                        .map(|f| {
                            let param = f.param.clone();
                            view! {
                                <fieldset>
                                    <legend>{f.label}</legend>
                                    {f
                                        .options
                                        .into_iter()
                                        .map(|o| {
                                            view! {
                                                <label class:none=o.count == 0>
                                                    <input
                                                        type="checkbox"
                                                        name=param.clone()
                                                        value=o.value
                                                        checked=o.selected
                                                    />
                                                    {o.label}
                                                    " "
                                                    <span class="count">"(" {o.count} ")"</span>
                                                </label>
                                            }
                                        })
                                        .collect_view()}
                                </fieldset>
                            }
                        })
                        .collect_view()}
                </div>
                <button type="submit">"Apply filters"</button>
                {filtered.then(|| view! { <a class="clear" href=clear_filters>"Clear filters"</a> })}
            </form>
        </details>
    }
}

#[component]
fn MonthGrid(title: String, weeks: Vec<Vec<MonthDay>>, show_customer: bool) -> impl IntoView {
    view! {
        <table class="month-grid" aria-label=format!("Bookings in {title}")>
            <thead>
                <tr>
                    {WEEKDAY_NAMES
                        .map(|d| {
                            view! {
                                <th scope="col">
                                    <abbr title=d>{&d[..3]}</abbr>
                                </th>
                            }
                        })
                        .collect_view()}
                </tr>
            </thead>
            <tbody>
                {weeks
                    .into_iter()
                    .map(|week| {
                        view! {
                            <tr>
                                {week
                                    .into_iter()
                                    .map(|day| view! { <Day day show_customer /> })
                                    .collect_view()}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <script nonce=leptos::nonce::use_nonce() inner_html=MONTH_ARROW_KEYS></script>
    }
}

#[component]
fn Day(day: MonthDay, show_customer: bool) -> impl IntoView {
    let MonthDay {
        date,
        label,
        in_month,
        today,
        shown,
        more,
        agenda,
    } = day;
    let class = match (in_month, shown.is_empty()) {
        (false, _) => "day outside",
        (true, true) => "day empty",
        (true, false) => "day",
    };
    view! {
        <td class=class class:today=today data-date=date.to_string()>
            <div class="day-number">
                // The name holds what is seen ("7", or "Mon 7" on phones) and then the whole date.
                <a href=agenda.clone()>
                    <span class="weekday">{date.format("%a").to_string()} " "</span>
                    {date.format("%-d").to_string()}
                    <span class="visually-hidden">{date.format(" %B %Y, %A").to_string()}</span>
                </a>
                {today.then(|| view! { " " <span class="today-mark">"Today"</span> })}
            </div>
            <ul class="occurrences">
                {shown
                    .into_iter()
                    .map(|o| view! { <li><OccurrenceChip o show_customer /></li> })
                    .collect_view()}
            </ul>
            <MoreLink more agenda label />
        </td>
    }
}

/// "+N more": the windows of a day not drawn, listed in that day's agenda.
#[component]
fn MoreLink(more: usize, agenda: String, label: String) -> impl IntoView {
    (more > 0).then(|| {
        view! {
            <a class="more" href=agenda>
                "+" {more} " more"
                <span class="visually-hidden">" on " {label}</span>
            </a>
        }
    })
}

#[component]
fn WeekGrid(title: String, days: Vec<WeekDay>, show_customer: bool) -> impl IntoView {
    view! {
        <div class="week-grid" role="region" aria-label=format!("Bookings, {title}")>
            <ol class="hours" aria-hidden="true">
                {(0..24).map(|h| view! { <li>{format!("{h:02}:00")}</li> }).collect_view()}
            </ol>
            {days
                .into_iter()
                .map(|day| {
                    let WeekDay { date, label, today, items, more, agenda } = day;
                    let section_label = label.clone();
                    view! {
                        <section class="week-day" class:today=today aria-label=section_label>
                            <h2>
                                <a href=agenda.clone()>
                                    {date.format("%a").to_string()}
                                    " "
                                    {date.format("%-d").to_string()}
                                    <span class="visually-hidden">{date.format(" %B %Y").to_string()}</span>
                                </a>
                            </h2>
                            <ul class="week-items">
                                {items
                                    .into_iter()
                                    .map(|item| view! { <WeekEntry item show_customer /> })
                                    .collect_view()}
                            </ul>
                            <MoreLink more agenda label />
                        </section>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn WeekEntry(item: WeekItem, show_customer: bool) -> impl IntoView {
    let WeekItem {
        occurrence,
        start_minute,
        end_minute,
        column,
        columns,
        from_previous_day,
        into_next_day,
    } = item;
    let style =
        format!("--start:{start_minute};--end:{end_minute};--col:{column};--cols:{columns}");
    view! {
        <li class="week-item" style=style>
            {from_previous_day.then(|| view! { <span class="continues">"↑ from the day before"</span> })}
            <OccurrenceChip o=occurrence show_customer />
            {into_next_day.then(|| view! { <span class="continues">"↓ into the next day"</span> })}
        </li>
    }
}

#[component]
fn Agenda(days: Vec<AgendaDay>, more: Option<CalendarLink>, show_customer: bool) -> impl IntoView {
    view! {
        <div class="agenda">
            {days
                .into_iter()
                .map(|day| {
                    let AgendaDay { date, label, today, occurrences } = day;
                    let empty = occurrences.is_empty();
                    view! {
                        <section class="agenda-day" class:today=today id=format!("day-{date}")>
                            <h2>{label} {today.then(|| view! { " " <span class="today-mark">"Today"</span> })}</h2>
                            {if empty {
                                view! { <p class="empty">"Nothing booked."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="occurrences">
                                        {occurrences
                                            .into_iter()
                                            .map(|o| {
                                                let skip = (o.status == SyncStatus::Confirmed)
                                                    .then(|| skip_link(&o));
                                                view! { <li><OccurrenceChip o show_customer /> {skip}</li> }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }}
                        </section>
                    }
                })
                .collect_view()}
            {more.map(|l| view! { <p class="agenda-more"><a href=l.href>{l.label}</a></p> })}
        </div>
    }
}

/// A link to skip this window's date: the booking's page, with the skip previewed (nothing is
/// done before the person confirms there).
fn skip_link(o: &OccurrenceView) -> impl IntoView + use<> {
    let date = o.local_date.format("%Y-%m-%d").to_string();
    let href = format!(
        "/bookings/{}?skip-from={date}&skip-to={date}#skip",
        o.booking_id
    );
    let context = format!(": {}, {}", o.date_label, o.name);
    view! {
        <a class="skip-date no-print" href=href>
            "Skip this date"
            <span class="visually-hidden">{context}</span>
        </a>
    }
}

/// One window as a link. Its name is its visible text plus what the chip leaves out (the date,
/// and the status when confirmed), so what a screen reader says contains what is seen.
#[component]
fn OccurrenceChip(o: OccurrenceView, show_customer: bool) -> impl IntoView {
    view! {
        <a
            class=format!("occ svc-{} status-{}", o.service_type.key(), o.status.key())
            href=format!("/bookings/{}", o.booking_id)
            title=o.notes.join(" ")
        >
            <span class="occ-time">{o.time_label}</span>
            " "
            {show_customer.then(|| view! { <span class="occ-customer">{o.customer.clone()} " "</span> })}
            <span class="occ-name">{o.name}</span>
            " "
            <span class="occ-place">{o.place}</span>
            {(o.status != SyncStatus::Confirmed)
                .then(|| view! { " " <span class="occ-status">{o.status.short_label()}</span> })}
            <span class="visually-hidden">
                ", " {o.service_type.label()} ", " {o.date_label} " (" {o.timezone} ")"
                {o.site_time.map(|t| format!("; {t}"))}
                {(o.status == SyncStatus::Confirmed).then_some(", confirmed by AURA")}
            </span>
        </a>
    }
}
