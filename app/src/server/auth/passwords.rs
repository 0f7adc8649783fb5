//! Passwords: the length rule for new ones, Argon2id hashing and checking (off the async threads).

use std::sync::OnceLock;

use crate::domain::PASSWORD_MAX_CHARS;
use crate::server::error::ServerError;

/// An Argon2id hash (with its own salt and parameters) of `password`. Slow on purpose: run it off
/// the async threads.
pub async fn hash_password(password: String) -> Result<String, ServerError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| ServerError::internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches `hash`. Without a hash (no such account) a dummy is checked, so
/// answers take as long whether or not the email exists. Overlong input is refused without hashing
/// it (hashing cost grows with length).
pub async fn password_matches(password: String, hash: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| password_auth::generate_hash("not a real password"))
                .clone()
        });
        // Verify first, always: an unknown email must cost the same Argon2 work as a known one.
        let verified = password_auth::verify_password(password, &hash).is_ok();
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
        use crate::domain::check_new_password;
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("correct horse battery").is_ok());
        assert!(check_new_password(&"x".repeat(300)).is_err());
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
