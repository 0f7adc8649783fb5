use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use crate::domain::BookingDraft;
use crate::error::AppError;
use crate::model::{
    BookingResult, BookingStart, MonthView, RequestDetail, SchedulePreview, UpcomingView,
};

/// How many windows the form previews.
pub const PREVIEW_OCCURRENCES: usize = 5;

#[server(input = GetUrl)]
pub async fn load_booking_form() -> Result<BookingStart, AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async { bookings::form_data(&app_state()?, &*auth::viewer()?, chrono::Utc::now()).await }
            .await,
    )
}

/// The first windows of a draft in its zone; problems come back inside the preview.
#[server(input = Json)]
pub async fn preview_schedule(draft: BookingDraft) -> Result<SchedulePreview, AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async {
            Ok(bookings::preview(
                &app_state()?,
                &*auth::viewer()?,
                &draft,
                chrono::Utc::now(),
                PREVIEW_OCCURRENCES,
            )
            .await)
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn book_service(draft: BookingDraft) -> Result<BookingResult, AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async {
            bookings::book(&app_state()?, &*auth::viewer()?, &draft, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(input = GetUrl)]
pub async fn load_request(id: i64) -> Result<RequestDetail, AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async {
            bookings::request_detail(&app_state()?, &*auth::viewer()?, id, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server]
pub async fn cancel_request(id: i64, reason: String) -> Result<(), AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async {
            bookings::cancel(
                &app_state()?,
                &*auth::viewer()?,
                id,
                &reason,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// `month` is "YYYY-MM"; empty means the current month.
#[server(input = GetUrl)]
pub async fn load_month(month: String) -> Result<MonthView, AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async {
            bookings::month_view(
                &app_state()?,
                &*auth::viewer()?,
                Some(&month),
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(input = GetUrl)]
pub async fn load_upcoming(days: u32) -> Result<UpcomingView, AppError> {
    use crate::server::{app_state, auth, bookings, with_status};
    with_status(
        async {
            bookings::upcoming_view(&app_state()?, &*auth::viewer()?, days, chrono::Utc::now())
                .await
        }
        .await,
    )
}
