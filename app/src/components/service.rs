use leptos::prelude::*;

use crate::domain::ServiceType;
use crate::model::SyncStatus;

/// A coloured tag naming the service type (colour is never the only signal: the text is there).
#[component]
pub fn ServiceBadge(service: ServiceType) -> impl IntoView {
    view! { <span class=format!("badge svc-{}", service.key())>{service.label()}</span> }
}

#[component]
pub fn StatusBadge(status: SyncStatus) -> impl IntoView {
    view! { <span class=format!("status status-{}", status.key())>{status.label()}</span> }
}
