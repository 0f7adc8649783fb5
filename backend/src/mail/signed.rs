//! One-click unsubscribe links (RFC 8058): they work signed out, so they carry who and what,
//! signed with a key the dashboard makes for itself and keeps in its database (every process reads
//! the same one). A link cannot be altered to unsubscribe someone else.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{self, DbError, Ex};
use domain::notify::Notice;

/// What a link unsubscribes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeScope {
    /// Mail of one kind of notice.
    Notice(Notice),
    /// The morning digest.
    Digest,
}

impl UnsubscribeScope {
    pub fn key(self) -> &'static str {
        match self {
            UnsubscribeScope::Notice(n) => n.key(),
            UnsubscribeScope::Digest => "digest",
        }
    }

    pub fn parse(key: &str) -> Option<UnsubscribeScope> {
        if key == "digest" {
            return Some(UnsubscribeScope::Digest);
        }
        key.parse().ok().map(UnsubscribeScope::Notice)
    }

    pub fn label(self) -> &'static str {
        match self {
            UnsubscribeScope::Notice(n) => n.label(),
            UnsubscribeScope::Digest => "The morning digest",
        }
    }
}

/// One person's unsubscribe from one kind of mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe {
    pub user_id: i64,
    pub scope: UnsubscribeScope,
}

/// The path unsubscribe links open (and one-click unsubscribe posts to).
pub const UNSUBSCRIBE_PATH: &str = "/unsubscribe";

type Signer = Hmac<Sha256>;

impl Unsubscribe {
    fn signature(&self, key: &[u8]) -> String {
        // HMAC takes a key of any length; were it ever refused, an empty signature never verifies.
        let Ok(mut mac) = Signer::new_from_slice(key) else {
            return String::new();
        };
        mac.update(format!("unsubscribe:{}:{}", self.user_id, self.scope.key()).as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The link's path and query.
    pub fn path(&self, key: &[u8]) -> String {
        format!(
            "{UNSUBSCRIBE_PATH}?u={}&n={}&s={}",
            self.user_id,
            self.scope.key(),
            self.signature(key)
        )
    }

    /// The unsubscribe a link names, if its signature is right.
    pub fn verify(user: &str, scope: &str, signature: &str, key: &[u8]) -> Option<Unsubscribe> {
        let wanted = Unsubscribe {
            user_id: user.parse().ok()?,
            scope: UnsubscribeScope::parse(scope)?,
        };
        let mut mac = Signer::new_from_slice(key).ok()?;
        mac.update(format!("unsubscribe:{}:{}", wanted.user_id, wanted.scope.key()).as_bytes());
        let given = unhex(signature)?;
        mac.verify_slice(&given).ok()?;
        Some(wanted)
    }
}

/// The key links are signed with, made on first use.
pub async fn signing_key(ex: impl Into<Ex<'_>>) -> Result<Vec<u8>, DbError> {
    let key = db::app_secret(ex, "unsubscribe", || {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    })
    .await?;
    Ok(key.into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_verifies_and_an_altered_one_does_not() {
        let key = b"k".repeat(40);
        let link = Unsubscribe {
            user_id: 7,
            scope: UnsubscribeScope::Notice(Notice::Refused),
        };
        let sig = link.signature(&key);
        assert_eq!(Unsubscribe::verify("7", "refused", &sig, &key), Some(link));
        assert_eq!(Unsubscribe::verify("8", "refused", &sig, &key), None);
        assert_eq!(Unsubscribe::verify("7", "digest", &sig, &key), None);
        assert_eq!(Unsubscribe::verify("7", "refused", &sig, b"other"), None);
        assert_eq!(Unsubscribe::verify("7", "refused", "zz", &key), None);
        assert_eq!(Unsubscribe::verify("7", "nonsense", &sig, &key), None);
        assert!(link.path(&key).starts_with("/unsubscribe?u=7&n=refused&s="));
    }
}
