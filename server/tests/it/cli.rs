//! The account commands of the `server` binary, run as a deployer would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::tempdir::TempDir;
use backend::auth;
use backend::db;
use domain::model::Role;

fn server(dir: &TempDir, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATA_DIR", &dir.path)
        .env_remove("DATABASE_URL")
        .env_remove("AURA_BASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run server");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

#[tokio::test]
async fn a_deployment_gets_its_first_accounts_from_the_command_line() {
    let dir = TempDir::new();
    let out = server(
        &dir,
        &[
            "customer",
            "add",
            "--name",
            "Acme Storage",
            "--aura-id",
            "5150",
            "--timezone",
            "Europe/Dublin",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server(
        &dir,
        &[
            "user",
            "add",
            "--email",
            "root@acme.example",
            "--name",
            "Root",
            "--role",
            "admin",
        ],
        "a long admin password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server(
        &dir,
        &[
            "user",
            "add",
            "--email",
            "desk@acme.example",
            "--role",
            "customer",
            "--customer",
            "5150",
        ],
        "another long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("for Acme Storage"));

    // Refused: a customer user without a customer, an unknown customer, a short password, a
    // repeated email, an unknown role, a malformed email. None of them creates anything.
    for (args, stdin) in [
        (
            vec![
                "user",
                "add",
                "--email",
                "x@acme.example",
                "--role",
                "customer",
            ],
            "long enough password\n",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@acme.example",
                "--role",
                "customer",
                "--customer",
                "1",
            ],
            "long enough password\n",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@acme.example",
                "--role",
                "admin",
            ],
            "short\n",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "ROOT@acme.example",
                "--role",
                "admin",
            ],
            "long enough password\n",
        ),
        (
            vec!["user", "add", "--email", "x@acme.example", "--role", "boss"],
            "long enough password\n",
        ),
        // The same email rule as the administrators' form.
        (
            vec!["user", "add", "--email", "x@acme", "--role", "admin"],
            "long enough password\n",
        ),
    ] {
        let out = server(&dir, &args, stdin);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }

    let pool = db::connect(&format!(
        "sqlite://{}",
        dir.path.join("dashboard.db").display()
    ))
    .await
    .expect("db");
    let users = db::all_users(&pool).await.expect("users");
    assert_eq!(users.len(), 2, "only the two good commands made accounts");
    let desk = users
        .iter()
        .find(|u| u.email == "desk@acme.example")
        .expect("desk");
    assert_eq!(desk.role, Role::Customer);
    assert_eq!(desk.customer_name.as_deref(), Some("Acme Storage"));
    let root = users
        .iter()
        .find(|u| u.email == "root@acme.example")
        .expect("root");
    assert_eq!(root.role, Role::Admin);
    assert!(!root.password_hash.contains("a long admin password"));
    assert!(
        auth::password_matches(
            "a long admin password".into(),
            Some(root.password_hash.clone())
        )
        .await
    );
    // Outside demo mode no demo account exists.
    assert!(
        db::user_by_email(&pool, server::demo::DEMO_ADMIN)
            .await
            .expect("read")
            .is_none()
    );
}
