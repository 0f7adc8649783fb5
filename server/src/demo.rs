//! Demo data for `scripts/run`: two customers with saved sites in different zones, one account of
//! each role, and a few future bookings made through the real booking flow (so they reach the
//! sandbox). Only ever run in demo mode.

use backend::AppState;
use backend::auth::Viewer;
use backend::bookings;
use backend::db::Db;
use backend::db::{self, CustomerFacts, CustomerRow, CustomerScope, DbError, NewSite, NewUser};
use backend::zone::Zone;
use chrono::{Duration, NaiveDate, Utc, Weekday};
use domain::Location;
use domain::model::Role;
use domain::{ArmedPreference, BookingDraft, ContactDraft, RepeatKind, ServiceType};

pub const DEMO_CUSTOMER_AURA_ID: i64 = 178921;
pub const DEMO_CUSTOMER_NAME: &str = "Northwind Estates";
pub const SECOND_CUSTOMER_AURA_ID: i64 = 204417;
pub const SECOND_CUSTOMER_NAME: &str = "Harbourside Lofts";

/// The demo accounts: one per role. Emails use the reserved example.com domain.
pub const DEMO_ADMIN: &str = "admin@example.com";
pub const DEMO_MANAGER: &str = "manager@example.com";
pub const DEMO_CUSTOMER_USER: &str = "customer@example.com";

/// A zone name this file spells correctly.
fn zone(name: &str) -> Zone {
    name.parse().unwrap_or(Zone::UTC)
}

fn place(address: &str, latitude: f64, longitude: f64) -> Location {
    Location {
        address: Some(address.to_string()),
        coordinates: Some((latitude, longitude)),
    }
}

async fn ensure_site(pool: &Db, site: NewSite<'_>) -> Result<(), DbError> {
    let exists = db::sites_for_customer(pool, site.customer_id)
        .await?
        .iter()
        .any(|s| s.name == site.name);
    if !exists {
        db::insert_site(pool, &site, Utc::now()).await?;
    }
    Ok(())
}

/// The demo customers and their sites, created if missing: Northwind Estates (London and Brooklyn)
/// and Harbourside Lofts (Manchester).
pub async fn ensure_customers(pool: &Db) -> Result<(CustomerRow, CustomerRow), DbError> {
    let now = Utc::now();
    let northwind = db::upsert_customer(
        pool,
        &CustomerFacts {
            name: DEMO_CUSTOMER_NAME.into(),
            aura_customer_id: DEMO_CUSTOMER_AURA_ID,
            default_timezone: zone("Europe/London"),
        },
        now,
    )
    .await?;
    ensure_site(
        pool,
        NewSite {
            customer_id: northwind.id,
            name: "Canary Wharf warehouse",
            location: &place(
                "Unit 4, 12 Westferry Road, London E14 8JH",
                51.4986,
                -0.0235,
            ),
            timezone: zone("Europe/London"),
        },
    )
    .await?;
    ensure_site(
        pool,
        NewSite {
            customer_id: northwind.id,
            name: "Brooklyn office",
            location: &place("200 Water Street, Brooklyn, NY 11201", 40.7033, -73.9881),
            timezone: zone("America/New_York"),
        },
    )
    .await?;
    let harbourside = db::upsert_customer(
        pool,
        &CustomerFacts {
            name: SECOND_CUSTOMER_NAME.into(),
            aura_customer_id: SECOND_CUSTOMER_AURA_ID,
            default_timezone: zone("Europe/London"),
        },
        now,
    )
    .await?;
    ensure_site(
        pool,
        NewSite {
            customer_id: harbourside.id,
            name: "Salford Quays lofts",
            location: &place("The Quays, Salford M50 3AZ", 53.4723, -2.2935),
            timezone: zone("Europe/London"),
        },
    )
    .await?;
    Ok((northwind, harbourside))
}

/// A demo account as printed at start-up.
pub struct DemoAccount {
    pub email: &'static str,
    pub role: Role,
    pub note: String,
}

