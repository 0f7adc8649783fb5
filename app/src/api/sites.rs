//! Server functions for saved sites. The changes are plain HTML form posts that end in a redirect
//! back to the page they came from (`back`), with the problem next to the field if there is one.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::server::context;
#[cfg(feature = "ssr")]
use domain::model::FormId;
use domain::model::SitesStart;

#[server(input = GetUrl, endpoint = "load_sites")]
pub async fn load_sites() -> Result<SitesStart, ApiError> {
    use crate::server::{app_state, with_status};
    use backend::sites;
    with_status(
        async {
            let (state, viewer) = (app_state()?, context::viewer()?);
            let flash = context::take_flash().await?;
            sites::sites_view(&state, &viewer, flash, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(endpoint = "add_site")]
pub async fn add_site(
    customer: i64,
    name: String,
    address: String,
    latitude: String,
    longitude: String,
    timezone: String,
    back: String,
) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::auth;
    use backend::sites::{SiteInput, add_site};
    let input = SiteInput {
        name: &name,
        address: &address,
        latitude: &latitude,
        longitude: &longitude,
        timezone: &timezone,
    };
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        add_site(&state, &viewer, customer, &input, &back, chrono::Utc::now()).await
    }
    .await;
    finish_form(FormId::NewSite, &back, input.kept(), outcome).await
}

#[server(endpoint = "rename_site")]
pub async fn rename_site(site: i64, name: String, back: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::{auth, sites};
    use domain::Field;
    use domain::model::Kept;
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        sites::rename_site(&state, &viewer, site, &name, &back).await
    }
    .await;
    finish_form(
        FormId::Site(site),
        &back,
        Kept::of(&[(Field::Name, &name)]),
        outcome,
    )
    .await
}

#[server(endpoint = "retire_site")]
pub async fn retire_site(site: i64, back: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::{auth, sites};
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        sites::retire_site(&state, &viewer, site, &back, chrono::Utc::now()).await
    }
    .await;
    finish_form(FormId::Site(site), &back, Default::default(), outcome).await
}

#[server(endpoint = "restore_site")]
pub async fn restore_site(site: i64, back: String) -> Result<(), ApiError> {
    use crate::server::app_state;
    use crate::server::forms::finish_form;
    use backend::{auth, sites};
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, context::viewer()?);
        sites::restore_site(&state, &viewer, site, &back).await
    }
    .await;
    finish_form(FormId::Site(site), &back, Default::default(), outcome).await
}
