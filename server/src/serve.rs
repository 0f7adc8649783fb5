//! `server serve`: the dashboard wired up (database, AURA or the built-in sandbox, the sending
//! worker, session clean-up), served until Ctrl-C or SIGTERM; and `server sandbox`. Also the
//! process settings a server needs (open files, how freed memory goes back).

use crate::commands::open_database;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::{AuraTarget, Config, ServeArgs};
use crate::sandbox::{self, Sandbox};
use crate::{demo, web};
use backend::AppState;
use backend::api::ApiConfig;
use backend::aura::{AuraClient, AuraConfig};
use backend::db;
use backend::outbox::{Outbox, SendPolicy};
use backend::throttle::SignInLimiter;
use domain::model::SyncStatus;
use leptos::config::LeptosOptions;

/// Each password check takes a 19 MiB block. glibc's malloc raises its mmap threshold once such a
/// block is freed and then serves later ones from per-thread arenas that keep them: 50 parallel
/// sign-ins left the process holding 600 MB. A fixed threshold keeps large blocks mapped on their
/// own and unmapped when freed (BENCHMARKS.md, "Memory").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_blocks_on_free() {
    // SAFETY: mallopt only sets a malloc parameter (under malloc's own lock); no memory is touched.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
    if set != 1 {
        tracing::warn!(
            "could not fix malloc's mmap threshold; memory after sign-in bursts may stay high"
        );
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks_on_free() {}

/// Every client connection is an open file. The soft limit is often 1,024 while the hard one is far
/// higher: raise it to the hard limit, and say how many files may be open (`None`: not known).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct passed, which lives here.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

pub async fn serve_sandbox(addr: SocketAddr, config: sandbox::SandboxConfig) -> Result<(), String> {
    let app = sandbox::router(Sandbox::new(config));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("AURA sandbox listening at http://{addr}/panic-api/v2 (state in memory)");
    crate::listen::serve(
        listener,
        app,
        crate::listen::ConnectionLimits::default(),
        shutdown_signal(),
    )
    .await
    .map_err(|e| e.to_string())
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let database = args.database.clone();
    let config = Config::new(args).map_err(|e| e.to_string())?;
    let pool = open_database(&database).await?;
    if config.security.public_origin.is_some() && !config.security.trust_forwarded_for {
        tracing::warn!(
            "PUBLIC_URL is set but DASHBOARD_TRUST_PROXY is not: behind a reverse proxy every \
             user shares the proxy's address, so 20 failed sign-ins by anyone pause sign-in for all"
        );
    }
    let demo_password = config
        .demo_password
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_string());
    let demo = if config.demo {
        let (northwind, harbourside) = demo::ensure_customers(&pool)
            .await
            .map_err(|e| format!("demo data: {e}"))?;
        let accounts = demo::ensure_users(&pool, &demo_password, &northwind, &harbourside)
            .await
            .map_err(|e| format!("demo accounts: {e}"))?;
        Some((northwind, harbourside, accounts))
    } else {
        None
    };

    let aura = AuraClient::new(AuraConfig {
        base_url: config.aura_base_url(),
        client_id: config.client_id.clone(),
        client_secret: config.client_secret.clone(),
        timeout: config.aura_timeout,
    })
    .map_err(|e| e.to_string())?;
    let sandbox = match config.aura {
        AuraTarget::Embedded => Some(Sandbox::new(config.sandbox.clone())),
        AuraTarget::Remote { .. } => None,
    };
    let leptos_options = LeptosOptions::builder()
        .output_name("aura-dashboard")
        .site_root(config.site_root.as_str())
        .site_addr(config.site_addr)
        .build();
    let state = AppState {
        db: pool,
        aura: Arc::new(aura),
        services: Arc::new(config.services.clone()),
        sign_in_limiter: Arc::new(SignInLimiter::default()),
        security: Arc::new(config.security.clone()),
        outbox: Arc::new(Outbox::new(SendPolicy::new(
            config.aura_timeout,
            config.retry_base,
            config.retry_max,
        ))),
        mail: Arc::new(config.mail.clone()),
        api: Arc::new(ApiConfig::new(
            config.api_rate_per_minute,
            config.webhook_allow_private,
        )),
    };
    if let Some(sandbox) = &sandbox {
        restore_sandbox(sandbox, &state).await;
    }
    let app = web::router(state.clone(), leptos_options, sandbox.clone())?;
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {} (set LEPTOS_SITE_ADDR): {e}",
                config.site_addr
            )
        })?;
    let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
    let mut limits = config.connections;
    // Room for the database, AURA calls and the like besides client connections.
    if let Some(files) = raise_open_file_limit() {
        let room = usize::try_from(files.saturating_sub(128))
            .unwrap_or(usize::MAX)
            .max(16);
        if limits.max_connections > room {
            tracing::warn!(
                open_files = files,
                "DASHBOARD_MAX_CONNECTIONS lowered to {room}: the process may open only {files} files"
            );
            limits.max_connections = room;
        }
    }
    let server = tokio::spawn(async move {
        crate::listen::serve(listener, app, limits, shutdown_signal()).await
    });
    let postman = tokio::spawn(state.postman().run(worker_stop.clone()));
    let courier = tokio::spawn(
        state
            .courier()
            .map_err(|e| e.to_string())?
            .run(worker_stop.clone()),
    );
    let worker = tokio::spawn(supervise_worker(state.clone(), worker_stop));

    tokio::spawn(delete_expired_sessions(state.db.clone()));
    if let Some((northwind, harbourside, _)) = &demo {
        match demo::seed_bookings(&state, northwind, harbourside).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(bookings = n, "seeded demo bookings"),
            Err(e) => tracing::warn!("demo bookings not seeded: {e}"),
        }
    }
    println!();
    println!("  AURA dashboard: http://{}/", config.site_addr);
    match &demo {
        Some((_, _, accounts)) => {
            println!("  Demo accounts (demo mode only), all with password: {demo_password}");
            for a in accounts {
                println!("    {:<22} {:<16} {}", a.email, a.role.label(), a.note);
            }
        }
        None => println!("  Sign in with an account made by `server user add` (see the README)."),
    }
    match &config.aura {
        AuraTarget::Embedded => println!(
            "  AURA: built-in sandbox at {} (state in memory)",
            config.aura_base_url()
        ),
        AuraTarget::Remote { base_url } => println!("  AURA: {base_url}"),
    }
    match &config.mail.transport {
        backend::mail::Transport::Catcher => println!(
            "  Mail: built-in catcher at http://{}/mail (demo mode; set SMTP_URL to send for real)",
            config.site_addr
        ),
        backend::mail::Transport::Smtp(_) => println!("  Mail: SMTP, from {}", config.mail.from),
        backend::mail::Transport::Off => {
            println!("  Mail: off (set SMTP_URL and MAIL_FROM); notices reach inboxes only")
        }
    }
    println!(
        "  API: http://{}/api/v1 (reference at /api/v1/docs; keys on the API keys page or `server api-key add`)",
        config.site_addr
    );
    println!("  Database: {}", config.database_url);
    println!();

    // Stopping (SIGTERM, Ctrl-C): requests under way finish first, then the worker finishes the
    // call it is making and records it.
    let served = server.await;
    tracing::info!("requests finished; stopping the sending worker");
    let _ = stop_worker.send(true);
    // A call under way ends within its lease.
    if tokio::time::timeout(state.outbox.policy.lease, worker)
        .await
        .is_err()
    {
        tracing::warn!("the sending worker did not stop in time; its lease will expire");
    }
    if tokio::time::timeout(state.outbox.policy.lease, postman)
        .await
        .is_err()
    {
        tracing::warn!("the mail worker did not stop in time; its lease will expire");
    }
    if tokio::time::timeout(state.outbox.policy.lease, courier)
        .await
        .is_err()
    {
        tracing::warn!("the webhook worker did not stop in time; its lease will expire");
    }
    state.db.close().await;
    tracing::info!("stopped");
    served
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The embedded sandbox starts with empty memory; teach it the bookings this database says AURA
/// confirmed, so they can still be cancelled after a restart.
pub async fn restore_sandbox(sandbox: &Sandbox, state: &AppState) {
    let active = match db::active_bookings(&state.db, &db::CustomerScope::All).await {
        Ok(active) => active,
        Err(e) => {
            tracing::warn!("could not read bookings to restore the sandbox: {e}");
            return;
        }
    };
    let mut restored = 0;
    for booking in active
        .iter()
        .filter(|b| matches!(b.status, SyncStatus::Confirmed | SyncStatus::Cancelling))
    {
        let (Some(aura_id), Some(slug)) = (
            booking.aura_id.as_deref(),
            state.services.slug(booking.service_type),
        ) else {
            continue;
        };
        match sandbox.adopt(aura_id, slug, backend::aura::create_body_for(booking)) {
            Ok(()) => restored += 1,
            Err(e) => tracing::warn!(booking = booking.id, "not restored into the sandbox: {e}"),
        }
    }
    if restored > 0 {
        tracing::info!(
            restored,
            "restored confirmed bookings into the embedded sandbox"
        );
    }
}

/// Removes expired sessions from the database once an hour.
pub async fn delete_expired_sessions(db: db::Db) {
    use tower_sessions::ExpiredDeletion;
    let store = match crate::sessions::Store::new(&db) {
        Ok(store) => store,
        Err(e) => {
            tracing::error!("expired sessions will not be deleted: {e}");
            return;
        }
    };
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!("could not delete expired sessions: {e}");
        }
    }
}

/// Runs the sending worker, and starts it again if it ever panics: without it nothing is retried.
pub async fn supervise_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let run = tokio::spawn(state.sender().run(stop.clone()));
        match run.await {
            Ok(()) => return,
            Err(e) => {
                tracing::error!("the sending worker stopped unexpectedly ({e}); starting it again");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// Ctrl-C or SIGTERM (what service managers and container runtimes send).
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown asked; finishing requests under way");
}
