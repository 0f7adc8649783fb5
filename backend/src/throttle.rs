//! Sign-in throttling: how many failed attempts an account or an address may make before waiting.

use std::time::Duration;

use super::db::{self, Counted, Db, DbError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Counts password attempts and says how long to wait once too many failed, so that guessing is
/// slow but nobody can use the limits to lock somebody else out:
/// - per account *and* source address (5 in 15 minutes): one place's guesses at one account. Only
///   that address waits; the right password from anywhere else goes on;
/// - per source address (20 in 15 minutes): one place guessing at many accounts;
/// - per account from anywhere (10 a minute): guesses spread over many addresses. The pause is
///   brief by design: at most a minute, and only while such guessing goes on;
/// - across everyone (300 a minute): many addresses and accounts at once;
/// - a signed-in person's password change has its own count (5 in 15 minutes, per person), so a
///   left-open session cannot be used to guess, and nobody's sign-in failures hold it up.
///
/// Each attempt is counted as a failure *before* the password is checked (and forgiven if it
/// succeeds), so a burst of parallel guesses cannot slip past a limit. The counts live in the
/// database (`sign_in_attempts`): every process serving it shares them, and a restart forgets
/// nothing. An administrator's password reset or re-enabling an account lifts every count on it
/// ([`SignInLimiter::lift`]).
pub struct SignInLimiter {
    window: Duration,
    per_pair: usize,
    per_address: usize,
    per_account: usize,
    account_window: Duration,
    everyone: usize,
    everyone_window: Duration,
    per_change: usize,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter::new(Duration::from_secs(15 * 60), 5, 20)
            .with_account(ACCOUNT_PER_MINUTE, Duration::from_secs(60))
            .with_everyone(EVERYONE_PER_MINUTE, Duration::from_secs(60))
    }
}

/// Failed sign-ins per minute at one account from all addresses together, by default: more than
/// one address reaches it only with its own 5 failures each.
pub const ACCOUNT_PER_MINUTE: usize = 10;

/// Failed (or still running) sign-ins per minute across every account and address, by default.
/// Far above what a morning of real sign-ins fails, far below what a guessing botnet would want.
pub const EVERYONE_PER_MINUTE: usize = 300;

/// Password-reset mails per address typed in the throttle's window (15 minutes by default).
pub const RESETS_PER_ACCOUNT: usize = 3;
/// Password-reset requests per source address in the window.
pub const RESETS_PER_ADDRESS: usize = 10;
/// Password-reset requests across everyone in the window.
pub const RESETS_EVERYONE: usize = 100;

/// A counted attempt, to be forgiven if its password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt(String);

/// What starting an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// Counted: go on and check the password.
    Counted(Attempt),
    /// Over a limit: wait this long.
    Wait(Duration),
}

/// A count: its key, its limit and its window.
type Limit = (String, usize, Duration);

impl SignInLimiter {
    /// `per_pair` attempts per account and address and `per_address` per address in `window`
    /// (the per-account and everyone limits off, password changes as `per_pair`).
    pub fn new(window: Duration, per_pair: usize, per_address: usize) -> Self {
        SignInLimiter {
            window,
            per_pair,
            per_address,
            per_account: usize::MAX,
            account_window: window,
            everyone: usize::MAX,
            everyone_window: window,
            per_change: per_pair,
        }
    }

    /// Also limits attempts at one account from all addresses to `limit` per `window`.
    pub fn with_account(self, limit: usize, window: Duration) -> Self {
        SignInLimiter {
            per_account: limit,
            account_window: window,
            ..self
        }
    }

    /// Also limits attempts across everyone to `limit` per `window`.
    pub fn with_everyone(self, limit: usize, window: Duration) -> Self {
        SignInLimiter {
            everyone: limit,
            everyone_window: window,
            ..self
        }
    }

