//! What the server side of the app needs from Leptos's request context: the shared state, the
//! session and the signed-in person (`context`), an error's HTTP status (`error`), ending a plain
//! form in a redirect (`forms`) and the browser's kept choices (`prefs`). Everything else is in the
//! `backend` crate.

pub mod context;
pub mod error;
pub mod forms;
pub mod prefs;

pub use context::app_state;
pub use error::with_status;
