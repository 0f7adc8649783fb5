//! Mail as administrators and demo users see it: the delivery log (every mail, with what the SMTP
//! server said) and the built-in catcher (demo mode without SMTP_URL: what would have gone out).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::notices::{load_delivery_log, load_mail_catcher};
use crate::components::feedback::{ErrorNotice, Loading};
use domain::model::{DeliveryLogView, MailCatcherView, OptionalId};

#[component]
pub fn DeliveryLogPage() -> impl IntoView {
    let query = use_query_map();
    let before = query
        .read_untracked()
        .get("before")
        .and_then(|b| b.parse::<i64>().ok());
    let data = Resource::new(move || before, |b| load_delivery_log(OptionalId(b)));
    view! {
        <Title text="Mail delivery log" />
        <h1>"Mail delivery log"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Log view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Log(view: DeliveryLogView) -> impl IntoView {
    view! {
        <p class="showing-for">"Mail goes to " {view.transport.clone()} ". Times in UTC."</p>
        {if view.rows.is_empty() {
            view! { <p class="empty">"No mail yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="ledger">
                        <caption class="visually-hidden">"Every mail, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Written"</th>
                                <th scope="col">"To"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Server's answer"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {view
                                .rows
                                .into_iter()
                                .map(|r| {
                                    let class = if r.failed { "failed" } else { "" };
                                    view! {
                                        <tr class=class>
                                            <td>{r.written}</td>
                                            <td>{r.to}</td>
                                            <td>
                                                {r.kind}
                                                {r.subject.map(|s| view! { <br /> <span class="hint">{s}</span> })}
                                            </td>
                                            <td>
                                                {r.state}
                                                {r.sent.map(|s| view! { <br /> <span class="hint">{format!("sent {s}")}</span> })}
                                                {r.next_attempt.map(|s| view! { <br /> <span class="hint">{format!("next try {s}")}</span> })}
                                            </td>
                                            <td class="pre-line">{r.answer.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        {view.older.map(|o| view! { <p><a href=format!("/admin/mail?before={o}")>"Older mail"</a></p> })}
    }
}

#[component]
pub fn MailCatcherPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_mail_catcher());
    view! {
        <Title text="Caught mail" />
        <h1>"Caught mail"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Caught view /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Caught(view: MailCatcherView) -> impl IntoView {
    view! {
        <p class="hint">
            "Demo mode without SMTP_URL: the dashboard's mail stops here instead of going out. Set SMTP_URL and MAIL_FROM to send it for real. Newest first; times in UTC."
        </p>
        {if view.mail.is_empty() {
            view! { <p class="empty">"Nothing caught yet."</p> }.into_any()
        } else {
            view! {
                <ol class="caught-list">
                    {view
                        .mail
                        .into_iter()
                        .map(|m| {
                            let heading = format!("caught-{}", m.id);
                            let labelled_by = heading.clone();
                            view! {
                                <li class="caught" aria-labelledby=labelled_by>
                                    <h2 id=heading>{m.subject}</h2>
                                    <p class="inbox-meta">"To " {m.to} " · " {m.at} " · "
                                        <a href=format!("/mail/{}/html", m.id)>"As HTML"</a>
                                    </p>
                                    <details>
                                        <summary>"Headers"</summary>
                                        <pre class="mail-text">{m.headers}</pre>
                                    </details>
                                    <pre class="mail-text">{m.text}</pre>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            }
                .into_any()
        }}
    }
}
