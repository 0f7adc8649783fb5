//! What the booking form starts from: the customer's sites and zones, and for "book again" the
//! earlier booking's fields.

//! Making a booking: the form's data and live preview, then save → send → record.

use chrono::{DateTime, Utc};

use crate::auth::Viewer;
use crate::db::{self, Booking};
use crate::error::ServerError;
use crate::state::AppState;
use crate::zone::zone_names;
use domain::error::AppError;
use domain::model::{BookingFormData, BookingStart, CustomerOption, SiteView};
use domain::{BookingDraft, LOCK_SUFFIX, PairRole, UNLOCK_SUFFIX};

pub async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    again: Option<i64>,
    now: DateTime<Utc>,
) -> Result<BookingStart, ServerError> {
    // "Book again" is for the customer of the booking it starts from.
    let earlier = match again {
        Some(id) => Some(super::super::booking_for(state, viewer, id).await?),
        None => None,
    };
    let customer = match viewer.acting_customer(earlier.as_ref().map(|b| b.customer.id)) {
        Ok(customer) => customer,
        Err(AppError::Conflict(_)) => {
            let choices = viewer.customers.iter().map(CustomerOption::from).collect();
            return Ok(BookingStart::ChooseCustomer(choices));
        }
        Err(e) => return Err(e.into()),
    };
    let sites: Vec<SiteView> = db::open_sites_for_customer(&state.db, customer.id)
        .await?
        .into_iter()
        .map(SiteView::from)
        .collect();
    let today = now
        .with_timezone(customer.default_timezone.tz())
        .date_naive();
    let (prefill, prefill_note) = match &earlier {
        Some(b) => {
            let unlock = match b.pair {
                Some(db::Pair {
                    role: PairRole::Lock,
                    other: Some(other),
                }) => super::super::booking_for(state, viewer, other).await.ok(),
                _ => None,
            };
            let (draft, note) = draft_from(b, unlock.as_ref(), &sites, now);
            (Some(draft), Some(note))
        }
        None => (None, None),
    };
    Ok(BookingStart::Ready(Box::new(BookingFormData {
        prefill,
        prefill_note,
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        sites,
        service_types: state.services.enabled(),
        time_zones: zone_names(),
        default_timezone: customer.default_timezone.name().to_string(),
        form_key: uuid::Uuid::new_v4().to_string(),
        today,
        changing: None,
    })))
}

/// The form filled in from an earlier booking (and its unlock, for the lock of a pair): every
/// field as it was booked, except dates already past, which move to start today (same length),
/// and a site retired since, given as a new location at the same place. Says what moved.
fn draft_from(
    b: &Booking,
    unlock: Option<&Booking>,
    open_sites: &[SiteView],
    now: DateTime<Utc>,
) -> (BookingDraft, String) {
    let mut changes = Vec::new();
    let site_open = b
        .site
        .as_ref()
        .filter(|s| open_sites.iter().any(|o| o.id == s.id));
    if let (Some(site), None) = (&b.site, site_open) {
        changes.push(format!(
            "{} is no longer a saved site, so its place is filled in as a new location",
            site.name
        ));
    }
    let today = now.with_timezone(b.zone.tz()).date_naive();
    let (first, last) = if b.first_date < today {
        let span = b.last_date - b.first_date;
        changes.push(format!(
            "its dates had passed, so they now start today ({})",
            crate::present::date_label(today)
        ));
        (today, today + span)
    } else {
        (b.first_date, b.last_date)
    };
    let name = match b.pair.map(|p| p.role) {
        Some(PairRole::Lock) => b.name.strip_suffix(LOCK_SUFFIX),
        Some(PairRole::Unlock) => b.name.strip_suffix(UNLOCK_SUFFIX),
        None => None,
    }
    .unwrap_or(&b.name)
    .to_string();
    let (lat, lon) = match (site_open, b.location.coordinates) {
        (None, Some((lat, lon))) => (lat.to_string(), lon.to_string()),
        _ => (String::new(), String::new()),
    };
    let draft = BookingDraft {
        idempotency_key: String::new(),
        customer_id: Some(b.customer.id),
        service_type: Some(b.service_type),
        name,
        special_instructions: b.special_instructions.clone().unwrap_or_default(),
        number_of_guards: b.number_of_guards.to_string(),
        armed_preference: b.armed_preference,
        contacts: b
            .contacts
            .iter()
            .map(|c| domain::ContactDraft {
                name: c.name.clone(),
                mobile: c.mobile.clone(),
            })
            .collect(),
        site_id: site_open.map(|s| s.id),
        address: match site_open {
            Some(_) => String::new(),
            None => b.location.address.clone().unwrap_or_default(),
        },
        latitude: lat,
        longitude: lon,
        timezone: b.zone.name().to_string(),
        first_date: domain::iso_date(first),
        last_date: domain::iso_date(last),
        repeat: b.schedule.repeat.kind(),
        days: match &b.schedule.repeat {
            domain::Repeat::Weekly(days) => days.clone(),
            _ => Vec::new(),
        },
        start_time: domain::format_start_time(b.schedule.start_time),
        window_minutes: b.schedule.window_minutes.to_string(),
        unlock_time: unlock
            .map(|u| domain::format_start_time(u.schedule.start_time))
            .unwrap_or_default(),
    };
    let mut note = format!("Filled in from booking #{} ({}).", b.id, b.name);
    if !changes.is_empty() {
        note.push_str(&format!(" Changed: {}.", changes.join("; ")));
    }
    note.push_str(" Check it, then book: this makes a new booking.");
    (draft, note)
}
