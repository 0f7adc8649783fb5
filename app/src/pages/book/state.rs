//! The booking form's inputs as typed, and the draft they make.

use chrono::Duration;
use leptos::prelude::*;

use domain::model::BookingFormData;
use domain::{
    ArmedPreference, BookingDraft, ContactDraft, RepeatKind, ServiceType, iso_date, weekday_code,
    weekday_from_code,
};

use super::NEW_SITE;

/// One on-site contact row; `key` keeps a row's inputs in place when another row is removed.
#[derive(Clone, Copy)]
pub(super) struct ContactRow {
    pub(super) key: usize,
    pub(super) name: RwSignal<String>,
    pub(super) mobile: RwSignal<String>,
}

impl ContactRow {
    pub(super) fn new(key: usize) -> Self {
        ContactRow {
            key,
            name: RwSignal::new(String::new()),
            mobile: RwSignal::new(String::new()),
        }
    }
}

/// Every input of the form, as typed.
#[derive(Clone, Copy)]
pub(super) struct FormState {
    /// The customer the form was loaded for; the server checks it against who is asking.
    pub(super) customer_id: i64,
    pub(super) service_type: RwSignal<String>,
    pub(super) name: RwSignal<String>,
    pub(super) special_instructions: RwSignal<String>,
    pub(super) number_of_guards: RwSignal<String>,
    pub(super) armed_preference: RwSignal<String>,
    pub(super) contacts: RwSignal<Vec<ContactRow>>,
    pub(super) contact_keys: RwSignal<usize>,
    pub(super) site: RwSignal<String>,
    pub(super) address: RwSignal<String>,
    pub(super) latitude: RwSignal<String>,
    pub(super) longitude: RwSignal<String>,
    pub(super) timezone: RwSignal<String>,
    pub(super) first_date: RwSignal<String>,
    pub(super) last_date: RwSignal<String>,
    pub(super) repeat: RwSignal<String>,
    pub(super) days: RwSignal<Vec<String>>,
    pub(super) start_time: RwSignal<String>,
    pub(super) window_minutes: RwSignal<String>,
    /// A lock booked with its unlock the next morning, at `unlock_time`.
    pub(super) pair: RwSignal<bool>,
    pub(super) unlock_time: RwSignal<String>,
    /// Other saved sites booked at once (one booking each).
    pub(super) also_sites: RwSignal<Vec<i64>>,
    /// Leave out the windows that fall on closures (the rest booked as runs around them).
    pub(super) skip_closures: RwSignal<bool>,
}

/// The unlock's start time the form suggests.
pub(super) const DEFAULT_UNLOCK_TIME: &str = "07:00";

impl FormState {
    pub(super) fn new(data: &BookingFormData) -> Self {
        match &data.prefill {
            Some(draft) => Self::filled(data, draft),
            None => Self::blank(data),
        }
    }

    pub(super) fn blank(data: &BookingFormData) -> Self {
        let first_site = data
            .sites
            .first()
            .map(|s| s.id.to_string())
            .unwrap_or_else(|| NEW_SITE.to_string());
        FormState {
            customer_id: data.customer_id,
            service_type: RwSignal::new(
                data.service_types
                    .first()
                    .map(|t| t.key().to_string())
                    .unwrap_or_default(),
            ),
            name: RwSignal::new(String::new()),
            special_instructions: RwSignal::new(String::new()),
            number_of_guards: RwSignal::new("1".into()),
            armed_preference: RwSignal::new(ArmedPreference::NoPreference.key().into()),
            contacts: RwSignal::new(vec![ContactRow::new(0)]),
            contact_keys: RwSignal::new(1),
            site: RwSignal::new(first_site),
            address: RwSignal::new(String::new()),
            latitude: RwSignal::new(String::new()),
            longitude: RwSignal::new(String::new()),
            timezone: RwSignal::new(data.default_timezone.clone()),
            first_date: RwSignal::new(iso_date(data.today)),
            last_date: RwSignal::new(iso_date(data.today + Duration::days(27))),
            repeat: RwSignal::new(RepeatKind::Single.key().into()),
            days: RwSignal::new(Vec::new()),
            start_time: RwSignal::new(String::new()),
            window_minutes: RwSignal::new("60".into()),
            pair: RwSignal::new(false),
            unlock_time: RwSignal::new(DEFAULT_UNLOCK_TIME.into()),
            also_sites: RwSignal::new(Vec::new()),
            skip_closures: RwSignal::new(false),
        }
    }

