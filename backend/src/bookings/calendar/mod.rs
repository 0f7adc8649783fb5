//! The calendar: a month, a week or an agenda of the windows in reach, filtered by site, service
//! type, status and customer, with counts. Built so its cost follows what is shown: every booking
//! is expanded only over the range asked for, and a window becomes a labelled view only if it is
//! drawn (a month day shows a few and counts the rest).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::occurrence_view_in;
use crate::auth::Viewer;
use crate::blocking::EXPANSION;
use crate::db::{self, Booking};
use crate::error::ServerError;
use crate::state::AppState;
use crate::zone::Zone;
use domain::ServiceType;
use domain::model::{
    CalendarLink, CalendarMode, CalendarView, Filter, FilterOption, StatusGroup, TimesIn,
};

mod layout;
mod query;

use layout::*;
pub use query::*;

/// The viewer's own zone, as their browser reported it, and whose zone they chose to see times in.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewerZones {
    pub own: Option<Zone>,
    pub times_in: TimesIn,
}

/// Builds the calendar a viewer asked for.
/// `zones`: the viewer's own zone (if the browser told it) and whether every time is to be shown in
/// it (else each site's).
pub async fn calendar_view(
    state: &AppState,
    viewer: &Viewer,
    query: CalendarQuery,
    zones: ViewerZones,
    now: DateTime<Utc>,
) -> Result<CalendarView, ServerError> {
    let shown_in = zones.own.filter(|_| zones.times_in == TimesIn::Mine);
    let today = now
        .with_timezone(super::views::home_zone(viewer).tz())
        .date_naive();
    let date = query.date.unwrap_or(today);
    let range = range_of(query.mode, date);
    // Local dates differ from UTC ones by at most a day either way; a window crossing midnight
    // into the range began the day before it.
    let from = midnight(add_days(range.first, -2));
    let to = midnight(add_days(range.last, 3));
    let scope = viewer.view_scope();
    let bookings = db::shown_bookings_between(&state.db, &scope, from, to).await?;
    let sites = db::sites_in_scope(&state.db, &scope).await?;
    let customers: Vec<(i64, String)> = viewer
        .customers
        .iter()
        .map(|c| (c.id, c.name.clone()))
        .collect();
    let context = Context {
        shown_in,
        mode: query.mode,
        date,
        today,
        filters: query.filters,
        show_customer: viewer.sees_several(),
        sites,
        customers,
    };
    let view = EXPANSION
        .run(move || build(&context, &bookings, &range, from, to))
        .await?;
    Ok(CalendarView {
        showing_for: viewer.showing_for(),
        my_zone: zones.own.map(|z| z.name().to_string()),
        ..view
    })
}

