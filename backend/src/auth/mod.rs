//! Who is asking and what they may touch: the viewer and their customers, the session, passwords,
//! and the guard every request passes.

pub mod guard;
pub mod passwords;
pub mod session;
pub mod viewer;

pub use guard::{UNTRUSTED_PROXY_WARNING, guard, local_path, own_origin, sign_in_then};
pub use passwords::{hash_password, password_matches};
pub use session::{end_session, select_customer, set_flash, start_session, take_flash};
pub use viewer::{CurrentViewer, Viewer};
