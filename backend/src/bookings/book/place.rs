//! Where and when a draft is: its saved site or typed address, its zone, its schedule.

//! Making a booking: the form's data and live preview, then save → send → record.

use super::super::unknown_site;
use crate::db::{self, CustomerRow};
use crate::error::ServerError;
use crate::state::AppState;
use crate::zone::{Zone, check_zone};
use domain::{BookingDraft, Location, Place, Schedule, ValidWhen, local_date_span};

/// Where a booking happens, resolved against the customer's saved sites and the zone database.
pub(super) struct Resolved {
    pub(super) site_id: Option<i64>,
    pub(super) location: Location,
    pub(super) zone: Zone,
}

pub(super) async fn resolve_place(
    state: &AppState,
    customer: &CustomerRow,
    place: &Place,
) -> Result<Resolved, ServerError> {
    match place {
        Place::SavedSite(site_id) => {
            let site = db::site_of_customer(&state.db, customer.id, *site_id)
                .await?
                .filter(|site| site.retired_at.is_none())
                .ok_or_else(unknown_site)?;
            Ok(Resolved {
                site_id: Some(site.id),
                location: site.location(),
                zone: site.timezone,
            })
        }
        Place::New { location, timezone } => Ok(Resolved {
            site_id: None,
            location: location.clone(),
            zone: check_zone(timezone)?,
        }),
    }
}

pub(super) fn schedule_of(when: &ValidWhen, zone: Zone) -> Schedule {
    let (date_from, date_to) = local_date_span(zone.tz(), when.first_date, when.last_date);
    Schedule {
        date_from,
        date_to,
        repeat: when.repeat.clone(),
        start_time: when.start_time,
        window_minutes: when.window_minutes,
    }
}

/// The zone a draft names: its saved site's, or the one typed for a new location.
pub(super) async fn draft_zone(
    state: &AppState,
    customer: Option<&CustomerRow>,
    draft: &BookingDraft,
) -> Result<Zone, ServerError> {
    match draft.site_id {
        Some(site_id) => {
            let customer = customer.ok_or_else(unknown_site)?;
            Ok(db::site_of_customer(&state.db, customer.id, site_id)
                .await?
                .ok_or_else(unknown_site)?
                .timezone)
        }
        None => Ok(check_zone(&draft.timezone)?),
    }
}
