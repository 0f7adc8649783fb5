//! Several bookings at once: cancel, or skip some dates of, every booking a filter chooses. A dry
//! run lists what will happen to each (nothing is sent); the person then confirms the bookings
//! ticked, and each is carried out on its own, as its page would (a cancel, or a skip), with a
//! result per row.

use chrono::{DateTime, Utc};

use crate::auth::Viewer;
use crate::bookings::{SkipAsk, cancel, skip_dates};
use crate::db::{self, Booking};
use crate::error::ServerError;
use crate::forms::Done;
use crate::present::place;
use crate::state::AppState;
use domain::error::AppError;
use domain::model::{Outcome, PlannedRow, RowResult, SeveralView, SiteView, SyncStatus};
use domain::plan::plan_skip;
use domain::{Field, FieldErrors, ServiceType, check_cancel_reason, read_iso_date};

pub const PAGE: &str = "/several";
/// The most bookings one dry run lists, and one confirmation acts on.
pub const MAX_ROWS: usize = 200;

/// What to do to each booking chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    Cancel { reason: String },
    Skip { from: String, to: String },
}

/// The filter as typed (empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub site: Option<i64>,
    pub service: Option<ServiceType>,
    pub name: String,
}

/// Reads the action as typed, each problem at its field.
pub fn read_act(
    action: &str,
    reason: &str,
    from: &str,
    to: &str,
) -> Result<Option<Act>, ServerError> {
    match action {
        "" => Ok(None),
        "cancel" => Ok(Some(Act::Cancel {
            reason: check_cancel_reason(reason)?,
        })),
        "skip" => {
            let mut errors = FieldErrors::default();
            let first = read_iso_date(from.trim());
            let last = if to.trim().is_empty() {
                first
            } else {
                read_iso_date(to.trim())
            };
            if first.is_none() {
                errors.insert(
                    Field::SkipFrom,
                    "Enter the first date to skip as YYYY-MM-DD.",
                );
            }
            if last.is_none() {
                errors.insert(
                    Field::SkipTo,
                    "Enter the last date to skip as YYYY-MM-DD (or leave it empty).",
                );
            }
            if let (Some(f), Some(l)) = (first, last)
                && l < f
            {
                errors.insert(Field::SkipTo, "The last date to skip is before the first.");
            }
            if !errors.is_empty() {
                return Err(errors.into());
            }
            Ok(Some(Act::Skip {
                from: from.trim().to_string(),
                to: to.trim().to_string(),
            }))
        }
        _ => Err(AppError::BadRequest("Choose to cancel or to skip dates.".into()).into()),
    }
}

/// The bookings the filter chooses, in the viewer's view, that can still be acted on.
async fn chosen(
    state: &AppState,
    viewer: &Viewer,
    filter: &Filter,
) -> Result<Vec<Booking>, ServerError> {
    let name = filter.name.trim().to_lowercase();
    Ok(db::active_bookings(&state.db, &viewer.view_scope())
        .await?
        .into_iter()
        .filter(|b| {
            filter
                .site
                .is_none_or(|s| b.site.as_ref().is_some_and(|x| x.id == s))
        })
        .filter(|b| filter.service.is_none_or(|s| b.service_type == s))
        .filter(|b| name.is_empty() || b.name.to_lowercase().contains(&name))
        .filter(|b| b.status.is_cancellable() && b.cancellation.is_none())
        .take(MAX_ROWS)
        .collect())
}

