//! Demo data for `scripts/run`: one customer with two saved sites in different zones and a few
//! future bookings, made through the real booking flow (so they reach the sandbox). Only ever run
//! in demo mode.

use app::domain::{BookingDraft, ContactDraft};
use app::server::AppState;
use app::server::bookings;
use app::server::db::{self, CustomerRow, DbError, NewSite};
use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::SqlitePool;

pub const DEMO_CUSTOMER_AURA_ID: i64 = 178921;
pub const DEMO_CUSTOMER_NAME: &str = "Northwind Estates";
pub const DEMO_ACTOR: &str = "Demo data";

/// The demo customer and its two sites, created if missing.
pub async fn ensure_customer(pool: &SqlitePool) -> Result<CustomerRow, DbError> {
    let now = Utc::now();
    let customer = db::upsert_customer(
        pool,
        DEMO_CUSTOMER_NAME,
        DEMO_CUSTOMER_AURA_ID,
        "Europe/London",
        now,
    )
    .await?;
    if db::sites_for_customer(pool, customer.id).await?.is_empty() {
        let sites = [
            NewSite {
                customer_id: customer.id,
                name: "Canary Wharf warehouse",
                address: Some("Unit 4, 12 Westferry Road, London E14 8JH"),
                coordinates: Some((51.4986, -0.0235)),
                timezone: "Europe/London",
            },
            NewSite {
                customer_id: customer.id,
                name: "Brooklyn office",
                address: Some("200 Water Street, Brooklyn, NY 11201"),
                coordinates: Some((40.7033, -73.9881)),
                timezone: "America/New_York",
            },
        ];
        for site in &sites {
            db::insert_site(pool, site, now).await?;
        }
    }
    Ok(customer)
}

fn local_today(zone: &str) -> NaiveDate {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    Utc::now().with_timezone(&tz).date_naive()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A few future bookings, unless the customer has some already.
pub async fn seed_bookings(state: &AppState) -> Result<usize, String> {
    let pool = &state.pool;
    let customer = &state.customer;
    let existing = db::active_requests(pool, customer.id)
        .await
        .map_err(|e| e.to_string())?;
    let cancelled = db::cancelled_requests(pool, customer.id, 1)
        .await
        .map_err(|e| e.to_string())?;
    if !existing.is_empty() || !cancelled.is_empty() {
        return Ok(0);
    }
    let sites = db::sites_for_customer(pool, customer.id)
        .await
        .map_err(|e| e.to_string())?;
    let site = |zone: &str| {
        sites
            .iter()
            .find(|s| s.timezone == zone)
            .map(|s| (s.id, s.timezone.clone()))
    };
    let (Some((london, london_zone)), Some((brooklyn, ny_zone))) =
        (site("Europe/London"), site("America/New_York"))
    else {
        return Err("demo sites are missing".into());
    };
    let tomorrow_london = local_today(&london_zone) + Duration::days(1);
    let tomorrow_ny = local_today(&ny_zone) + Duration::days(1);
    let base = |key: &str, site_id: i64| BookingDraft {
        idempotency_key: format!("demo-{key}"),
        site_id: Some(site_id),
        number_of_guards: "1".into(),
        armed_preference: "noPreference".into(),
        ..BookingDraft::default()
    };
    let drafts = vec![
        BookingDraft {
            service_type: "patrol".into(),
            name: "Warehouse night patrol".into(),
            special_instructions: "Check the loading-bay shutters and the east fence line.".into(),
            number_of_guards: "2".into(),
            armed_preference: "unarmed".into(),
            contacts: vec![ContactDraft {
                name: "Priya Shah (site manager)".into(),
                mobile: "+44 7700 900123".into(),
            }],
            first_date: ymd(tomorrow_london),
            last_date: ymd(tomorrow_london + Duration::days(55)),
            repeat: "weekly".into(),
            days: vec!["MON".into(), "WED".into(), "FRI".into()],
            start_time: "22:00".into(),
            window_minutes: "90".into(),
            ..base("patrol", london)
        },
        BookingDraft {
            service_type: "lockUnlock".into(),
            name: "Evening lock-up".into(),
            special_instructions: "Lock the lobby doors and arm the alarm panel.".into(),
            first_date: ymd(tomorrow_ny),
            last_date: ymd(tomorrow_ny + Duration::days(27)),
            repeat: "daily".into(),
            start_time: "19:00".into(),
            window_minutes: "30".into(),
            ..base("lockup", brooklyn)
        },
        BookingDraft {
            service_type: "guarding".into(),
            name: "Weekend guarding".into(),
            number_of_guards: "1".into(),
            first_date: ymd(tomorrow_london),
            last_date: ymd(tomorrow_london + Duration::days(34)),
            repeat: "weekly".into(),
            days: vec!["SAT".into(), "SUN".into()],
            start_time: "08:00".into(),
            window_minutes: "600".into(),
            ..base("guarding", london)
        },
        BookingDraft {
            service_type: "occupiedInspection".into(),
            name: "Quarterly fire-door inspection".into(),
            first_date: ymd(tomorrow_ny + Duration::days(9)),
            repeat: "single".into(),
            start_time: "10:00".into(),
            window_minutes: "120".into(),
            ..base("inspection", brooklyn)
        },
    ];
    let mut booked = 0;
    for draft in drafts {
        match bookings::book(state, &draft, DEMO_ACTOR, Utc::now()).await {
            Ok(_) => booked += 1,
            Err(e) => tracing::warn!(name = %draft.name, error = %e, "demo booking failed"),
        }
    }
    Ok(booked)
}