/// Creates the three demo accounts, or resets their password (and ends their old sessions) when
/// they exist. Demo mode only: a real deployment creates accounts with `server user add`.
pub async fn ensure_users(
    pool: &Db,
    password: &str,
    northwind: &CustomerRow,
    harbourside: &CustomerRow,
) -> Result<Vec<DemoAccount>, String> {
    let hash = backend::auth::hash_password(password.into())
        .await
        .map_err(|e| e.to_string())?;
    let accounts = [
        (DEMO_ADMIN, "Alex Morgan", Role::Admin, None),
        (DEMO_MANAGER, "Sam Patel", Role::AccountManager, None),
        (
            DEMO_CUSTOMER_USER,
            "Priya Shah",
            Role::Customer,
            Some(northwind.id),
        ),
    ];
    let now = Utc::now();
    for (email, name, role, customer_id) in accounts {
        let id = match db::user_by_email(pool, email)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(user) => {
                db::set_password(pool, user.id, &hash)
                    .await
                    .map_err(|e| e.to_string())?;
                db::set_user_disabled(pool, user.id, false, now)
                    .await
                    .map_err(|e| e.to_string())?;
                user.id
            }
            None => db::insert_user(
                pool,
                &NewUser {
                    email,
                    name,
                    password_hash: &hash,
                    role,
                    customer_id,
                },
                now,
            )
            .await
            .map_err(|e| e.to_string())?,
        };
        if role == Role::AccountManager {
            for customer in [northwind, harbourside] {
                db::assign_customer(pool, id, customer.id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(vec![
        DemoAccount {
            email: DEMO_ADMIN,
            role: Role::Admin,
            note: "manages users, customers and sites".into(),
        },
        DemoAccount {
            email: DEMO_MANAGER,
            role: Role::AccountManager,
            note: format!("looks after {} and {}", northwind.name, harbourside.name),
        },
        DemoAccount {
            email: DEMO_CUSTOMER_USER,
            role: Role::Customer,
            note: format!("books for {}", northwind.name),
        },
    ])
}

/// The person a demo booking is made by, as the booking flow sees them.
async fn demo_viewer(pool: &Db, email: &str) -> Result<Viewer, String> {
    let user = db::user_by_email(pool, email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("demo user missing")?;
    Viewer::of_user(pool, user, None)
        .await
        .map_err(|e| e.to_string())
}

fn local_today(zone: Zone) -> NaiveDate {
    Utc::now().with_timezone(zone.tz()).date_naive()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A few future bookings, unless there are some already: Northwind's made by its own user,
/// Harbourside's by the account manager on its behalf.
pub async fn seed_bookings(
    state: &AppState,
    northwind: &CustomerRow,
    harbourside: &CustomerRow,
) -> Result<usize, String> {
    let pool = &state.db;
    let everyone = CustomerScope::All;
    let existing = db::active_bookings(pool, &everyone)
        .await
        .map_err(|e| e.to_string())?;
    let cancelled = db::cancelled_bookings(pool, &everyone, 1, 0)
        .await
        .map_err(|e| e.to_string())?;
    if !existing.is_empty() || !cancelled.is_empty() {
        return Ok(0);
    }
    let customer = northwind;
    let sites = db::sites_for_customer(pool, customer.id)
        .await
        .map_err(|e| e.to_string())?;
    let site = |name: &str| {
        sites
            .iter()
            .find(|s| s.timezone == zone(name))
            .map(|s| (s.id, s.timezone))
    };
    let (Some((london, london_zone)), Some((brooklyn, ny_zone))) =
        (site("Europe/London"), site("America/New_York"))
    else {
        return Err("demo sites are missing".into());
    };
    let tomorrow_london = local_today(london_zone) + Duration::days(1);
    let tomorrow_ny = local_today(ny_zone) + Duration::days(1);
    let base = |key: &str, site_id: i64| BookingDraft {
        idempotency_key: format!("demo-{key}"),
        customer_id: Some(customer.id),
        site_id: Some(site_id),
        number_of_guards: "1".into(),
        armed_preference: ArmedPreference::NoPreference,
        ..BookingDraft::default()
    };
    let drafts = [
        BookingDraft {
            service_type: Some(ServiceType::Patrol),
            name: "Warehouse night patrol".into(),
            special_instructions: "Check the loading-bay shutters and the east fence line.".into(),
            number_of_guards: "2".into(),
            armed_preference: ArmedPreference::Unarmed,
            contacts: vec![ContactDraft {
                name: "Priya Shah (site manager)".into(),
                mobile: "+44 7700 900123".into(),
            }],
            first_date: ymd(tomorrow_london),
            last_date: ymd(tomorrow_london + Duration::days(55)),
            repeat: RepeatKind::Weekly,
            days: vec![Weekday::Mon, Weekday::Wed, Weekday::Fri],
            start_time: "22:00".into(),
            window_minutes: "90".into(),
            ..base("patrol", london)
        },
        BookingDraft {
            service_type: Some(ServiceType::LockUnlock),
            name: "Evening lock-up".into(),
            special_instructions: "Lock the lobby doors and arm the alarm panel.".into(),
            first_date: ymd(tomorrow_ny),
            last_date: ymd(tomorrow_ny + Duration::days(27)),
            repeat: RepeatKind::Daily,
            start_time: "19:00".into(),
            window_minutes: "30".into(),
            ..base("lockup", brooklyn)
        },
        BookingDraft {
            service_type: Some(ServiceType::Guarding),
            name: "Weekend guarding".into(),
            number_of_guards: "1".into(),
            first_date: ymd(tomorrow_london),
            last_date: ymd(tomorrow_london + Duration::days(34)),
            repeat: RepeatKind::Weekly,
            days: vec![Weekday::Sat, Weekday::Sun],
            start_time: "08:00".into(),
            window_minutes: "600".into(),
            ..base("guarding", london)
        },
        BookingDraft {
            service_type: Some(ServiceType::OccupiedInspection),
            name: "Quarterly fire-door inspection".into(),
            first_date: ymd(tomorrow_ny + Duration::days(9)),
            repeat: RepeatKind::Single,
            start_time: "10:00".into(),
            window_minutes: "120".into(),
            ..base("inspection", brooklyn)
        },
    ];
    let loft = db::sites_for_customer(pool, harbourside.id)
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|s| s.id)
        .ok_or("demo loft site is missing")?;
    let loft_patrol = BookingDraft {
        service_type: Some(ServiceType::Patrol),
        name: "Car-park patrol".into(),
        special_instructions: "Walk both levels; report lights that are out.".into(),
        first_date: ymd(tomorrow_london),
        last_date: ymd(tomorrow_london + Duration::days(27)),
        repeat: RepeatKind::Daily,
        start_time: "23:30".into(),
        window_minutes: "60".into(),
        customer_id: Some(harbourside.id),
        ..base("loft-patrol", loft)
    };
    let customer_user = demo_viewer(pool, DEMO_CUSTOMER_USER).await?;
    let manager = demo_viewer(pool, DEMO_MANAGER).await?;
    let mut booked = 0;
    let plan = drafts
        .iter()
        .map(|d| (d, &customer_user))
        .chain(std::iter::once((&loft_patrol, &manager)));
    for (draft, viewer) in plan {
        match bookings::book(state, viewer, draft, Utc::now()).await {
            Ok(_) => booked += 1,
            Err(e) => {
                let e = e.reported();
                tracing::warn!(name = %draft.name, error = %e, "demo booking failed");
            }
        }
    }
    Ok(booked)
}
