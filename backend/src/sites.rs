//! Saved sites. A customer sees, adds, renames, retires and restores its own; account managers do
//! the same for the customers they look after, administrators for every customer (also from a
//! customer's admin page). A site that bookings still to happen name cannot be retired; a retired
//! site stays on the bookings that name it and is no longer offered when booking.

use chrono::{DateTime, Utc};

use super::auth::Viewer;
use super::db::{self, DbError, NewSite, Retired, SiteRow, Unique};
use super::error::ServerError;
use super::forms::{Done, checked, zone_at};
use super::state::AppState;
use super::zone::zone_names;
use domain::error::AppError;
use domain::model::{CustomerOption, FormFlash, Kept, Outcome, SiteItem, SitesStart, SitesView};
use domain::{Field, FieldErrors, MAX_SITE_NAME_CHARS, Violation, check_required, parse_location};

/// The site form as typed.
pub struct SiteInput<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub latitude: &'a str,
    pub longitude: &'a str,
    pub timezone: &'a str,
}

impl SiteInput<'_> {
    /// What the form sent, kept for the redirect back to it.
    pub fn kept(&self) -> Kept {
        Kept::of(&[
            (Field::Name, self.name),
            (Field::Address, self.address),
            (Field::Latitude, self.latitude),
            (Field::Longitude, self.longitude),
            (Field::Timezone, self.timezone),
        ])
    }
}

fn check_site_name(name: &str) -> Result<String, Violation> {
    check_required(Field::Name, name, "the site's name", MAX_SITE_NAME_CHARS)
}

fn name_problem(e: DbError) -> ServerError {
    match e {
        DbError::Taken(Unique::SiteName) => Violation::SiteNameTaken.into(),
        other => other.into(),
    }
}

/// The sites page: the acting customer's sites, or the customers to choose from first.
pub async fn sites_view(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<FormFlash>,
    now: DateTime<Utc>,
) -> Result<SitesStart, ServerError> {
    let customer = match viewer.acting_customer(None) {
        Ok(customer) => customer,
        Err(AppError::Conflict(_)) => {
            let choices = viewer.customers.iter().map(CustomerOption::from).collect();
            return Ok(SitesStart::ChooseCustomer(choices));
        }
        Err(e) => return Err(e.into()),
    };
    let in_use = db::sites_in_use(&state.db, customer.id, now).await?;
    let sites = db::sites_for_customer(&state.db, customer.id)
        .await?
        .into_iter()
        .map(|row| {
            let bookings = in_use
                .iter()
                .find(|(id, _)| *id == row.id)
                .map_or(0, |(_, n)| *n);
            SiteItem {
                coordinates: row
                    .latitude
                    .zip(row.longitude)
                    .map(super::present::coordinates_label),
                bookings,
                site: row.into(),
            }
        })
        .collect();
    Ok(SitesStart::Ready(Box::new(SitesView {
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        sites,
        time_zones: zone_names(),
        default_timezone: customer.default_timezone.name().to_string(),
        flash,
    })))
}

/// Adds a site for a customer in reach; `back` is the page the form was on.
pub async fn add_site(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    input: &SiteInput<'_>,
    back: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let site = save_site(state, viewer, customer_id, input, now).await?;
    Ok(Done::to(back, Outcome::SiteAdded { name: site.name }))
}

/// Checks and saves a new site for a customer in reach (the page's form and the API alike).
pub async fn save_site(
    state: &AppState,
    viewer: &Viewer,
    customer_id: i64,
    input: &SiteInput<'_>,
    now: DateTime<Utc>,
) -> Result<SiteRow, ServerError> {
    let id = viewer.customer(customer_id)?.id;
    let mut errors = FieldErrors::default();
    let name = checked(&mut errors, check_site_name(input.name));
    let location = parse_location(input.address, input.latitude, input.longitude)
        .map_err(|e| errors.merge(e))
        .ok();
    let zone = zone_at(&mut errors, Field::Timezone, input.timezone);
    errors.into_result()?;
    let (Some(name), Some(location), Some(timezone)) = (name, location, zone) else {
        return Err(ServerError::internal("validated site input went missing"));
    };
    let site = NewSite {
        customer_id: id,
        name: &name,
        location: &location,
        timezone,
    };
    let site = db::insert_site(&state.db, &site, now)
        .await
        .map_err(name_problem)?;
    tracing::info!(by = viewer.user_id, site = site.id, "site added");
    Ok(site)
}

/// A site whose customer is in reach; any other is "not found".
async fn site_for(state: &AppState, viewer: &Viewer, site_id: i64) -> Result<SiteRow, ServerError> {
    db::site_in_scope(&state.db, &viewer.scope(), site_id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound("No site with that number is yours to change.".into()).into()
        })
}

pub async fn rename_site(
    state: &AppState,
    viewer: &Viewer,
    site_id: i64,
    name: &str,
    back: &str,
) -> Result<Done, ServerError> {
    let site = site_for(state, viewer, site_id).await?;
    let name = check_site_name(name)?;
    db::rename_site(&state.db, site.id, &name)
        .await
        .map_err(name_problem)?;
    tracing::info!(by = viewer.user_id, site = site.id, "site renamed");
    Ok(Done::to(
        back,
        Outcome::SiteRenamed {
            was: site.name,
            name,
        },
    ))
}

pub async fn retire_site(
    state: &AppState,
    viewer: &Viewer,
    site_id: i64,
    back: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    let site = site_for(state, viewer, site_id).await?;
    let mut tx = state.db.begin().await?;
    let retired = db::retire_site(&mut tx, site.id, now).await?;
    tx.commit().await?;
    match retired {
        Retired::Done => {
            tracing::info!(by = viewer.user_id, site = site.id, "site retired");
            Ok(Done::to(back, Outcome::SiteRetired { name: site.name }))
        }
        Retired::InUse(n) => Err(AppError::Conflict(format!(
            "{} cannot be retired: {n} booking{} still to happen {} it. Cancel {} first, or retire \
             the site once {} over.",
            site.name,
            if n == 1 { "" } else { "s" },
            if n == 1 { "uses" } else { "use" },
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it is" } else { "they are" },
        ))
        .into()),
    }
}

pub async fn restore_site(
    state: &AppState,
    viewer: &Viewer,
    site_id: i64,
    back: &str,
) -> Result<Done, ServerError> {
    let site = site_for(state, viewer, site_id).await?;
    db::restore_site(&state.db, site.id).await?;
    tracing::info!(by = viewer.user_id, site = site.id, "site restored");
    Ok(Done::to(back, Outcome::SiteRestored { name: site.name }))
}
