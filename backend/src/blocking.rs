//! CPU-heavy work (Argon2, expanding many bookings' windows) runs on tokio's blocking threads, a few
//! pieces at a time. The async threads keep answering everyone else, however much one person asks
//! for; extra work waits its turn instead of piling onto the cores (or, for Argon2, into memory).

use tokio::sync::Semaphore;

use super::error::ServerError;

/// A bounded number of places for one kind of CPU-heavy work.
pub struct Slots {
    semaphore: Semaphore,
    what: &'static str,
}

impl Slots {
    pub const fn new(at_once: usize, what: &'static str) -> Self {
        Slots {
            semaphore: Semaphore::const_new(at_once),
            what,
        }
    }

    /// Runs `work` on a blocking thread once a slot is free.
    pub async fn run<T: Send + 'static>(
        &'static self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        let _slot = self
            .semaphore
            .acquire()
            .await
            .map_err(|e| ServerError::internal(format!("{} slots closed: {e}", self.what)))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ServerError::internal(format!("{} failed: {e}", self.what)))
    }

    /// Takes every slot until the permit is dropped: work of this kind waits meanwhile (the tests
    /// use it to show that work waits for a slot, and that nothing else does).
    pub async fn take_all(&'static self, at_once: u32) -> tokio::sync::SemaphorePermit<'static> {
        self.semaphore
            .acquire_many(at_once)
            .await
            .expect("slots open")
    }
}

/// Turning many bookings into the windows of a month or a list: two at a time, on two cores.
pub static EXPANSION: Slots = Slots::new(2, "window expansion");
