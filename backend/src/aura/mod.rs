//! Talking to AURA: the wire format (every [model] choice), the mapping from a stored booking to
//! AURA's request, and the HTTP client.

pub mod catalog;
pub mod client;
pub mod request;
pub mod wire;

pub use super::secret;
pub use client::{AuraClient, AuraConfig, AuraError, CancelOutcome, NotDelivered};
pub use request::create_body_for;
pub use wire::Created;
