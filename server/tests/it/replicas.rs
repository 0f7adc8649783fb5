//! Several dashboard processes on one database: what matters lives in the database, not in one
//! process's memory. A second router with its own pool, limiter and worker stands in for a second
//! process here (the two-process run with a crash is `process.rs`'s job).

use std::sync::Arc;
use std::time::Duration;

use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::common::{decode, serve, start_dashboard, start_sandbox};
use app::api::accounts::{LoadAccount, SignIn};
use backend::AppState;
use backend::aura::wire::ServiceCatalog;
use backend::db;
use backend::outbox::{Outbox, SendPolicy};
use backend::throttle::SignInLimiter;
use domain::model::AccountView;
use server::sandbox::SandboxConfig;
use server::web;

#[tokio::test]
async fn a_second_process_shares_sessions_and_sign_in_limits() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let first = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let second_state = AppState {
        db: db::connect(&first.database_url())
            .await
            .expect("second pool"),
        sign_in_limiter: Arc::new(SignInLimiter::default()),
        outbox: Arc::new(Outbox::new(SendPolicy::new(
            Duration::from_secs(5),
            Duration::from_millis(200),
            Duration::from_secs(1),
        ))),
        ..first.state.clone()
    };
    let second =
        serve(web::router(second_state, crate::common::site_options(), None).expect("router"))
            .await;
    let on_second = |path: &str| format!("http://{second}{path}");

    // Signed in on the first, the session works on the second (cookies are per host, not port).
    let view: AccountView = decode(
        first
            .http
            .get(on_second(LoadAccount::PATH))
            .send()
            .await
            .expect("account"),
    )
    .await
    .expect("signed in on the second too");
    assert_eq!(view.session.email, first.people.customer_a);

    // Failed sign-ins on the first count on the second (each request from its own page's origin).
    let guess = |url: String, n: usize| {
        let email = first.people.manager_of_a.clone();
        let origin = url.split("/api/").next().unwrap_or_default().to_string();
        async move {
            reqwest::Client::new()
                .post(url)
                .header(reqwest::header::ORIGIN, origin)
                .form(&[
                    ("email", email.as_str()),
                    ("password", format!("wrong guess {n}").as_str()),
                    ("next", "/"),
                ])
                .send()
                .await
                .expect("sign in")
                .status()
        }
    };
    for n in 0..5 {
        assert_eq!(
            guess(first.url(SignIn::PATH), n).await,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        guess(on_second(SignIn::PATH), 5).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
