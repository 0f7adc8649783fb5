//! Shared test support: real sockets on ephemeral ports, the sandbox, and a whole dashboard.
#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::server::AppState;
use app::server::aura::secret::Secret;
use app::server::aura::wire::ServiceCatalog;
use app::server::aura::{AuraClient, AuraConfig};
use app::server::db;
use axum::Router;
use leptos::config::LeptosOptions;
use server::sandbox::{ControlSnapshot, Sandbox, SandboxConfig};
use server::web;

/// Serves `router` on 127.0.0.1 at a free port until the test process ends.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

pub struct RunningSandbox {
    pub sandbox: Sandbox,
    pub addr: SocketAddr,
}

impl RunningSandbox {
    pub fn base_url(&self) -> String {
        format!("http://{}/panic-api/v2", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn control(&self) -> ControlSnapshot {
        reqwest::get(self.url("/_control/requests"))
            .await
            .expect("control")
            .json()
            .await
            .expect("json")
    }

    pub async fn post_control(&self, path: &str, body: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(
            r.status().is_success(),
            "control call {path} failed: {}",
            r.status()
        );
    }
}

pub async fn start_sandbox(config: SandboxConfig) -> RunningSandbox {
    let sandbox = Sandbox::new(config);
    let addr = serve(server::sandbox::router(sandbox.clone())).await;
    RunningSandbox { sandbox, addr }
}

pub fn client_for(base_url: &str, client_id: &str, secret: &str) -> AuraClient {
    AuraClient::new(AuraConfig {
        base_url: base_url.to_string(),
        client_id: client_id.to_string(),
        client_secret: Secret::new(secret),
        timeout: Duration::from_secs(5),
    })
    .expect("client")
}

/// A whole dashboard (pages, server functions) on a throwaway database, talking to `aura_base_url`.
pub struct Dashboard {
    pub addr: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    _dir: tempdir::TempDir,
}

impl Dashboard {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

pub async fn start_dashboard(aura_base_url: &str, services: ServiceCatalog) -> Dashboard {
    let dir = tempdir::TempDir::new();
    let pool = db::connect(&format!("sqlite://{}", dir.path.join("test.db").display()))
        .await
        .expect("db");
    let customer = server::demo::ensure_customer(&pool)
        .await
        .expect("customer");
    let aura = client_for(
        aura_base_url,
        server::sandbox::DEFAULT_CLIENT_ID,
        server::sandbox::DEFAULT_CLIENT_SECRET,
    );
    let state = AppState {
        leptos_options: LeptosOptions::builder()
            .output_name("aura-dashboard")
            .build(),
        pool,
        aura: Arc::new(aura),
        services: Arc::new(services),
        customer: Arc::new(customer),
    };
    let addr = serve(web::router(state.clone(), None)).await;
    Dashboard {
        addr,
        state,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

/// A unique temporary directory, removed on drop (no extra crate needed).
pub mod tempdir {
    use std::path::PathBuf;

    pub struct TempDir {
        pub path: PathBuf,
    }

    impl TempDir {
        pub fn new() -> Self {
            let path =
                std::env::temp_dir().join(format!("aura-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).expect("temp dir");
            TempDir { path }
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The local date and time `minutes` from now in `zone`, and that date's local midnight as RFC 3339
/// UTC: what a booking opening then is made of.
pub struct LocalMoment {
    pub date: String,
    pub time: String,
    pub midnight_utc: String,
}

pub fn local_in(zone: &str, minutes: i64) -> LocalMoment {
    let tz: chrono_tz::Tz = zone.parse().expect("zone");
    let at = (chrono::Utc::now() + chrono::Duration::minutes(minutes)).with_timezone(&tz);
    let (midnight, _) = app::domain::local_date_span(&tz, at.date_naive(), at.date_naive());
    LocalMoment {
        date: at.format("%Y-%m-%d").to_string(),
        time: at.format("%H:%M").to_string(),
        midnight_utc: midnight.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}
