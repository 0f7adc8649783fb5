//! Passwords: the length rule for new ones, Argon2id hashing and checking (off the async threads).

use std::sync::OnceLock;

use crate::blocking::Slots;
use crate::error::ServerError;
use domain::{PASSWORD_MAX_CHARS, Password};

/// How many Argon2 computations may run at once. Each takes about 19 MiB and a core for a
/// fraction of a second: the bound keeps memory flat under parallel sign-ins (the rest wait their
/// turn) and leaves the async threads to everyone else.
pub const ARGON2_AT_ONCE: usize = 2;

static ARGON2: Slots = Slots::new(ARGON2_AT_ONCE, "password hashing");

/// An Argon2id hash (with its own salt and parameters) of `password`. Slow on purpose.
pub async fn hash_password(password: Password) -> Result<String, ServerError> {
    ARGON2
        .run(move || password_auth::generate_hash(password.expose()))
        .await
}

/// Whether `password` matches `hash`. Without a hash (no such account) a dummy is checked, so
/// answers take as long whether or not the email exists. Overlong input is refused without hashing
/// it (hashing cost grows with length).
pub async fn password_matches(password: Password, hash: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if password.expose().chars().count() > PASSWORD_MAX_CHARS {
        return false;
    }
    ARGON2
        .run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| {
                DUMMY
                    .get_or_init(|| password_auth::generate_hash("not a real password"))
                    .clone()
            });
            // Verify first, always: an unknown email must cost the same Argon2 work as a known one.
            let verified = password_auth::verify_password(password.expose(), &hash).is_ok();
            known && verified
        })
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_have_a_sensible_length() {
        use domain::check_new_password;
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("correct horse battery").is_ok());
        assert!(check_new_password(&"x".repeat(300)).is_err());
    }

    #[tokio::test]
    async fn argon2_waits_for_a_free_slot() {
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        let taken = ARGON2
            .take_all(u32::try_from(ARGON2_AT_ONCE).expect("small"))
            .await;
        let check = password_matches("correct horse battery".into(), Some(hash.clone()));
        tokio::pin!(check);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(300), &mut check)
                .await
                .is_err(),
            "no check runs while every slot is taken"
        );
        drop(taken);
        assert!(check.await, "it runs once a slot is free");
    }

    #[tokio::test]
    async fn a_password_matches_only_its_own_hash() {
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert!(password_matches("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!password_matches("wrong horse battery".into(), Some(hash)).await);
        assert!(!password_matches("correct horse battery".into(), None).await);
    }
}
