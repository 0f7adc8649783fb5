//! Talking to AURA: the wire format (every [model] choice) and the HTTP client.

pub mod client;
pub mod wire;

pub use super::secret;
pub use client::{AuraClient, AuraConfig, AuraError, CancelOutcome, NotDelivered};
pub use wire::Created;