fn build(
    cx: &Context,
    bookings: &[Booking],
    range: &Range,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CalendarView {
    // Every window of the range (and the day before, for windows crossing into it), once.
    let day_before = add_days(range.first, -1);
    let mut windows: Vec<Window<'_>> = Vec::new();
    for booking in bookings {
        let Some(group) = StatusGroup::of(booking.status) else {
            continue;
        };
        let site = SiteChoice::of(booking);
        windows.extend(
            booking
                .schedule
                .occurrences_between(booking.zone.tz(), from, to)
                .map(|o| Window {
                    booking,
                    day: match &cx.shown_in {
                        Some(z) => o.opens.with_timezone(z.tz()).date_naive(),
                        None => o.local_date,
                    },
                    o,
                    site,
                    group,
                })
                .filter(|w| w.day >= day_before && w.day <= range.last),
        );
    }
    windows.sort_by_key(|w| (w.o.opens, w.booking.id));
    let counted = |w: &Window<'_>| w.day >= range.counted.0 && w.day <= range.counted.1;

    let filters = facet_filters(cx, &windows, &counted);
    let shown: Vec<&Window<'_>> = windows
        .iter()
        .filter(|w| cx.filters.admits(w, None))
        .collect();
    let total = shown.iter().filter(|w| counted(w)).count();
    let legend: Vec<ServiceType> = {
        let present: HashSet<ServiceType> = shown
            .iter()
            .filter(|w| counted(w))
            .map(|w| w.booking.service_type)
            .collect();
        ServiceType::ALL
            .into_iter()
            .filter(|t| present.contains(t))
            .collect()
    };
    let agenda_of = |d: NaiveDate| cx.link(CalendarMode::Agenda, Some(d));
    let body = match cx.mode {
        CalendarMode::Month => month_body(cx, range, &shown, &agenda_of),
        CalendarMode::Week => week_body(cx, range, &shown, &agenda_of),
        CalendarMode::Agenda => agenda_body(cx, range, &shown),
    };
    let modes = CalendarMode::ALL
        .into_iter()
        .map(|m| CalendarLink {
            href: cx.link(m, Some(cx.date)),
            label: m.label().into(),
            current: m == cx.mode,
        })
        .collect();
    let (previous_label, next_label) = match cx.mode {
        CalendarMode::Month => ("Previous month", "Next month"),
        CalendarMode::Week => ("Previous week", "Next week"),
        CalendarMode::Agenda => ("Earlier", "Later"),
    };
    let mut keep = vec![("view".to_string(), cx.mode.key().to_string())];
    keep.push(("date".into(), cx.date.to_string()));
    CalendarView {
        mode: cx.mode,
        title: range.title.clone(),
        modes,
        previous: CalendarLink {
            href: cx.link(cx.mode, Some(range.previous)),
            label: previous_label.into(),
            current: false,
        },
        today: CalendarLink {
            href: cx.link(cx.mode, None),
            label: "Today".into(),
            current: cx.today >= range.counted.0 && cx.today <= range.counted.1,
        },
        next: CalendarLink {
            href: cx.link(cx.mode, Some(range.next)),
            label: next_label.into(),
            current: false,
        },
        filters,
        keep,
        filtered: !cx.filters.is_empty(),
        clear_filters: format!("/?view={}&date={}", cx.mode.key(), cx.date),
        total,
        legend,
        showing_for: String::new(),
        show_customer: cx.show_customer,
        times_in: if cx.shown_in.is_some() {
            TimesIn::Mine
        } else {
            TimesIn::Site
        },
        my_zone: None,
        body,
    }
}

/// Each filter's choices, counted with the other filters applied (so a count says what choosing
/// it would show).
fn facet_filters(
    cx: &Context,
    windows: &[Window<'_>],
    counted: &dyn Fn(&Window<'_>) -> bool,
) -> Vec<Filter> {
    let count = |facet: Facet| -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for w in windows.iter().filter(|w| counted(w)) {
            if cx.filters.admits(w, Some(facet)) {
                let key = match facet {
                    Facet::Site => w.site.key(),
                    Facet::Service => w.booking.service_type.key().to_string(),
                    Facet::Status => w.group.key().to_string(),
                    Facet::Customer => w.booking.customer.id.to_string(),
                };
                *counts.entry(key).or_insert(0) += 1;
            }
        }
        counts
    };
    let option =
        |counts: &BTreeMap<String, usize>, value: String, label: String, selected| FilterOption {
            count: counts.get(&value).copied().unwrap_or(0),
            value,
            label,
            selected,
        };
    let mut filters = Vec::new();
    let site_counts = count(Facet::Site);
    let mut site_options: Vec<FilterOption> = cx
        .sites
        .iter()
        .map(|s| {
            let choice = SiteChoice::Saved(s.id);
            option(
                &site_counts,
                choice.key(),
                s.name.clone(),
                cx.filters.sites.contains(&choice),
            )
        })
        .collect();
    site_options.push(option(
        &site_counts,
        SiteChoice::Unsaved.key(),
        "Other addresses".into(),
        cx.filters.sites.contains(&SiteChoice::Unsaved),
    ));
    filters.push(Filter {
        param: "site".into(),
        label: "Site".into(),
        options: site_options,
    });
    let service_counts = count(Facet::Service);
    filters.push(Filter {
        param: "service".into(),
        label: "Service".into(),
        options: ServiceType::ALL
            .into_iter()
            .map(|t| {
                option(
                    &service_counts,
                    t.key().into(),
                    t.label().into(),
                    cx.filters.services.contains(&t),
                )
            })
            .collect(),
    });
    let status_counts = count(Facet::Status);
    filters.push(Filter {
        param: "status".into(),
        label: "Status".into(),
        options: StatusGroup::ALL
            .into_iter()
            .map(|g| {
                option(
                    &status_counts,
                    g.key().into(),
                    g.label().into(),
                    cx.filters.statuses.contains(&g),
                )
            })
            .collect(),
    });
    if cx.show_customer {
        let customer_counts = count(Facet::Customer);
        filters.push(Filter {
            param: "customer".into(),
            label: "Customer".into(),
            options: cx
                .customers
                .iter()
                .map(|(id, name)| {
                    option(
                        &customer_counts,
                        id.to_string(),
                        name.clone(),
                        cx.filters.customers.contains(id),
                    )
                })
                .collect(),
        });
    }
    filters
}

#[cfg(test)]
mod tests;
