use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use app::model::SyncStatus;
use app::server::AppState;
use app::server::aura::{AuraClient, AuraConfig};
use app::server::{bookings, db};
use clap::{Parser, Subcommand};
use leptos::config::LeptosOptions;
use server::config::{AuraTarget, Config, sandbox_config_from_env};
use server::sandbox::{self, Sandbox};
use server::{demo, web};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "server", about = "AURA scheduled-services dashboard")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard (the default).
    Serve {
        /// Seed the demo customer, sites and bookings (also DEMO=1).
        #[arg(long)]
        demo: bool,
    },
    /// Serve only the AURA sandbox API at http://ADDR/panic-api/v2.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:4010")]
        addr: SocketAddr,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Serve { demo } => serve(demo).await,
            Command::Sandbox { addr } => serve_sandbox(addr).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_sandbox(addr: SocketAddr) -> Result<(), String> {
    let config = sandbox_config_from_env().map_err(|e| e.to_string())?;
    let app = sandbox::router(Sandbox::new(config));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("AURA sandbox listening at http://{addr}/panic-api/v2 (state in memory)");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn serve(demo_flag: bool) -> Result<(), String> {
    let config = Config::from_env(demo_flag).map_err(|e| e.to_string())?;
    if config.database_url.starts_with("sqlite://") && std::env::var("DATABASE_URL").is_err() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create DATA_DIR {}: {e}", config.data_dir.display()))?;
    }
    let pool = db::connect(&config.database_url)
        .await
        .map_err(|e| format!("database {}: {e}", config.database_url))?;

    let customer = if config.demo {
        demo::ensure_customer(&pool)
            .await
            .map_err(|e| format!("demo data: {e}"))?
    } else {
        let aura_id = config.customer_aura_id.ok_or(
            "set DASHBOARD_CUSTOMER_ID to the AURA customerId the dashboard books for (or run with --demo)",
        )?;
        let name = config
            .customer_name
            .clone()
            .unwrap_or_else(|| format!("Customer {aura_id}"));
        db::upsert_customer(
            &pool,
            &name,
            aura_id,
            &config.customer_timezone,
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| format!("customer: {e}"))?
    };

    let aura = AuraClient::new(AuraConfig {
        base_url: config.aura_base_url(),
        client_id: config.client_id.clone(),
        client_secret: config.client_secret.clone(),
        timeout: config.aura_timeout,
    })
    .map_err(|e| e.to_string())?;
    let sandbox = match config.aura {
        AuraTarget::Embedded => Some(Sandbox::new(
            sandbox_config_from_env().map_err(|e| e.to_string())?,
        )),
        AuraTarget::Remote { .. } => None,
    };
    let leptos_options = LeptosOptions::builder()
        .output_name("aura-dashboard")
        .site_root(config.site_root.as_str())
        .site_addr(config.site_addr)
        .build();
    let state = AppState {
        leptos_options,
        pool,
        aura: Arc::new(aura),
        services: Arc::new(config.services.clone()),
        customer: Arc::new(customer),
    };
    if let Some(sandbox) = &sandbox {
        restore_sandbox(sandbox, &state).await;
    }
    let app = web::router(state.clone(), sandbox.clone());
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {} (set LEPTOS_SITE_ADDR): {e}",
                config.site_addr
            )
        })?;
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
    });

    if config.demo {
        match demo::seed_bookings(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(bookings = n, "seeded demo bookings"),
            Err(e) => tracing::warn!("demo bookings not seeded: {e}"),
        }
    }
    println!();
    println!("  AURA dashboard: http://{}/", config.site_addr);
    println!(
        "  Acting for customer: {} (AURA customerId {})",
        state.customer.name, state.customer.aura_customer_id
    );
    println!("  Sign-in: none yet; every visitor acts for this customer (accounts come later).");
    match &config.aura {
        AuraTarget::Embedded => println!(
            "  AURA: built-in sandbox at {} (state in memory)",
            config.aura_base_url()
        ),
        AuraTarget::Remote { base_url } => println!("  AURA: {base_url}"),
    }
    println!("  Database: {}", config.database_url);
    println!();

    server
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The embedded sandbox starts with empty memory; teach it the bookings this database says AURA
/// confirmed, so they can still be cancelled after a restart.
async fn restore_sandbox(sandbox: &Sandbox, state: &AppState) {
    let rows = match db::active_requests(&state.pool, state.customer.id).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("could not read bookings to restore the sandbox: {e}");
            return;
        }
    };
    let mut restored = 0;
    for row in rows
        .iter()
        .filter(|r| r.status().ok() == Some(SyncStatus::Confirmed))
    {
        let (Some(aura_id), Ok(service)) = (row.aura_id.as_deref(), row.service()) else {
            continue;
        };
        let Some(slug) = state.services.slug(service) else {
            continue;
        };
        let adopted = bookings::create_body_for(state.customer.aura_customer_id, row)
            .map_err(|e| e.to_string())
            .and_then(|body| sandbox.adopt(aura_id, slug, body));
        match adopted {
            Ok(()) => restored += 1,
            Err(e) => tracing::warn!(request = row.id, "not restored into the sandbox: {e}"),
        }
    }
    if restored > 0 {
        tracing::info!(
            restored,
            "restored confirmed bookings into the embedded sandbox"
        );
    }
}

async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handler available: run until killed.
        std::future::pending::<()>().await;
    }
}
