//! Server functions for booking, the live preview, cancelling and the booking views.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::server::context;
use domain::BookingDraft;
#[cfg(feature = "ssr")]
use domain::model::FormId;
use domain::model::{
    AttentionView, BookingDetail, BookingResult, BookingStart, CalendarView, SchedulePreview,
    SkipPreview, UpcomingView,
};

/// How many windows the form previews.
pub const PREVIEW_OCCURRENCES: usize = 5;

/// The booking form; `again` fills it in from an earlier booking ("book again"); `change` fills
/// it in from a booking to change (the form then describes its new version).
#[server(input = GetUrl, endpoint = "load_booking_form")]
pub async fn load_booking_form(
    #[server(default)] again: Option<i64>,
    #[server(default)] change: Option<i64>,
) -> Result<BookingStart, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let now = chrono::Utc::now();
            match change {
                Some(id) => bookings::change_form(&state, &viewer, id, now).await,
                None => bookings::form_data(&state, &viewer, again, now).await,
            }
        }
        .await,
    )
}

/// The first windows of a draft in its zone; problems come back inside the preview.
/// `also_sites`: other saved sites booked at once, each previewed in its own zone.
#[server(input = Json, endpoint = "preview_schedule")]
pub async fn preview_schedule(
    draft: BookingDraft,
    #[server(default)] also_sites: Vec<i64>,
) -> Result<SchedulePreview, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let now = chrono::Utc::now();
            let mut preview =
                bookings::preview(&state, &viewer, &draft, now, PREVIEW_OCCURRENCES).await?;
            if !also_sites.is_empty() {
                preview.other_sites =
                    bookings::preview_sites(&state, &viewer, &draft, &also_sites, now).await?;
            }
            Ok(preview)
        }
        .await,
    )
}

/// Books the draft; with `changing`, makes it the new version of that booking instead (booked
/// first, then the original cancelled once AURA holds it); with `also_sites`, at those saved sites
/// too; with `skip_closures`, without the windows on the customer's closures (the windows left
/// booked as runs).
#[server(input = Json, endpoint = "book_service")]
pub async fn book_service(
    draft: BookingDraft,
    #[server(default)] changing: Option<i64>,
    #[server(default)] also_sites: Vec<i64>,
    #[server(default)] skip_closures: bool,
) -> Result<BookingResult, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    use domain::model::Outcome;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let now = chrono::Utc::now();
            let Some(id) = changing else {
                if !also_sites.is_empty() || skip_closures {
                    return bookings::book_at_sites(
                        &state,
                        &viewer,
                        &draft,
                        &also_sites,
                        skip_closures,
                        now,
                    )
                    .await;
                }
                return bookings::book(&state, &viewer, &draft, now).await;
            };
            let outcome = bookings::change_booking(&state, &viewer, id, &draft, now).await?;
            let status = match &outcome {
                Outcome::ChangeAsked { status, .. } => Some(*status),
                _ => None,
            };
            Ok(BookingResult {
                booking_id: id,
                status: domain::model::SyncStatus::Confirmed,
                message: Some(crate::says::says(&outcome)),
                change: status,
                several: Vec::new(),
            })
        }
        .await,
    )
}

/// What skipping `from`..=`to` of booking `id` would do (nothing is done).
#[server(input = GetUrl, endpoint = "load_skip_preview")]
pub async fn load_skip_preview(
    id: i64,
    from: String,
    #[server(default)] to: String,
) -> Result<SkipPreview, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            bookings::skip_preview(&state, &viewer, id, &from, &to, chrono::Utc::now()).await
        }
        .await,
    )
}

/// Skips `from`..=`to` of booking `id` (and, with `also_pair`, the same nights of the other half
/// of its lock/unlock pair). A plain form post; back to the booking's page.
#[server(endpoint = "skip_booking_dates")]
pub async fn skip_booking_dates(
    id: i64,
    from: String,
    #[server(default)] to: String,
    key: String,
    #[server(default)] also_pair: bool,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::bookings;
    use backend::forms::Done;
    use domain::Field;
    use domain::model::Kept;
    let page = format!("/bookings/{id}");
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        let now = chrono::Utc::now();
        let ask = bookings::SkipAsk {
            from: &from,
            to: &to,
            key: &key,
            also_pair,
        };
        let told = bookings::skip_dates(&state, &viewer, id, &ask, now).await?;
        Ok(Done::to(page.clone(), told))
    }
    .await;
    finish_form(
        FormId::Skip,
        &page,
        Kept::of(&[(Field::SkipFrom, &from), (Field::SkipTo, &to)]),
        outcome,
    )
    .await
}

