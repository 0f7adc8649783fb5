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

/// Several bookings at once: the filter (`site`, `service`, `name`), and with `action` (`cancel`
/// with `reason`, or `skip` with `skip-from` and `skip-to`) the dry run of it.
#[allow(clippy::too_many_arguments)]
#[server(input = GetUrl, endpoint = "load_several")]
pub async fn load_several(
    #[server(default)] site: String,
    #[server(default)] service: String,
    #[server(default)] name: String,
    #[server(default)] action: String,
    #[server(default)] reason: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<domain::model::SeveralView, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::several::{Filter, read_act, several_view};
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let flash = context::take_flash().await?;
            let filter = Filter {
                site: site.trim().parse().ok(),
                service: service.trim().parse().ok(),
                name: name.chars().take(200).collect(),
            };
            let act = read_act(&action, &reason, &from, &to)?;
            let mut view = several_view(&state, &viewer, &filter, act, chrono::Utc::now()).await?;
            view.flash = flash;
            Ok(view)
        }
        .await,
    )
}
