//! Administration: users, customers, their sites and account managers. Plain server-rendered
//! forms (no browser code); each submit comes back here with its result or its problems.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::accounts::{
    AssignManager, ChangeRole, CreateCustomer, CreateUser, ResetPassword, SetUserDisabled,
    UnassignManager, UpdateCustomer, load_admin_customer, load_admin_customers, load_admin_users,
};
use crate::api::sites::AddSite;
use crate::components::feedback::{ErrorNotice, Loading};
use crate::components::form::{FlashNotice, SelectField, TextField, ZoneList, field_id};
use domain::Field;
use domain::model::{
    AdminCustomerView, AdminCustomersView, AdminUsersView, CustomerOption, FormFlash, FormId, Role,
    UserListItem, flash_for,
};

fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .into_iter()
        .map(|r| (r.key().to_string(), r.label().to_string()))
        .collect()
}

fn customer_options(customers: &[CustomerOption]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "— none (staff) —".to_string()))
        .chain(customers.iter().map(|c| (c.id.to_string(), c.name.clone())))
        .collect()
}

/// The general result line of whichever form was submitted last; `shown_at_form` says which forms
/// show their own problem next to them instead.
pub(crate) fn page_flash(
    flash: &Option<FormFlash>,
    shown_at_form: fn(FormId) -> bool,
) -> impl IntoView + use<> {
    let general = flash.clone().map(|f| FormFlash {
        // Field problems are shown at their form; here only the outcome.
        errors: Default::default(),
        notice: f.notice.filter(|_| !shown_at_form(f.form)),
        ..f
    });
    general.map(|flash| view! { <FlashNotice flash /> })
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_admin_users());
    view! {
        <Title text="Users" />
        <h1>"Users"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Users view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Users(view: AdminUsersView) -> impl IntoView {
    let AdminUsersView {
        users,
        customers,
        flash,
    } = view;
    let new = flash_for(&flash, FormId::NewUser);
    let new_has_errors = !new.errors.is_empty();
    view! {
        {page_flash(&flash, |form| matches!(form, FormId::User(_)))}
        <table class="admin-table">
            <caption class="visually-hidden">"Everyone who can sign in"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Customer"</th>
                    <th scope="col">"Access"</th>
                    <th scope="col">"Manage"</th>
                </tr>
            </thead>
            <tbody>
                {users
                    .into_iter()
                    .map(|user| {
                        let form = flash_for(&flash, FormId::User(user.id));
                        view! { <UserRow user customers=customers.clone() flash=form /> }
                    })
                    .collect_view()}
            </tbody>
        </table>

        <section aria-labelledby="new-user-h" class="admin-form">
            <h2 id="new-user-h">"Add a user"</h2>
            <p class="hint">
                "Set a first password and give it to the person; they can sign in straight away."
            </p>
            {new_has_errors.then(|| view! { <FlashNotice flash=FormFlash { errors: new.errors.clone(), ..FormFlash::empty(FormId::NewUser) } /> })}
            <form method="post" action=CreateUser::PATH class="stack">
                <TextField id=field_id(FormId::NewUser, Field::Name) name=Field::Name.name() label="Name" value=RwSignal::new(new.value(Field::Name)) error=new.error(Field::Name) required=true />
                <TextField id=field_id(FormId::NewUser, Field::Email) name=Field::Email.name() label="Email" kind="email" value=RwSignal::new(new.value(Field::Email)) error=new.error(Field::Email) autocomplete="off" required=true />
                <SelectField id=field_id(FormId::NewUser, Field::Role) name=Field::Role.name() label="Role" options=role_options() value=RwSignal::new(new.value(Field::Role)) error=new.error(Field::Role) />
                <SelectField
                    id=field_id(FormId::NewUser, Field::Customer)
                    name=Field::Customer.name()
                    label="Customer"
                    hint="Customer users belong to exactly one customer; staff to none."
                    options=customer_options(&customers)
                    value=RwSignal::new(new.value(Field::Customer))
                    error=new.error(Field::Customer)
                />
                <TextField
                    id=field_id(FormId::NewUser, Field::Password)
                    name=Field::Password.name()
                    label="First password"
                    kind="password"
                    hint="At least 12 characters."
                    error=new.error(Field::Password)
                    autocomplete="new-password"
                    required=true
                />
                <button type="submit" class="primary">"Add user"</button>
            </form>
        </section>
    }
}

#[component]
fn UserRow(user: UserListItem, customers: Vec<CustomerOption>, flash: FormFlash) -> impl IntoView {
    let form = FormId::User(user.id);
    let open = flash.success.is_none() && (flash.notice.is_some() || !flash.errors.is_empty());
    let belongs = match user.role {
        Role::Customer => user.customer.clone().unwrap_or_default(),
        Role::AccountManager if user.looks_after.is_empty() => "Looks after no one yet".into(),
        Role::AccountManager => format!("Looks after {}", user.looks_after.join(", ")),
        Role::Admin => "All".into(),
    };
    let role_value = if flash.sent(Field::Role) {
        flash.value(Field::Role)
    } else {
        user.role.key().to_string()
    };
    let customer_value = if flash.sent(Field::Customer) {
        flash.value(Field::Customer)
    } else {
        user.customer_id.map(|c| c.to_string()).unwrap_or_default()
    };
    let id = user.id.to_string();
    view! {
        <tr class:disabled=user.disabled>
            <td>{user.name.clone()}</td>
            <td>{user.email.clone()}</td>
            <td>{user.role.label()}</td>
            <td>{belongs}</td>
            <td>{if user.disabled { "Disabled" } else { "Active" }}</td>
            <td>
                <details open=open>
                    <summary>"Manage " <span class="visually-hidden">{user.name.clone()}</span></summary>
                    {flash.notice.clone().map(|n| view! { <p class="notice notice-error" role="alert">{n}</p> })}
                    <form method="post" action=ChangeRole::PATH class="stack">
                        <input type="hidden" name="user" value=id.clone() />
                        <SelectField id=field_id(form, Field::Role) name=Field::Role.name() label="Role" options=role_options() value=RwSignal::new(role_value) error=flash.error(Field::Role) />
                        <SelectField id=field_id(form, Field::Customer) name=Field::Customer.name() label="Customer" options=customer_options(&customers) value=RwSignal::new(customer_value) error=flash.error(Field::Customer) />
                        <button type="submit">"Save role"</button>
                    </form>
                    <form method="post" action=ResetPassword::PATH class="stack">
                        <input type="hidden" name="user" value=id.clone() />
                        <TextField id=field_id(form, Field::Password) name=Field::Password.name() label="New password" kind="password" error=flash.error(Field::Password) autocomplete="new-password"  />
                        <button type="submit">"Set password"</button>
                    </form>
                    <form method="post" action=SetUserDisabled::PATH>
                        <input type="hidden" name="user" value=id />
                        <input type="hidden" name="disabled" value=(!user.disabled).to_string() />
                        <button type="submit" class=if user.disabled { "" } else { "danger" }>
                            {if user.disabled { "Enable account" } else { "Disable account" }}
                        </button>
                    </form>
                </details>
            </td>
        </tr>
    }
}

#[component]
pub fn AdminCustomersPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_admin_customers());
    view! {
        <Title text="Customers" />
        <h1>"Customers"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Customers view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Customers(view: AdminCustomersView) -> impl IntoView {
    let AdminCustomersView {
        customers,
        time_zones,
        flash,
    } = view;
    let new = flash_for(&flash, FormId::NewCustomer);
    view! {
        {page_flash(&flash, |_| false)}
        {if customers.is_empty() {
            view! { <p class="empty">"No customers yet. Add the first one below."</p> }.into_any()
        } else {
            view! {
                <table class="admin-table">
                    <thead>
                        <tr>
                            <th scope="col">"Customer"</th>
                            <th scope="col">"AURA customerId"</th>
                            <th scope="col">"Time zone"</th>
                            <th scope="col">"Sites"</th>
                            <th scope="col">"Users"</th>
                            <th scope="col">"Account managers"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {customers
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <tr>
                                        <td><a href=format!("/admin/customers/{}", c.id)>{c.name}</a></td>
                                        <td class="mono">{c.aura_customer_id}</td>
                                        <td>{c.default_timezone}</td>
                                        <td>{c.sites}</td>
                                        <td>{c.users}</td>
                                        <td>{if c.managers.is_empty() { "None".to_string() } else { c.managers.join(", ") }}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
        <section aria-labelledby="new-customer-h" class="admin-form">
            <h2 id="new-customer-h">"Add a customer"</h2>
            <ZoneList zones=time_zones />
            <form method="post" action=CreateCustomer::PATH class="stack">
                <TextField id=field_id(FormId::NewCustomer, Field::Name) name=Field::Name.name() label="Name" value=RwSignal::new(new.value(Field::Name)) error=new.error(Field::Name) required=true />
                <TextField
                    id=field_id(FormId::NewCustomer, Field::AuraCustomerId)
                    name=Field::AuraCustomerId.name()
                    label="AURA customerId"
                    hint="The number AURA knows this customer by."
                    kind="number"
                    value=RwSignal::new(new.value(Field::AuraCustomerId))
                    error=new.error(Field::AuraCustomerId)
                    required=true
                />
                <TextField
                    id=field_id(FormId::NewCustomer, Field::DefaultTimezone)
                    name=Field::DefaultTimezone.name()
                    label="Default time zone"
                    hint="IANA name, e.g. Europe/London."
                    value=RwSignal::new(new.value(Field::DefaultTimezone))
                    error=new.error(Field::DefaultTimezone)
                    list="zones"
                    required=true
                />
                <button type="submit" class="primary">"Add customer"</button>
            </form>
        </section>
    }
}

#[component]
pub fn AdminCustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_admin_customer(id).await,
            None => Err(super::not_a_number("customer")),
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <CustomerAdmin view /> }.into_any(),
                    Err(e) => view! { <Title text="Customer" /> <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CustomerAdmin(view: AdminCustomerView) -> impl IntoView {
    let AdminCustomerView {
        id,
        name,
        aura_customer_id,
        default_timezone,
        sites,
        managers,
        other_managers,
        time_zones,
        flash,
    } = view;
    let edit = flash_for(&flash, FormId::Customer);
    let site = flash_for(&flash, FormId::NewSite);
    let assign = flash_for(&flash, FormId::Assign);
    let kept_or = |f: &FormFlash, field: Field, current: String| {
        if f.sent(field) {
            f.value(field)
        } else {
            current
        }
    };
    let customer = id.to_string();
    view! {
        <Title text=name.clone() />
        <p class="eyebrow"><a href="/admin/customers">"Customers"</a></p>
        <h1>{name.clone()}</h1>
        {page_flash(&flash, |_| false)}
        <ZoneList zones=time_zones />

        <section aria-labelledby="edit-h" class="admin-form">
            <h2 id="edit-h">"Details"</h2>
            <form method="post" action=UpdateCustomer::PATH class="stack">
                <input type="hidden" name="customer" value=customer.clone() />
                <TextField id=field_id(FormId::Customer, Field::Name) name=Field::Name.name() label="Name" value=RwSignal::new(kept_or(&edit, Field::Name, name.clone())) error=edit.error(Field::Name) required=true />
                <TextField id=field_id(FormId::Customer, Field::AuraCustomerId) name=Field::AuraCustomerId.name() label="AURA customerId" kind="number" value=RwSignal::new(kept_or(&edit, Field::AuraCustomerId, aura_customer_id.to_string())) error=edit.error(Field::AuraCustomerId) required=true />
                <TextField id=field_id(FormId::Customer, Field::DefaultTimezone) name=Field::DefaultTimezone.name() label="Default time zone" value=RwSignal::new(kept_or(&edit, Field::DefaultTimezone, default_timezone)) error=edit.error(Field::DefaultTimezone) list="zones" required=true />
                <button type="submit">"Save details"</button>
            </form>
        </section>

        <section aria-labelledby="sites-h" class="admin-form">
            <h2 id="sites-h">"Sites"</h2>
            {if sites.is_empty() {
                view! { <p class="empty">"No saved sites yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain site-list">
                        {sites
                            .into_iter()
                            .map(|s| view! { <li><strong>{s.name}</strong> " · " {s.address.unwrap_or_default()} " · " {s.timezone} {s.retired.then_some(" · retired")}</li> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <h3>"Add a site"</h3>
            <form method="post" action=AddSite::PATH class="stack">
                <input type="hidden" name="customer" value=customer.clone() />
                <input type="hidden" name="back" value=format!("/admin/customers/{id}") />
                <TextField id=field_id(FormId::NewSite, Field::Name) name=Field::Name.name() label="Site name" value=RwSignal::new(site.value(Field::Name)) error=site.error(Field::Name) required=true />
                <TextField id=field_id(FormId::NewSite, Field::Address) name=Field::Address.name() label="Address" value=RwSignal::new(site.value(Field::Address)) error=site.error(Field::Address) />
                <TextField id=field_id(FormId::NewSite, Field::Latitude) name=Field::Latitude.name() label="Latitude" hint="Optional with an address, e.g. 51.5034." value=RwSignal::new(site.value(Field::Latitude)) error=site.error(Field::Latitude) />
                <TextField id=field_id(FormId::NewSite, Field::Longitude) name=Field::Longitude.name() label="Longitude" value=RwSignal::new(site.value(Field::Longitude)) error=site.error(Field::Longitude) />
                <TextField id=field_id(FormId::NewSite, Field::Timezone) name=Field::Timezone.name() label="Time zone" value=RwSignal::new(site.value(Field::Timezone)) error=site.error(Field::Timezone) list="zones" required=true />
                <button type="submit">"Add site"</button>
            </form>
        </section>

        <section aria-labelledby="managers-h" class="admin-form">
            <h2 id="managers-h">"Account managers"</h2>
            {if managers.is_empty() {
                view! { <p class="empty">"No account manager looks after this customer yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain">
                        {managers
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <li>
                                        {m.name.clone()} " (" {m.email} ") "
                                        <form method="post" action=UnassignManager::PATH class="inline">
                                            <input type="hidden" name="customer" value=customer.clone() />
                                            <input type="hidden" name="manager" value=m.id.to_string() />
                                            <button type="submit" class="link-button">
                                                "Remove " <span class="visually-hidden">{m.name}</span>
                                            </button>
                                        </form>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {if other_managers.is_empty() {
                view! { <p class="hint">"Every account manager already looks after this customer, or there are none: add one under Users."</p> }.into_any()
            } else {
                let options = std::iter::once((String::new(), "Choose…".to_string()))
                    .chain(other_managers.into_iter().map(|m| (m.id.to_string(), format!("{} ({})", m.name, m.email))))
                    .collect::<Vec<_>>();
                view! {
                    <form method="post" action=AssignManager::PATH class="stack">
                        <input type="hidden" name="customer" value=customer.clone() />
                        <SelectField id=field_id(FormId::Assign, Field::Manager) name=Field::Manager.name() label="Assign an account manager" options value=RwSignal::new(assign.value(Field::Manager)) error=assign.error(Field::Manager) />
                        <button type="submit">"Assign"</button>
                    </form>
                }
                    .into_any()
            }}
        </section>
    }
}