#[server(input = GetUrl, endpoint = "load_booking")]
pub async fn load_booking(id: i64) -> Result<BookingDetail, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let detail = bookings::booking_detail(&state, &viewer, id, chrono::Utc::now()).await?;
            Ok(BookingDetail {
                flash: context::take_flash().await?,
                ..detail
            })
        }
        .await,
    )
}

/// Cancels a booking (and, with `also_pair`, the other half of its lock/unlock pair). From the
/// page's form without JavaScript this is a plain form post that comes back to the booking's page
/// (with the problem next to the reason, if any).
#[server(endpoint = "cancel_booking")]
pub async fn cancel_booking(
    id: i64,
    reason: String,
    #[server(default)] also_pair: bool,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::bookings;
    use backend::forms::Done;
    use domain::Field;
    use domain::model::Kept;
    let page = format!("/bookings/{id}");
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        let now = chrono::Utc::now();
        let told = bookings::cancel_with_pair(&state, &viewer, id, &reason, also_pair, now).await?;
        Ok(Done::to(page.clone(), told))
    }
    .await;
    finish_form(
        FormId::Cancel,
        &page,
        Kept::of(&[(Field::CancelReason, &reason)]),
        outcome,
    )
    .await
}

/// Records what an account manager or administrator found at AURA for a booking whose outcome was
/// unknown: `held` with AURA's id, or not held. A plain form post; back to the booking's page.
#[server(endpoint = "resolve_booking")]
pub async fn resolve_booking(id: i64, held: bool, aura_id: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::bookings;
    use backend::forms::Done;
    use domain::Field;
    use domain::model::Kept;
    let page = format!("/bookings/{id}");
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        let told =
            bookings::resolve(&state, &viewer, id, held, &aura_id, chrono::Utc::now()).await?;
        Ok(Done::to(page.clone(), told))
    }
    .await;
    finish_form(
        FormId::Resolve,
        &page,
        Kept::of(&[(Field::AuraId, &aura_id)]),
        outcome,
    )
    .await
}

/// Sends a lapsed repeating booking again from its next window. A plain form post.
#[server(endpoint = "send_booking_again")]
pub async fn send_booking_again(id: i64) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::bookings;
    use backend::forms::Done;
    let page = format!("/bookings/{id}");
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        let told = bookings::send_from_next_window(&state, &viewer, id, chrono::Utc::now()).await?;
        Ok(Done::to(page.clone(), told))
    }
    .await;
    finish_form(FormId::SendAgain, &page, Default::default(), outcome).await
}

/// The bookings a person has to look at (outcome unknown, lapsed unsent).
#[server(input = GetUrl, endpoint = "load_attention")]
pub async fn load_attention() -> Result<AttentionView, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    with_status(async { bookings::attention_view(&app_state()?, &*context::viewer()?).await }.await)
}

/// The calendar, as the page's URL asks for it: `view` month, week or agenda; `date` YYYY-MM-DD
/// (today when empty; older links give `month` YYYY-MM); the filters as comma-separated lists.
#[allow(clippy::too_many_arguments)]
#[server(input = GetUrl, endpoint = "load_calendar")]
pub async fn load_calendar(
    #[server(default)] view: String,
    #[server(default)] date: String,
    #[server(default)] month: String,
    #[server(default)] site: String,
    #[server(default)] service: String,
    #[server(default)] status: String,
    #[server(default)] customer: String,
) -> Result<CalendarView, ApiError> {
    use backend::bookings::{CalendarQuery, RawCalendarQuery, calendar_view};

    use crate::server::{app_state, with_status};
    with_status(
        async {
            let query = CalendarQuery::parse(&RawCalendarQuery {
                view: &view,
                date: &date,
                month: &month,
                site: &site,
                service: &service,
                status: &status,
                customer: &customer,
            })?;
            let zones = crate::server::prefs::current_viewer_zones();
            calendar_view(
                &app_state()?,
                &*context::viewer()?,
                query,
                zones,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(input = GetUrl, endpoint = "load_upcoming")]
pub async fn load_upcoming(
    days: u32,
    #[server(default)] page: u32,
) -> Result<UpcomingView, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::bookings;
    with_status(
        async {
            bookings::upcoming_view(
                &app_state()?,
                &*context::viewer()?,
                days,
                page,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}