/// What `act` would do to `b`, in words; or why it cannot.
fn plan_of(b: &Booking, act: &Act, now: DateTime<Utc>) -> Result<String, String> {
    let tz = b.zone.tz();
    match act {
        Act::Cancel { .. } => {
            let left = b
                .schedule
                .occurrences_from(tz, now)
                .filter(|o| o.opens > now)
                .take(100_000)
                .count();
            let late = if b.schedule.is_late_cancel(tz, now) {
                " A late cancellation (under a day before a window)."
            } else {
                ""
            };
            Ok(match b.status {
                SyncStatus::Confirmed => format!(
                    "Cancel at AURA: stops {left} window{} still to come.{late}",
                    if left == 1 { "" } else { "s" }
                ),
                SyncStatus::Sending | SyncStatus::Unknown => {
                    "Cancel once AURA's answer about it is known.".to_string()
                }
                _ => "Cancel here: it has not reached AURA.".to_string(),
            })
        }
        Act::Skip { from, to } => {
            let (Some(first), Some(last)) = (
                read_iso_date(from),
                if to.is_empty() {
                    read_iso_date(from)
                } else {
                    read_iso_date(to)
                },
            ) else {
                return Err("The dates are not readable.".into());
            };
            if !matches!(
                b.status,
                SyncStatus::Confirmed
                    | SyncStatus::Saved
                    | SyncStatus::NotSent
                    | SyncStatus::Lapsed
            ) {
                return Err(format!("It is {}.", b.status.label().to_lowercase()));
            }
            let plan = plan_skip(&b.schedule, tz, first, last, now)
                .map_err(|r| r.message(|at| crate::present::instant_label(at, tz)))?;
            let n = plan.skipped.len();
            Ok(match plan.parts.len() {
                0 => format!(
                    "Skips {n} window{}: none is left to keep, so it is cancelled.",
                    if n == 1 { "" } else { "s" }
                ),
                parts => format!(
                    "Skips {n} window{}: books the {} kept window{} again as {parts} new booking{}, then cancels this one.",
                    if n == 1 { "" } else { "s" },
                    plan.kept,
                    if plan.kept == 1 { "" } else { "s" },
                    if parts == 1 { "" } else { "s" }
                ),
            })
        }
    }
}

/// The page: the filter's choices, and (with an action) the dry run.
pub async fn several_view(
    state: &AppState,
    viewer: &Viewer,
    filter: &Filter,
    act: Option<Act>,
    now: DateTime<Utc>,
) -> Result<SeveralView, ServerError> {
    let scope = viewer.view_scope();
    let mut sites: Vec<SiteView> = Vec::new();
    for customer in viewer.customers.iter().filter(|c| scope.includes(c.id)) {
        sites.extend(
            db::open_sites_for_customer(&state.db, customer.id)
                .await?
                .into_iter()
                .map(SiteView::from),
        );
    }
    let rows = match &act {
        None => Vec::new(),
        Some(act) => chosen(state, viewer, filter)
            .await?
            .iter()
            .map(|b| PlannedRow {
                booking_id: b.id,
                name: b.name.clone(),
                customer: b.customer.name.clone(),
                place: place(b),
                status: b.status,
                plan: plan_of(b, act, now),
            })
            .collect(),
    };
    Ok(SeveralView {
        sites,
        services: state.services.enabled(),
        rows,
        dry_run: act.is_some(),
        form_key: uuid::Uuid::new_v4().simple().to_string(),
        flash: None,
    })
}

/// Carries out `act` on each booking of `ids` (each must be one the filter-free view reaches):
/// one at a time, each with its own result.
pub async fn apply(
    state: &AppState,
    viewer: &Viewer,
    ids: &[i64],
    act: &Act,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Done, ServerError> {
    if ids.is_empty() {
        return Err(AppError::Conflict("Tick at least one booking.".into()).into());
    }
    let key = crate::forms::page_key(key)?;
    let mut rows = Vec::new();
    for id in ids.iter().take(MAX_ROWS) {
        let name = db::booking_in_scope(&state.db, &viewer.scope(), *id)
            .await?
            .map(|b| b.name)
            .unwrap_or_default();
        let outcome = match act {
            Act::Cancel { reason } => cancel(state, viewer, *id, reason, now).await,
            Act::Skip { from, to } => {
                let ask = SkipAsk {
                    from,
                    to,
                    key: &format!("s{key}-{id}"),
                    also_pair: false,
                };
                skip_dates(state, viewer, *id, &ask, now).await
            }
        };
        let outcome = match outcome {
            Ok(o) => Ok(Box::new(o)),
            Err(ServerError::User(e)) => Err(e),
            Err(e) => return Err(e),
        };
        rows.push(RowResult {
            booking_id: *id,
            name,
            outcome,
        });
    }
    Ok(Done::to(PAGE, Outcome::Several { rows }))
}
