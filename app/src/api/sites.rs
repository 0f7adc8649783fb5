//! Server functions for saved sites. The changes are plain HTML form posts that end in a redirect
//! back to the page they came from (`back`), with the problem next to the field if there is one.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::SitesStart;

#[server(input = GetUrl, endpoint = "load_sites")]
pub async fn load_sites() -> Result<SitesStart, AppError> {
    use crate::server::{app_state, auth, sites, with_status};
    with_status(
        async {
            let (state, viewer) = (app_state()?, auth::viewer()?);
            let flash = auth::take_flash().await?;
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
) -> Result<(), AppError> {
    use crate::server::forms::finish_form;
    use crate::server::sites::{SiteInput, add_site};
    use crate::server::{app_state, auth};
    let input = SiteInput {
        name: &name,
        address: &address,
        latitude: &latitude,
        longitude: &longitude,
        timezone: &timezone,
    };
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, auth::viewer()?);
        add_site(&state, &viewer, customer, &input, &back, chrono::Utc::now()).await
    }
    .await;
    finish_form("new-site", &back, input.kept(), outcome).await
}

#[server(endpoint = "rename_site")]
pub async fn rename_site(site: i64, name: String, back: String) -> Result<(), AppError> {
    use crate::server::forms::{finish_form, kept};
    use crate::server::{app_state, auth, sites};
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, auth::viewer()?);
        sites::rename_site(&state, &viewer, site, &name, &back).await
    }
    .await;
    let form = format!("site-{site}");
    finish_form(&form, &back, kept(&[("name", &name)]), outcome).await
}

#[server(endpoint = "retire_site")]
pub async fn retire_site(site: i64, back: String) -> Result<(), AppError> {
    use crate::server::forms::finish_form;
    use crate::server::{app_state, auth, sites};
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, auth::viewer()?);
        sites::retire_site(&state, &viewer, site, &back, chrono::Utc::now()).await
    }
    .await;
    let form = format!("site-{site}");
    finish_form(&form, &back, Default::default(), outcome).await
}

#[server(endpoint = "restore_site")]
pub async fn restore_site(site: i64, back: String) -> Result<(), AppError> {
    use crate::server::forms::finish_form;
    use crate::server::{app_state, auth, sites};
    let back = auth::local_path(&back);
    let outcome = async {
        let (state, viewer) = (app_state()?, auth::viewer()?);
        sites::restore_site(&state, &viewer, site, &back).await
    }
    .await;
    let form = format!("site-{site}");
    finish_form(&form, &back, Default::default(), outcome).await
}
