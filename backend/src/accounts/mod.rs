//! Signing in and out, the customer switcher, your own password, and what administrators manage:
//! users, customers and account-manager assignments. Every form here is a plain HTML form (see
//! `forms`); inputs arrive typed except what a person types.

mod customers;
mod reset;
mod sign_in;
mod users;

pub use customers::*;
pub use reset::*;
pub use sign_in::*;
pub use users::*;
