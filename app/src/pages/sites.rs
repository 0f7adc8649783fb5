//! Saved sites of the customer being acted for: see, add, rename, retire and restore. Plain
//! server-rendered forms (no browser code); each submit comes back here.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::sites::{AddSite, RenameSite, RestoreSite, RetireSite, load_sites};
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{TextField, ZoneList, field_id};
use crate::pages::admin::page_flash;
use crate::pages::book::ChooseCustomer;
use domain::model::{FormFlash, FormId, SiteItem, SitesStart, SitesView, flash_for};
use domain::{Field, MAX_SITE_NAME_CHARS};

const BACK: &str = "/sites";

#[component]
pub fn SitesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_sites());
    view! {
        <Title text="Sites" />
        <h1>"Sites"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(SitesStart::Ready(view)) => view! { <Sites view=*view /> }.into_any(),
                    Ok(SitesStart::ChooseCustomer(customers)) => {
                        view! { <ChooseCustomer customers back=BACK action="Sites of " /> }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Sites(view: SitesView) -> impl IntoView {
    let SitesView {
        customer_id,
        customer_name,
        sites,
        time_zones,
        default_timezone,
        flash,
    } = view;
    let new_site = flash_for(&flash, FormId::NewSite);
    let zone = if new_site.sent(Field::Timezone) {
        new_site.value(Field::Timezone)
    } else {
        default_timezone
    };
    let (open, retired): (Vec<SiteItem>, Vec<SiteItem>) =
        sites.into_iter().partition(|s| !s.site.retired);
    view! {
        <p class="hint">
            "The saved places of " <strong>{customer_name}</strong>
            ", each in its own time zone. Open sites are offered when booking; a retired site stays on its past bookings."
        </p>
        {page_flash(&flash, |form| matches!(form, FormId::Site(_) | FormId::NewSite))}
        <ZoneList zones=time_zones />
        <section aria-labelledby="open-sites-h">
            <h2 id="open-sites-h">"Open sites"</h2>
            {if open.is_empty() {
                view! { <p class="empty">"No open sites yet: add one below."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain site-cards">
                        {open.into_iter().map(|item| view! { <SiteCard item flash=flash.clone() /> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        {(!retired.is_empty())
            .then(|| {
                view! {
                    <section aria-labelledby="retired-sites-h">
                        <h2 id="retired-sites-h">"Retired sites"</h2>
                        <ul class="plain site-cards">
                            {retired.into_iter().map(|item| view! { <SiteCard item flash=flash.clone() /> }).collect_view()}
                        </ul>
                    </section>
                }
            })}
        <section aria-labelledby="add-site-h" class="admin-form">
            <h2 id="add-site-h">"Add a site"</h2>
            {new_site.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action=AddSite::PATH class="stack">
                <input type="hidden" name="customer" value=customer_id />
                <input type="hidden" name="back" value=BACK />
                <TextField id=field_id(FormId::NewSite, Field::Name) name=Field::Name.name() label="Site name" value=RwSignal::new(new_site.value(Field::Name)) error=new_site.error(Field::Name) required=true max=MAX_SITE_NAME_CHARS />
                <TextField id=field_id(FormId::NewSite, Field::Address) name=Field::Address.name() label="Address" value=RwSignal::new(new_site.value(Field::Address)) error=new_site.error(Field::Address) autocomplete="street-address" />
                <p class="hint">"Coordinates are optional with an address, e.g. latitude 51.5034, longitude -0.1276."</p>
                <div class="row">
                    <TextField id=field_id(FormId::NewSite, Field::Latitude) name=Field::Latitude.name() label="Latitude" value=RwSignal::new(new_site.value(Field::Latitude)) error=new_site.error(Field::Latitude) inputmode="decimal" />
                    <TextField id=field_id(FormId::NewSite, Field::Longitude) name=Field::Longitude.name() label="Longitude" value=RwSignal::new(new_site.value(Field::Longitude)) error=new_site.error(Field::Longitude) inputmode="decimal" />
                </div>
                <TextField id=field_id(FormId::NewSite, Field::Timezone) name=Field::Timezone.name() label="Time zone" value=RwSignal::new(zone) error=new_site.error(Field::Timezone) list="zones" required=true />
                <button type="submit">"Add site"</button>
            </form>
        </section>
    }
}

/// One site with its rename form and its retire (or restore) button.
#[component]
fn SiteCard(item: SiteItem, flash: Option<FormFlash>) -> impl IntoView {
    let SiteItem {
        site,
        coordinates,
        bookings,
    } = item;
    let form = FormId::Site(site.id);
    let mine = flash_for(&flash, form);
    let name = if mine.sent(Field::Name) {
        mine.value(Field::Name)
    } else {
        site.name.clone()
    };
    let in_use = match bookings {
        0 => "No bookings still to happen.".to_string(),
        1 => "1 booking still to happen.".to_string(),
        n => format!("{n} bookings still to happen."),
    };
    let id = site.id;
    view! {
        <li class="site-card">
            <h3>{site.name.clone()} {site.retired.then(|| view! { <span class="badge">" Retired"</span> })}</h3>
            <dl class="facts">
                {site.address.map(|a| view! { <dt>"Address"</dt> <dd>{a}</dd> })}
                {coordinates.map(|c| view! { <dt>"Coordinates"</dt> <dd>{c}</dd> })}
                <dt>"Time zone"</dt>
                <dd>{site.timezone}</dd>
                <dt>"In use"</dt>
                <dd>{in_use}</dd>
            </dl>
            {mine.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            <form method="post" action=RenameSite::PATH class="inline-form">
                <input type="hidden" name="site" value=id />
                <input type="hidden" name="back" value=BACK />
                <TextField id=field_id(form, Field::Name) name=Field::Name.name() label=format!("New name for {}", site.name) value=RwSignal::new(name) error=mine.error(Field::Name) required=true max=MAX_SITE_NAME_CHARS />
                <button type="submit">"Rename"</button>
            </form>
            {if site.retired {
                view! {
                    <form method="post" action=RestoreSite::PATH class="inline">
                        <input type="hidden" name="site" value=id />
                        <input type="hidden" name="back" value=BACK />
                        <button type="submit" class="secondary">"Offer " {site.name.clone()} " again"</button>
                    </form>
                }
                    .into_any()
            } else {
                view! {
                    <form method="post" action=RetireSite::PATH class="inline">
                        <input type="hidden" name="site" value=id />
                        <input type="hidden" name="back" value=BACK />
                        <button type="submit" class="secondary">"Retire " {site.name.clone()}</button>
                    </form>
                }
                    .into_any()
            }}
        </li>
    }
}