    /// Every field as `draft` has it ("book again").
    pub(super) fn filled(data: &BookingFormData, draft: &BookingDraft) -> Self {
        let contacts: Vec<ContactRow> = draft
            .contacts
            .iter()
            .enumerate()
            .map(|(key, c)| ContactRow {
                key,
                name: RwSignal::new(c.name.clone()),
                mobile: RwSignal::new(c.mobile.clone()),
            })
            .collect();
        let count = contacts.len();
        let (contacts, keys) = if contacts.is_empty() {
            (vec![ContactRow::new(0)], 1)
        } else {
            (contacts, count)
        };
        FormState {
            customer_id: data.customer_id,
            service_type: RwSignal::new(
                draft
                    .service_type
                    .filter(|t| data.service_types.contains(t))
                    .or(data.service_types.first().copied())
                    .map(|t| t.key().to_string())
                    .unwrap_or_default(),
            ),
            name: RwSignal::new(draft.name.clone()),
            special_instructions: RwSignal::new(draft.special_instructions.clone()),
            number_of_guards: RwSignal::new(draft.number_of_guards.clone()),
            armed_preference: RwSignal::new(draft.armed_preference.key().into()),
            contacts: RwSignal::new(contacts),
            contact_keys: RwSignal::new(keys),
            site: RwSignal::new(
                draft
                    .site_id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| NEW_SITE.to_string()),
            ),
            address: RwSignal::new(draft.address.clone()),
            latitude: RwSignal::new(draft.latitude.clone()),
            longitude: RwSignal::new(draft.longitude.clone()),
            timezone: RwSignal::new(draft.timezone.clone()),
            first_date: RwSignal::new(draft.first_date.clone()),
            last_date: RwSignal::new(draft.last_date.clone()),
            repeat: RwSignal::new(draft.repeat.key().into()),
            days: RwSignal::new(
                draft
                    .days
                    .iter()
                    .map(|d| weekday_code(*d).to_string())
                    .collect(),
            ),
            start_time: RwSignal::new(draft.start_time.clone()),
            window_minutes: RwSignal::new(draft.window_minutes.clone()),
            pair: RwSignal::new(!draft.unlock_time.is_empty()),
            unlock_time: RwSignal::new(if draft.unlock_time.is_empty() {
                DEFAULT_UNLOCK_TIME.into()
            } else {
                draft.unlock_time.clone()
            }),
            also_sites: RwSignal::new(Vec::new()),
            skip_closures: RwSignal::new(false),
        }
    }

    pub(super) fn is_lock(&self) -> bool {
        self.service_type
            .with(|t| t.parse::<ServiceType>() == Ok(ServiceType::LockUnlock))
    }

    pub(super) fn site_id(&self) -> Option<i64> {
        self.site.with(|s| s.parse::<i64>().ok())
    }

    /// The draft as it stands (tracked: re-runs whoever reads it on any change).
    pub(super) fn draft(&self, idempotency_key: String) -> BookingDraft {
        BookingDraft {
            idempotency_key,
            // The drop-downs only offer valid keys.
            service_type: self.service_type.with(|t| t.parse().ok()),
            name: self.name.get(),
            special_instructions: self.special_instructions.get(),
            number_of_guards: self.number_of_guards.get(),
            armed_preference: self
                .armed_preference
                .with(|a| a.parse().unwrap_or_default()),
            contacts: self
                .contacts
                .get()
                .iter()
                .map(|c| ContactDraft {
                    name: c.name.get(),
                    mobile: c.mobile.get(),
                })
                .collect(),
            unlock_time: if self.is_lock() && self.pair.get() {
                self.unlock_time.get()
            } else {
                String::new()
            },
            ..self.when_draft()
        }
    }

    /// Only what the schedule preview depends on (the service, for overlap warnings).
    pub(super) fn when_draft(&self) -> BookingDraft {
        let site_id = self.site_id();
        BookingDraft {
            customer_id: Some(self.customer_id),
            service_type: self.service_type.with(|t| t.parse().ok()),
            site_id,
            address: self.address.get(),
            latitude: self.latitude.get(),
            longitude: self.longitude.get(),
            timezone: if site_id.is_some() {
                String::new()
            } else {
                self.timezone.get()
            },
            first_date: self.first_date.get(),
            last_date: self.last_date.get(),
            repeat: self.repeat.with(|r| r.parse().unwrap_or_default()),
            days: self
                .days
                .with(|codes| codes.iter().filter_map(|c| weekday_from_code(c)).collect()),
            start_time: self.start_time.get(),
            window_minutes: self.window_minutes.get(),
            ..BookingDraft::default()
        }
    }

    /// The other saved sites booked at once: only with a saved site chosen, never that one.
    pub(super) fn also_sites(&self) -> Vec<i64> {
        match self.site_id() {
            Some(first) => self
                .also_sites
                .get()
                .into_iter()
                .filter(|s| *s != first)
                .collect(),
            None => Vec::new(),
        }
    }

    pub(super) fn add_contact(&self) {
        let key = self.contact_keys.get_untracked();
        self.contact_keys.set(key + 1);
        self.contacts.update(|c| c.push(ContactRow::new(key)));
    }
}
