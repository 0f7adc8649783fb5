//! Sign-in throttling: how many failed attempts an account or an address may make before waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts sign-in attempts per account and per address over a sliding window, and across everyone
/// over a shorter one (so many addresses, each within its limit, cannot guess without end), and
/// says how long to wait once too many failed. Each attempt is counted as a failure *before* the password is checked
/// (and forgiven if it succeeds), so a burst of parallel guesses cannot slip past the limit. In
/// memory: a restart forgets, which only ever helps a real user.
pub struct SignInLimiter {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
    window: Duration,
    per_account: usize,
    per_address: usize,
    everyone: usize,
    everyone_window: Duration,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter::new(Duration::from_secs(15 * 60), 5, 20)
            .with_everyone(EVERYONE_PER_MINUTE, Duration::from_secs(60))
    }
}

/// Failed (or still running) sign-ins per minute across every account and address, by default.
/// Far above what a morning of real sign-ins fails, far below what a guessing botnet would want.
pub const EVERYONE_PER_MINUTE: usize = 300;

/// Beyond this many tracked keys, expired ones are swept on the next attempt.
const LIMITER_SWEEP_AT: usize = 10_000;

impl SignInLimiter {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        SignInLimiter {
            attempts: Mutex::new(HashMap::new()),
            window,
            per_account,
            per_address,
            everyone: usize::MAX,
            everyone_window: window,
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

    fn account_key(email: &str) -> String {
        format!("account:{}", email.trim().to_lowercase())
    }

    fn address_key(address: &str) -> String {
        format!("address:{address}")
    }

    const EVERYONE_KEY: &str = "everyone";

    /// Starts an attempt: `Err(wait)` if this account or address is over its limit, otherwise the
    /// attempt is counted (as failed until `succeeded` says otherwise).
    pub fn begin(&self, email: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let longest = self.window.max(self.everyone_window);
        if attempts.len() > LIMITER_SWEEP_AT {
            attempts.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < longest)
            });
        }
        let keys = [
            (Self::account_key(email), self.per_account, self.window),
            (Self::address_key(address), self.per_address, self.window),
            (
                Self::EVERYONE_KEY.to_string(),
                self.everyone,
                self.everyone_window,
            ),
        ];
        let mut wait = None;
        for (key, limit, window) in &keys {
            let Some(times) = attempts.get_mut(key) else {
                continue;
            };
            while times
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= *window)
            {
                times.pop_front();
            }
            if times.len() >= *limit {
                // Allowed again once the oldest attempt that keeps it at the limit leaves the window.
                let oldest = times[times.len() - limit];
                let left = window.saturating_sub(now.saturating_duration_since(oldest));
                wait = wait.max(Some(left));
            }
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, limit, _) in keys {
            let times = attempts.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
        Ok(())
    }

    /// The attempt begun at `at` succeeded: the account starts afresh and the address's count
    /// forgets this one.
    pub fn succeeded(&self, email: &str, address: &str, at: Instant) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.remove(&Self::account_key(email));
        for key in [Self::address_key(address), Self::EVERYONE_KEY.to_string()] {
            if let Some(times) = attempts.get_mut(&key) {
                if let Some(i) = times.iter().rposition(|t| *t == at) {
                    times.remove(i);
                }
                if times.is_empty() {
                    attempts.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_are_slowed_down_per_account_and_per_address() {
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 5);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        for i in 0..3 {
            assert_eq!(limiter.begin("Ann@x.test", "1.1.1.1", at(i)), Ok(()));
        }
        // Counted up front: the fourth attempt waits, from any address, whatever its password.
        assert_eq!(
            limiter.begin("ann@x.test", "2.2.2.2", at(10)),
            Err(Duration::from_secs(590))
        );
        // Another account from the same address goes on ...
        assert_eq!(limiter.begin("bob@x.test", "1.1.1.1", at(10)), Ok(()));
        assert_eq!(limiter.begin("cy@x.test", "1.1.1.1", at(10)), Ok(()));
        // ... until the address reaches its own limit (refused attempts are not counted).
        assert!(limiter.begin("dee@x.test", "1.1.1.1", at(10)).is_err());
        // The window slides.
        assert_eq!(limiter.begin("ann@x.test", "3.3.3.3", at(603)), Ok(()));
    }

    #[test]
    fn a_success_forgives_the_account_and_its_own_attempt() {
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 3);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(0)), Ok(()));
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(1)), Ok(()));
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(2)), Ok(()));
        limiter.succeeded("ann@x.test", "1.1.1.1", at(2));
        // Two failures remain on the address, none on the account.
        assert_eq!(limiter.begin("ann@x.test", "1.1.1.1", at(3)), Ok(()));
        assert_eq!(
            limiter.begin("bob@x.test", "1.1.1.1", at(4)),
            Err(Duration::from_secs(596))
        );
    }

    #[test]
    fn many_addresses_share_one_limit_across_everyone() {
        let limiter = SignInLimiter::new(Duration::from_secs(600), 3, 3)
            .with_everyone(4, Duration::from_secs(60));
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        for i in 0..4u64 {
            let (who, from) = (format!("u{i}@x.test"), format!("10.0.0.{i}"));
            assert_eq!(limiter.begin(&who, &from, at(i)), Ok(()));
        }
        // A fifth account from a fifth address, each within its own limit, waits for the first
        // attempt to leave the minute.
        assert_eq!(
            limiter.begin("u9@x.test", "10.0.0.9", at(10)),
            Err(Duration::from_secs(50))
        );
        // A success gives its place back.
        limiter.succeeded("u3@x.test", "10.0.0.3", at(3));
        assert_eq!(limiter.begin("u9@x.test", "10.0.0.9", at(11)), Ok(()));
        assert!(limiter.begin("u8@x.test", "10.0.0.8", at(12)).is_err());
        assert_eq!(limiter.begin("u8@x.test", "10.0.0.8", at(61)), Ok(()));
    }
}
