use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use server::commands::{
    add_api_key, add_customer, add_user, backup, list_api_keys, migrate_to, revoke_api_key,
};
use server::config::{
    CredentialArgs, DatabaseArgs, SandboxArgs, ServeArgs, sandbox_config, without_empty_env,
};
use server::serve::{return_large_blocks_on_free, serve, serve_sandbox};
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
    /// Manage API keys (people can also do this on the API keys page).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
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

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Make a key for a customer. It is printed once, alone on the last line; only its hash is
    /// kept.
    Add {
        /// The AURA customerId of the customer the key acts for (which must exist).
        #[arg(long)]
        customer: i64,
        /// What uses the key (shown on the API keys page).
        #[arg(long)]
        name: String,
        /// What it may do: read, book, cancel, webhooks (comma-separated).
        #[arg(long, default_value = "read,book,cancel,webhooks")]
        scope: String,
        /// When it stops working (RFC 3339, e.g. 2027-01-31T23:59:59Z); default: never.
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List every key (never the keys themselves).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a key by its number (from `list`): refused at once, on every process.
    Revoke {
        id: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
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
            Command::ApiKey { command } => match command {
                ApiKeyCommand::Add {
                    customer,
                    name,
                    scope,
                    expires,
                    database,
                } => {
                    add_api_key(
                        &database,
                        customer,
                        &name,
                        &scope,
                        expires.as_deref().unwrap_or(""),
                    )
                    .await
                }
                ApiKeyCommand::List { database } => list_api_keys(&database).await,
                ApiKeyCommand::Revoke { id, database } => revoke_api_key(&database, id).await,
            },
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
