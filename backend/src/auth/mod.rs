//! Who is asking and what they may touch: the viewer and their customers, the session, passwords,
//! and the addresses handed out (the request guard itself is the server's, `server/src/guard.rs`).

pub mod passwords;
pub mod paths;
pub mod session;
pub mod viewer;

pub use passwords::{hash_password, password_matches};
pub use paths::{local_path, own_origin, sign_in_then};
pub use session::{
    end_session, load_viewer, select_customer, set_flash, start_session, take_flash,
};
pub use viewer::{CurrentViewer, KeyRef, Viewer};
