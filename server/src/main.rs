use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use backend::AppState;
use backend::aura::{AuraClient, AuraConfig};
use backend::db::CustomerFacts;
use backend::outbox::{Outbox, SendPolicy};
use backend::throttle::SignInLimiter;
use backend::zone::Zone;
use backend::{auth, db};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use domain::check_new_password;
use domain::model::{Role, SyncStatus};
use leptos::config::LeptosOptions;
use server::config::{
    AuraTarget, Config, CredentialArgs, DatabaseArgs, SandboxArgs, ServeArgs, sandbox_config,
    without_empty_env,
};
use server::sandbox::{self, Sandbox};
use server::{demo, web};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "server",
    about = "AURA scheduled-services dashboard",
    after_help = "Every option can also be set by the environment variable named in its help."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard (the default).
    Serve(Box<ServeArgs>),
    /// Serve only the AURA sandbox API at http://ADDR/panic-api/v2.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:4010")]
        addr: SocketAddr,
        #[command(flatten)]
        credentials: CredentialArgs,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Manage sign-in accounts (the first administrator is made here).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage customers (administrators can also do this in the dashboard).
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Write a consistent copy of the database to PATH while the dashboard runs (see the README
    /// for restoring it).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Copy this SQLite deployment into an empty PostgreSQL database (migrated first), then serve
    /// with DATABASE_URL set to it. Stop the dashboard first; everyone signs in again afterwards.
    MigrateTo {
        /// The PostgreSQL database: postgres://user:password@host:port/database
        postgres_url: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is asked for (or read from the first line of stdin).
    Add {
        #[arg(long)]
        email: String,
        /// The person's name as the dashboard shows it (defaults to the email).
        #[arg(long)]
        name: Option<String>,
        /// admin, account_manager or customer.
        #[arg(long)]
        role: String,
        /// For customer users: the AURA customerId of their customer (which must exist).
        #[arg(long)]
        customer: Option<i64>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Create a customer, or update the one with this AURA customerId.
    Add {
        #[arg(long)]
        name: String,
        /// The customer's AURA customerId.
        #[arg(long)]
        aura_id: i64,
        /// IANA zone used for "today" and new locations.
        #[arg(long, default_value = "Europe/London")]
        timezone: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Each password check takes a 19 MiB block. glibc's malloc raises its mmap threshold once such a
/// block is freed and then serves later ones from per-thread arenas that keep them: 50 parallel
/// sign-ins left the process holding 600 MB. A fixed threshold keeps large blocks mapped on their
/// own and unmapped when freed (BENCHMARKS.md, "Memory").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_on_free() {
    // SAFETY: mallopt only sets a malloc parameter (under malloc's own lock); no memory is touched.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
    if set != 1 {
        tracing::warn!(
            "could not fix malloc's mmap threshold; memory after sign-in bursts may stay high"
        );
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_on_free() {}

/// Every client connection is an open file. The soft limit is often 1,024 while the hard one is far
/// higher: raise it to the hard limit, and say how many files may be open (`None`: not known).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn raise_open_file_limit() -> Option<u64> {
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
fn raise_open_file_limit() -> Option<u64> {
    None
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    return_large_blocks_on_free();
    let parse =
        |matches: clap::ArgMatches| Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let cli = || without_empty_env(Cli::command());
    // No subcommand: `serve`, with its options from the environment.
    let command = match parse(cli().get_matches()).command {
        Some(command) => command,
        None => match parse(cli().get_matches_from(["server", "serve"])).command {
            Some(command) => command,
            None => return ExitCode::FAILURE,
        },
    };
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
        match command {
            Command::Serve(args) => serve(*args).await,
            Command::Sandbox {
                addr,
                credentials,
                sandbox,
            } => serve_sandbox(addr, sandbox_config(&credentials, &sandbox)).await,
            Command::User {
                command:
                    UserCommand::Add {
                        email,
                        name,
                        role,
                        customer,
                        database,
                    },
            } => add_user(&database, &email, name.as_deref(), &role, customer).await,
            Command::Customer {
                command:
                    CustomerCommand::Add {
                        name,
                        aura_id,
                        timezone,
                        database,
                    },
            } => add_customer(&database, &name, aura_id, &timezone).await,
            Command::Backup { path, database } => backup(&database, &path).await,
            Command::MigrateTo {
                postgres_url,
                database,
            } => migrate_to(&database, &postgres_url).await,
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

async fn serve_sandbox(addr: SocketAddr, config: sandbox::SandboxConfig) -> Result<(), String> {
    let app = sandbox::router(Sandbox::new(config));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("AURA sandbox listening at http://{addr}/panic-api/v2 (state in memory)");
    server::listen::serve(
        listener,
        app,
        server::listen::ConnectionLimits::default(),
        shutdown_signal(),
    )
    .await
    .map_err(|e| e.to_string())
}

/// The database named by the configuration, created and migrated.
async fn open_database(database: &DatabaseArgs) -> Result<db::Db, String> {
    if database.database_url.is_none() {
        std::fs::create_dir_all(&database.data_dir).map_err(|e| {
            format!(
                "cannot create DATA_DIR {}: {e}",
                database.data_dir.display()
            )
        })?;
    }
    let url = database.url();
    db::connect(&url)
        .await
        .map_err(|e| format!("database {url}: {e}"))
}

/// Reads a new password: asked twice on a terminal, else the first line of stdin.
fn read_new_password() -> Result<String, String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .map_err(|e| e.to_string())?;
        let again =
            rpassword::prompt_password("Same password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ; nothing was changed".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    match check_new_password(&password) {
        Err(problem) => Err(format!("password refused: {}", problem.message())),
        Ok(()) => Ok(password),
    }
}

async fn add_user(
    database: &DatabaseArgs,
    email: &str,
    name: Option<&str>,
    role: &str,
    customer: Option<i64>,
) -> Result<(), String> {
    let role: Role = role
        .parse()
        .map_err(|_| format!("--role {role:?}: use admin, account_manager or customer"))?;
    let pool = open_database(database).await?;
    let customer_row = match (role, customer) {
        (Role::Customer, Some(aura_id)) => Some(
            db::customer_by_aura_id(&pool, aura_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!("no customer has AURA customerId {aura_id}; add it first with `server customer add`")
                })?,
        ),
        (Role::Customer, None) => {
            return Err("a customer user needs --customer <AURA customerId>".into());
        }
        (_, Some(_)) => return Err("--customer is only for --role customer".into()),
        (_, None) => None,
    };
    let email = domain::check_email(email)
        .map_err(|_| format!("--email {email:?} is not an email address like name@example.com"))?;
    let email = email.as_str();
    let password = read_new_password()?;
    let hash = auth::hash_password(password)
        .await
        .map_err(|e| e.to_string())?;
    let new = db::NewUser {
        email,
        name: name.unwrap_or(email),
        password_hash: &hash,
        role,
        customer_id: customer_row.as_ref().map(|c| c.id),
    };
    db::insert_user(&pool, &new, chrono::Utc::now())
        .await
        .map_err(|e| format!("{email}: {e}"))?;
    println!(
        "Created {} {email}{}. They can sign in now.",
        role.label().to_lowercase(),
        customer_row
            .map(|c| format!(" for {}", c.name))
            .unwrap_or_default()
    );
    Ok(())
}

async fn add_customer(
    database: &DatabaseArgs,
    name: &str,
    aura_id: i64,
    timezone: &str,
) -> Result<(), String> {
    let default_timezone: Zone = timezone
        .parse()
        .map_err(|_| format!("--timezone {timezone:?} is not an IANA zone"))?;
    let pool = open_database(database).await?;
    let facts = CustomerFacts {
        name: name.trim().to_string(),
        aura_customer_id: aura_id,
        default_timezone,
    };
    let customer = db::upsert_customer(&pool, &facts, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Customer {} (AURA customerId {aura_id}) is saved. Add sites and account managers in the dashboard under Customers.",
        customer.name
    );
    Ok(())
}

/// Copies the SQLite database into PostgreSQL: both migrated first, then every row in one
/// transaction on the PostgreSQL side.
async fn migrate_to(database: &DatabaseArgs, postgres_url: &str) -> Result<(), String> {
    let from_url = database.url();
    if db::is_postgres(&from_url) || !db::is_postgres(postgres_url) {
        return Err(
            "server migrate-to copies the SQLite database (DATA_DIR or DATABASE_URL) into a postgres:// database"
                .into(),
        );
    }
    let (db::Db::Sqlite(from), db::Db::Postgres(to)) = (
        db::connect(&from_url)
            .await
            .map_err(|e| format!("database {from_url}: {e}"))?,
        db::connect(postgres_url)
            .await
            .map_err(|e| format!("PostgreSQL: {e}"))?,
    ) else {
        return Err("the two databases did not open as SQLite and PostgreSQL".into());
    };
    let copied = db::copy_sqlite_to_postgres(&from, &to)
        .await
        .map_err(|e| format!("nothing was copied: {e}"))?;
    for (table, rows) in copied {
        println!("{table}: {rows} rows");
    }
    println!(
        "Copied {from_url} into PostgreSQL. Start the dashboard with DATABASE_URL set to it; everyone signs in again."
    );
    Ok(())
}

/// `VACUUM INTO`: a consistent, compacted copy taken inside one read transaction, so writers carry
/// on meanwhile.
async fn backup(database: &DatabaseArgs, path: &std::path::Path) -> Result<(), String> {
    if path.exists() {
        return Err(format!(
            "{} exists already; choose a new file name",
            path.display()
        ));
    }
    let target = path
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
    let url = database.url();
    if db::is_postgres(&url) {
        return Err(
            "server backup copies a SQLite database; back up PostgreSQL with pg_dump (see the README)"
                .into(),
        );
    }
    let pool = db::open_existing(&url)
        .await
        .map_err(|e| format!("database {url}: {e}"))?;
    let bookings = db::back_up(&pool, target)
        .await
        .map_err(|e| format!("backup to {}: {e}", path.display()))?;
    println!(
        "Backed up {} to {} ({bookings} bookings).",
        database.url(),
        path.display()
    );
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), String> {
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
        server::listen::serve(listener, app, limits, shutdown_signal()).await
    });
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
    state.db.close().await;
    tracing::info!("stopped");
    served
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The embedded sandbox starts with empty memory; teach it the bookings this database says AURA
/// confirmed, so they can still be cancelled after a restart.
async fn restore_sandbox(sandbox: &Sandbox, state: &AppState) {
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
async fn delete_expired_sessions(db: db::Db) {
    use tower_sessions::ExpiredDeletion;
    let store = match server::sessions::Store::new(&db) {
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
async fn supervise_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
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
async fn shutdown_signal() {
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