    /// A digest of the address as typed (trimmed, any case), so whatever was typed is stored as
    /// plain hex (PostgreSQL text takes no NUL) at a bounded length.
    fn account_digest(email: &str) -> String {
        format!(
            "{:x}",
            Sha256::digest(email.trim().to_lowercase().as_bytes())
        )
    }

    fn account_key(email: &str) -> String {
        format!("account:{}", Self::account_digest(email))
    }

    fn pair_key(email: &str, address: &str) -> String {
        format!("pair:{}:{address}", Self::account_digest(email))
    }

    fn address_key(address: &str) -> String {
        format!("address:{address}")
    }

    fn change_key(user_id: i64) -> String {
        format!("change:{user_id}")
    }

    const EVERYONE_KEY: &str = "everyone";

    /// Starts a sign-in attempt: `Wait` if this account from this address, this address, this
    /// account from everywhere or everyone is over its limit, otherwise the attempt is counted (as
    /// failed until `succeeded` says otherwise).
    pub async fn begin(
        &self,
        db: &Db,
        email: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Begun, DbError> {
        let limits = [
            (Self::pair_key(email, address), self.per_pair, self.window),
            (Self::address_key(address), self.per_address, self.window),
            (
                Self::account_key(email),
                self.per_account,
                self.account_window,
            ),
            (
                Self::EVERYONE_KEY.to_string(),
                self.everyone,
                self.everyone_window,
            ),
        ];
        self.count(db, &limits, now).await
    }

    /// Starts a signed-in person's check of their current password (to change it): its own count,
    /// untouched by anybody's sign-ins.
    pub async fn begin_change(
        &self,
        db: &Db,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Begun, DbError> {
        let limits = [(Self::change_key(user_id), self.per_change, self.window)];
        self.count(db, &limits, now).await
    }

    /// Starts a password-reset request for `email` from `address`: at most
    /// [`RESETS_PER_ACCOUNT`] per address typed, [`RESETS_PER_ADDRESS`] per source address and
    /// [`RESETS_EVERYONE`] across everyone in the window, so the form can neither flood one
    /// person's mailbox nor send mail in bulk. Counted whether or not the address has an account.
    pub async fn begin_reset(
        &self,
        db: &Db,
        email: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Begun, DbError> {
        let limits = [
            (
                format!("reset:{}", Self::account_digest(email)),
                RESETS_PER_ACCOUNT,
                self.window,
            ),
            (
                format!("reset-from:{address}"),
                RESETS_PER_ADDRESS,
                self.window,
            ),
            ("reset-everyone".to_string(), RESETS_EVERYONE, self.window),
        ];
        self.count(db, &limits, now).await
    }

    /// Counting and writing are one transaction that starts by writing the one `sign_in_gate` row
    /// (SQLite's write lock; a row lock on PostgreSQL): attempts made at the same moment, here or
    /// in another process on the same database, are counted one after another, so together they
    /// never pass a limit.
    async fn count(&self, db: &Db, limits: &[Limit], now: DateTime<Utc>) -> Result<Begun, DbError> {
        let now_ms = now.timestamp_millis();
        let longest = self
            .window
            .max(self.account_window)
            .max(self.everyone_window);
        let counted = db::count_attempts(db, limits, now_ms - millis(longest), now_ms, || {
            uuid::Uuid::new_v4().simple().to_string()
        })
        .await?;
        Ok(match counted {
            Counted::Recorded(attempt) => Begun::Counted(Attempt(attempt)),
            Counted::Full { oldest } => {
                // Allowed again once the oldest attempt that keeps a limit full leaves its window.
                let wait = oldest
                    .iter()
                    .map(|(at_ms, window)| {
                        let left = millis(*window).saturating_sub(now_ms.saturating_sub(*at_ms));
                        Duration::from_millis(u64::try_from(left).unwrap_or(0))
                    })
                    .max()
                    .unwrap_or_default();
                Begun::Wait(wait)
            }
        })
    }

    /// The sign-in succeeded: the account starts afresh from this address and from everywhere,
    /// and the address and everyone forget this attempt.
    pub async fn succeeded(
        &self,
        db: &Db,
        email: &str,
        address: &str,
        attempt: &Attempt,
    ) -> Result<(), DbError> {
        let keys = [Self::account_key(email), Self::pair_key(email, address)];
        db::forget_attempts(db, &keys, Some(&attempt.0)).await
    }

    /// The password check of a change succeeded: the person's count starts afresh.
    pub async fn change_succeeded(&self, db: &Db, user_id: i64) -> Result<(), DbError> {
        db::forget_attempts(db, &[Self::change_key(user_id)], None).await
    }

    /// An administrator reset the password or enabled the account: every count on it is lifted,
    /// from every address (the address counts, shared with other accounts, stay).
    pub async fn lift(db: &Db, email: &str, user_id: i64) -> Result<(), DbError> {
        let keys = [Self::account_key(email), Self::change_key(user_id)];
        let pairs = format!("pair:{}:", Self::account_digest(email));
        db::lift_attempts(db, &keys, &pairs).await
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::fresh;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).expect("time")
    }

    fn counted(b: Begun) -> Attempt {
        match b {
            Begun::Counted(a) => a,
            Begun::Wait(w) => panic!("waits {w:?}"),
        }
    }

    #[tokio::test]
    async fn failures_wait_per_account_and_address_never_for_another_address() {
        let pool = fresh().await;
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 5);
        for i in 0..3 {
            counted(
                limiter
                    .begin(&pool, "Ann@x.test", "1.1.1.1", at(i))
                    .await
                    .expect("db"),
            );
        }
        // Counted up front: the fourth attempt from that address waits, whatever its password ...
        assert_eq!(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(10))
                .await
                .expect("db"),
            Begun::Wait(Duration::from_secs(590))
        );
        // ... but not from another address: somebody else's failures lock nobody out.
        counted(
            limiter
                .begin(&pool, "ann@x.test", "2.2.2.2", at(10))
                .await
                .expect("db"),
        );
        // Another account from the first address goes on ...
        counted(
            limiter
                .begin(&pool, "bob@x.test", "1.1.1.1", at(10))
                .await
                .expect("db"),
        );
        counted(
            limiter
                .begin(&pool, "cy@x.test", "1.1.1.1", at(10))
                .await
                .expect("db"),
        );
        // ... until the address reaches its own limit (refused attempts are not counted).
        assert!(matches!(
            limiter
                .begin(&pool, "dee@x.test", "1.1.1.1", at(10))
                .await
                .expect("db"),
            Begun::Wait(_)
        ));
        // The window slides.
        counted(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(603))
                .await
                .expect("db"),
        );
    }

    #[tokio::test]
    async fn guesses_from_many_addresses_slow_an_account_only_briefly() {
        let pool = fresh().await;
        let limiter = SignInLimiter::new(Duration::from_secs(900), 5, 20)
            .with_account(4, Duration::from_secs(60));
        for i in 0..4i64 {
            counted(
                limiter
                    .begin(&pool, "ann@x.test", &format!("10.0.0.{i}"), at(i))
                    .await
                    .expect("db"),
            );
        }
        // A fifth address waits until the first of those leaves the minute: under a minute.
        assert_eq!(
            limiter
                .begin(&pool, "ann@x.test", "10.0.0.9", at(10))
                .await
                .expect("db"),
            Begun::Wait(Duration::from_secs(50))
        );
        counted(
            limiter
                .begin(&pool, "ann@x.test", "10.0.0.9", at(60))
                .await
                .expect("db"),
        );
    }

    #[tokio::test]
    async fn a_success_forgives_the_account_and_its_own_attempt() {
        let pool = fresh().await;
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 3);
        counted(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(0))
                .await
                .expect("db"),
        );
        counted(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(1))
                .await
                .expect("db"),
        );
        let third = counted(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(2))
                .await
                .expect("db"),
        );
        limiter
            .succeeded(&pool, "ann@x.test", "1.1.1.1", &third)
            .await
            .expect("db");
        // Two failures remain on the address, none on the account.
        counted(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(3))
                .await
                .expect("db"),
        );
        assert_eq!(
            limiter
                .begin(&pool, "bob@x.test", "1.1.1.1", at(4))
                .await
                .expect("db"),
            Begun::Wait(Duration::from_secs(596))
        );
    }

    #[tokio::test]
    async fn an_administrator_lifts_every_count_on_an_account_and_changes_count_apart() {
        let pool = fresh().await;
        let limiter = SignInLimiter::default();
        for i in 0..5 {
            counted(
                limiter
                    .begin(&pool, "ann@x.test", "1.1.1.1", at(i))
                    .await
                    .expect("db"),
            );
        }
        assert!(matches!(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(10))
                .await
                .expect("db"),
            Begun::Wait(_)
        ));
        // Ann's own password change, signed in, is not held up by those ...
        for i in 0..5 {
            counted(
                limiter
                    .begin_change(&pool, 7, at(10 + i))
                    .await
                    .expect("db"),
            );
        }
        // ... and has its own limit.
        assert!(matches!(
            limiter.begin_change(&pool, 7, at(20)).await.expect("db"),
            Begun::Wait(_)
        ));
        SignInLimiter::lift(&pool, " ANN@x.test", 7)
            .await
            .expect("db");
        counted(
            limiter
                .begin(&pool, "ann@x.test", "1.1.1.1", at(21))
                .await
                .expect("db"),
        );
        counted(limiter.begin_change(&pool, 7, at(21)).await.expect("db"));
    }

    #[tokio::test]
    async fn many_addresses_share_one_limit_across_everyone() {
        let pool = fresh().await;
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 3)
            .with_everyone(4, Duration::from_secs(60));
        let mut last = None;
        for i in 0..4i64 {
            let (who, from) = (format!("u{i}@x.test"), format!("10.0.0.{i}"));
            last = Some(counted(
                limiter.begin(&pool, &who, &from, at(i)).await.expect("db"),
            ));
        }
        // A fifth account from a fifth address, each within its own limit, waits for the first
        // attempt to leave the minute.
        assert_eq!(
            limiter
                .begin(&pool, "u9@x.test", "10.0.0.9", at(10))
                .await
                .expect("db"),
            Begun::Wait(Duration::from_secs(50))
        );
        // A success gives its place back.
        limiter
            .succeeded(&pool, "u3@x.test", "10.0.0.3", &last.expect("fourth"))
            .await
            .expect("db");
        counted(
            limiter
                .begin(&pool, "u9@x.test", "10.0.0.9", at(11))
                .await
                .expect("db"),
        );
        assert!(matches!(
            limiter
                .begin(&pool, "u8@x.test", "10.0.0.8", at(12))
                .await
                .expect("db"),
            Begun::Wait(_)
        ));
        counted(
            limiter
                .begin(&pool, "u8@x.test", "10.0.0.8", at(61))
                .await
                .expect("db"),
        );
    }

    #[tokio::test]
    async fn parallel_attempts_never_pass_a_limit_together() {
        let pool = crate::db::test_support::fresh_shared().await;
        let limiter = std::sync::Arc::new(
            SignInLimiter::new(Duration::from_secs(600), 5, 100)
                .with_account(5, Duration::from_secs(600)),
        );
        let tries = (0..20).map(|i| {
            let (pool, limiter) = (pool.clone(), limiter.clone());
            tokio::spawn(async move {
                limiter
                    .begin(&pool, "ann@x.test", &format!("10.0.0.{i}"), at(0))
                    .await
                    .expect("db")
            })
        });
        let mut passed = 0;
        for t in tries {
            if matches!(t.await.expect("task"), Begun::Counted(_)) {
                passed += 1;
            }
        }
        assert_eq!(passed, 5, "exactly the limit passes");
    }
}
