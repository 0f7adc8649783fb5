//! Several bookings at once: choose bookings by a filter, choose to cancel them or to skip some
//! dates, see a dry run of what will happen to each (nothing is sent), then confirm the bookings
//! ticked; the page comes back with each booking's result. Plain server-rendered forms.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::closures::load_several;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::service::RowResults;
use domain::Field;
use domain::model::{Outcome, SeveralView};

#[component]
pub fn SeveralPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        (
            get("site"),
            get("service"),
            get("name"),
            get("action"),
            get(&Field::CancelReason.name()),
            get(&Field::SkipFrom.name()),
            get(&Field::SkipTo.name()),
        )
    };
    let data = Resource::new(asked, |(site, service, name, action, reason, from, to)| {
        load_several(site, service, name, action, reason, from, to)
    });
    view! {
        <Title text="Several bookings at once" />
        <h1>"Several bookings at once"</h1>
        <p class="hint">
            "Cancel, or skip some dates of, every booking a filter chooses. First a dry run lists what will happen to each; nothing is sent until you confirm the bookings ticked, and each is then carried out on its own, as its page would."
        </p>
        <Suspense fallback=Loading>
            {move || {
                let asked = asked();
                Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Several view asked /> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Several(
    view: SeveralView,
    asked: (String, String, String, String, String, String, String),
) -> impl IntoView {
    let (site, service, name, action, reason, from, to) = asked;
    let SeveralView {
        sites,
        services,
        rows,
        dry_run,
        form_key,
        flash,
    } = view;
    let results = flash.and_then(|f| match f.success {
        Some(Outcome::Several { rows }) => Some(rows),
        _ => None,
    });
    let any_ok = rows.iter().any(|r| r.plan.is_ok());
    let (act_reason, act_from, act_to) = (reason.clone(), from.clone(), to.clone());
    let act = action.clone();
    view! {
        {results
            .map(|rows| {
                view! { <RowResults rows heading="Done, booking by booking" label="What was done" failed="Not done" /> }
            })}
        <form method="get" action="/several" class="stack admin-form">
            <fieldset>
                <legend>"Which bookings"</legend>
                <div class="field">
                    <label for="several-site">"Site"</label>
                    <select id="several-site" name="site">
                        <option value="" selected=site.is_empty()>"Any site"</option>
                        {sites
                            .into_iter()
                            .map(|s| {
                                let chosen = site == s.id.to_string();
                                view! { <option value=s.id.to_string() selected=chosen>{s.name}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="several-service">"Service"</label>
                    <select id="several-service" name="service">
                        <option value="" selected=service.is_empty()>"Any service"</option>
                        {services
                            .into_iter()
                            .map(|s| {
                                let chosen = service == s.key();
                                view! { <option value=s.key() selected=chosen>{s.label()}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="several-name">"Name contains"</label>
                    <input id="several-name" name="name" type="text" value=name maxlength="200" />
                </div>
            </fieldset>
            <fieldset>
                <legend>"What to do"</legend>
                <label class="check">
                    <input type="radio" name="action" value="skip" checked=action != "cancel" />
                    " Skip dates"
                </label>
                <label class="check">
                    <input type="radio" name="action" value="cancel" checked=action == "cancel" />
                    " Cancel (stops every future window)"
                </label>
                <div class="row">
                    <div class="field">
                        <label for="several-skip-from">"First date to skip"</label>
                        <input id="several-skip-from" name=Field::SkipFrom.name() type="date" value=from />
                    </div>
                    <div class="field">
                        <label for="several-skip-to">"Last date to skip (empty: one date)"</label>
                        <input id="several-skip-to" name=Field::SkipTo.name() type="date" value=to />
                    </div>
                </div>
                <div class="field">
                    <label for="several-reason">"Reason for cancelling"</label>
                    <input id="several-reason" name=Field::CancelReason.name() type="text" value=reason maxlength="500" />
                </div>
            </fieldset>
            <button type="submit" class="secondary">"Dry run: show what will happen"</button>
        </form>
        {dry_run
            .then(|| {
                view! {
                    <section aria-labelledby="dry-run-h">
                        <h2 id="dry-run-h">"What will happen"</h2>
                        {if rows.is_empty() {
                            view! { <p class="empty">"No booking matches."</p> }.into_any()
                        } else {
                            view! {
                                <form method="post" action="/several/apply">
                                    <input type="hidden" name="key" value=form_key />
                                    <input type="hidden" name="action" value=act />
                                    <input type="hidden" name=Field::CancelReason.name() value=act_reason />
                                    <input type="hidden" name=Field::SkipFrom.name() value=act_from />
                                    <input type="hidden" name=Field::SkipTo.name() value=act_to />
                                    <ul class="plain dry-run">
                                        {rows
                                            .into_iter()
                                            .map(|r| {
                                                let box_id = format!("several-booking-{}", r.booking_id);
                                                let label_for = box_id.clone();
                                                let ok = r.plan.is_ok();
                                                let said = match r.plan {
                                                    Ok(p) => p,
                                                    Err(e) => format!("Cannot: {e}"),
                                                };
                                                view! {
                                                    <li class:row-failed=!ok>
                                                        <label class="check" for=label_for>
                                                            <input type="checkbox" id=box_id name="booking" value=r.booking_id.to_string() checked=ok disabled=!ok />
                                                            " " <a href=format!("/bookings/{}", r.booking_id)>"#" {r.booking_id} " " {r.name}</a>
                                                            " · " {r.customer} " · " {r.place} " · " {r.status.label()}
                                                        </label>
                                                        <span class="hint">{said}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                    {any_ok.then(|| view! { <button type="submit" class="danger">"Carry it out for the bookings ticked"</button> })}
                                </form>
                            }
                                .into_any()
                        }}
                    </section>
                }
            })}
    }
}
