use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::accounts::{ChangePassword, StartFeed, StopFeed, load_account};
use crate::api::notices::SaveNotifications;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, TextField, ZoneList, field_id};
use domain::Field;
use domain::model::{AccountView, FeedView, FormFlash, FormId, NotificationsView, flash_for};
use domain::notify::Delivery;

/// The signed-in person: who they are, what they may do, and changing their password.
#[component]
pub fn AccountPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_account());
    view! {
        <Title text="Your account" />
        <h1>"Your account"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Account view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Account(view: AccountView) -> impl IntoView {
    let AccountView {
        session,
        feed,
        notifications,
        origin,
        flash,
    } = view;
    let notifications_flash = flash_for(&flash, FormId::Notifications);
    let form = flash_for(&flash, FormId::Password);
    let feed_flash = flash_for(&flash, FormId::Feed);
    let customers = session
        .customers
        .iter()
        .map(|c| c.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <FlashNotice flash=form.clone() />
        <dl class="facts">
            <dt>"Name"</dt>
            <dd>{session.name}</dd>
            <dt>"Email"</dt>
            <dd>{session.email}</dd>
            <dt>"Role"</dt>
            <dd>{session.role.label()}</dd>
            <dt>"Customers"</dt>
            <dd>{if customers.is_empty() { "None yet".to_string() } else { customers }}</dd>
        </dl>
        <NotificationsSection view=notifications flash=notifications_flash />
        <FeedSection feed flash=feed_flash origin />
        <section aria-labelledby="password-h" class="admin-form">
            <h2 id="password-h">"Change your password"</h2>
            <form method="post" action=ChangePassword::PATH class="stack">
                <TextField
                    id=field_id(FormId::Password, Field::CurrentPassword)
                    name=Field::CurrentPassword.name()
                    label="Current password"
                    kind="password"
                    error=form.error(Field::CurrentPassword)
                    autocomplete="current-password"
                    required=true
                />
                <TextField
                    id=field_id(FormId::Password, Field::Password)
                    name=Field::Password.name()
                    label="New password"
                    kind="password"
                    hint="At least 12 characters; a few unrelated words work well."
                    error=form.error(Field::Password)
                    autocomplete="new-password"
                    required=true
                />
                <TextField
                    id=field_id(FormId::Password, Field::RepeatPassword)
                    name=Field::RepeatPassword.name()
                    label="New password again"
                    kind="password"
                    error=form.error(Field::RepeatPassword)
                    autocomplete="new-password"
                    required=true
                />
                <button type="submit" class="primary">
                    "Change password"
                </button>
            </form>
        </section>
    }
}

/// The person's private calendar feed: issue, replace or turn off its address. The address is
/// shown once, right after it is issued; only its hash is kept.
#[component]
fn FeedSection(feed: FeedView, flash: FormFlash, origin: String) -> impl IntoView {
    let revealed = flash.reveal.clone().map(|path| format!("{origin}{path}"));
    let success = flash.success.clone();
    let notice = flash.notice.clone();
    view! {
        <section aria-labelledby="feed-h" class="admin-form feed">
            <h2 id="feed-h">"Calendar feed"</h2>
            <p>
                "Subscribe to your bookings in Outlook, Google Calendar or Apple Calendar. The feed holds the windows of the next "
                {feed.days}
                " days, each in its site's time zone; cancelled ones show as cancelled. Anyone with its address can read it, so keep it private: replace it if it was shared by mistake."
            </p>
            {success.map(|s| view! { <p class="notice notice-ok" role="status">{crate::says::says(&s)}</p> })}
            {notice.map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
            {revealed
                .map(|url| {
                    view! {
                        <div class="field feed-address">
                            <label for="feed-url">"Your feed address (shown only now)"</label>
                            <input id="feed-url" type="text" readonly value=url aria-describedby="feed-url-hint" />
                            <p class="hint" id="feed-url-hint">
                                "Outlook: Add calendar → Subscribe from web. Google Calendar: Other calendars → From URL. Apple Calendar: File → New Calendar Subscription."
                            </p>
                        </div>
                    }
                })}
            {if feed.active {
                view! {
                    <p class="hint">
                        "Your feed is on. Address issued " {feed.created.unwrap_or_default()} "; "
                        {feed.last_read.map(|at| format!("last read by a calendar app {at}.")).unwrap_or_else(|| "not read by a calendar app yet.".into())}
                    </p>
                    <div class="actions">
                        <form method="post" action=StartFeed::PATH class="inline">
                            <button type="submit">"Replace the feed address"</button>
                        </form>
                        <form method="post" action=StopFeed::PATH class="inline">
                            <button type="submit" class="secondary">"Turn the feed off"</button>
                        </form>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <p class="hint">"Your feed is off."</p>
                    <form method="post" action=StartFeed::PATH>
                        <button type="submit" class="primary">"Turn the feed on"</button>
                    </form>
                }
                    .into_any()
            }}
        </section>
    }
}

/// How the person hears of what needs them: per kind of notice at once, in the morning digest or
/// not by mail (the inbox has everything), the digest itself, their zone and quiet hours.
#[component]
fn NotificationsSection(view: NotificationsView, flash: FormFlash) -> impl IntoView {
    let NotificationsView {
        choices,
        digest,
        own_zone,
        zone_used,
        zones,
        quiet_from,
        quiet_to,
    } = view;
    // What was typed when a save was refused; else what is stored.
    let kept = |field: Field, stored: Option<String>| {
        if flash.sent(field) {
            flash.value(field)
        } else {
            stored.unwrap_or_default()
        }
    };
    let zone = kept(Field::Timezone, own_zone);
    let from = kept(Field::QuietFrom, quiet_from);
    let to = kept(Field::QuietTo, quiet_to);
    view! {
        <section aria-labelledby="notifications-h" class="admin-form" id="notifications">
            <h2 id="notifications-h">"Notifications"</h2>
            <p>
                "Everything that needs you is in your "
                <a href="/inbox">"inbox"</a>
                ". Choose which of it also comes by mail, at once or in the morning digest (07:00 in your zone)."
            </p>
            <FlashNotice flash=flash.clone() />
            <form method="post" action=SaveNotifications::PATH class="stack">
                {choices
                    .into_iter()
                    .map(|c| {
                        let name = format!("choice[{}]", c.notice.key());
                        let legend_id = format!("notice-{}", c.notice.key());
                        let labelled_by = legend_id.clone();
                        view! {
                            <fieldset class="choice-row" aria-labelledby=labelled_by>
                                <legend id=legend_id>{c.notice.label()}</legend>
                                {Delivery::ALL
                                    .into_iter()
                                    .map(|d| {
                                        let id = format!("notice-{}-{}", c.notice.key(), d.key());
                                        let label_for = id.clone();
                                        view! {
                                            <label class="inline-choice" for=label_for>
                                                <input
                                                    type="radio"
                                                    id=id
                                                    name=name.clone()
                                                    value=d.key()
                                                    checked=d == c.delivery
                                                />
                                                " "
                                                {d.label()}
                                            </label>
                                        }
                                    })
                                    .collect_view()}
                            </fieldset>
                        }
                    })
                    .collect_view()}
                <div class="field">
                    <label class="inline-choice" for="digest-on">
                        <input type="checkbox" id="digest-on" name="digest" value="on" checked=digest />
                        " Send me the morning digest: tomorrow's windows, what still needs action, what changed yesterday (nothing when there is nothing to say)"
                    </label>
                </div>
                <ZoneList zones=zones />
                <TextField
                    id=field_id(FormId::Notifications, Field::Timezone)
                    name=Field::Timezone.name()
                    label="Your time zone"
                    value=RwSignal::new(zone)
                    error=flash.error(Field::Timezone)
                    hint="For the digest and quiet hours. Empty: your customer's zone (now in use: see below)."
                    list="zones"
                />
                <p class="hint">"In use now: " {zone_used}</p>
                <TextField
                    id=field_id(FormId::Notifications, Field::QuietFrom)
                    name=Field::QuietFrom.name()
                    label="Quiet hours from"
                    kind="time"
                    value=RwSignal::new(from)
                    error=flash.error(Field::QuietFrom)
                    hint="Mail due in your quiet hours waits until they end; the inbox has it at once. Leave both empty for none."
                />
                <TextField
                    id=field_id(FormId::Notifications, Field::QuietTo)
                    name=Field::QuietTo.name()
                    label="Quiet hours until"
                    kind="time"
                    value=RwSignal::new(to)
                    error=flash.error(Field::QuietTo)
                />
                <button type="submit" class="primary">"Save notification choices"</button>
            </form>
        </section>
    }
}
