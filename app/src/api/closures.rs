//! Server functions for the closures page (its forms are plain posts to `server::closures`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::server::context;
use domain::model::ClosuresPage;

/// The acting customer's closures, each with the bookings it meets.
#[server(input = GetUrl, endpoint = "load_closures")]
pub async fn load_closures() -> Result<ClosuresPage, ApiError> {
    use crate::server::{app_state, with_status};
    use domain::model::ClosuresPage;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let flash = context::take_flash().await?;
            let page =
                backend::closures::closures_view(&state, &viewer, chrono::Utc::now()).await?;
            Ok(match page {
                ClosuresPage::Ready(mut view) => {
                    view.flash = flash;
                    ClosuresPage::Ready(view)
                }
                other => other,
            })
        }
        .await,
    )
}
