//! How long each text may be and how large each number, in one place: the forms' rules, their
//! messages and the server's checks all read them from here.

pub const MAX_NAME_CHARS: usize = 120;
/// The longest name of a saved site.
pub const MAX_SITE_NAME_CHARS: usize = 100;
pub const MAX_INSTRUCTIONS_CHARS: usize = 2000;
pub const MAX_ADDRESS_CHARS: usize = 300;
pub const MAX_CONTACTS: usize = 10;
/// An on-site contact's name (AURA passes it to the responding guards).
pub const MAX_CONTACT_NAME_CHARS: usize = 100;
/// A mobile number as typed, spaces and punctuation included.
pub const MAX_MOBILE_CHARS: usize = 32;
/// An email address (RFC 5321's limit), also when signing in.
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_GUARDS: u32 = 50;
pub const MAX_CANCEL_REASON_CHARS: usize = 500;
/// AURA's customerId is a 32-bit signed integer in every example and in its sandbox; a larger
/// number is a typing mistake, not a customer.
pub const MAX_AURA_CUSTOMER_ID: i64 = 2_147_483_647;
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// What the two halves of a lock/unlock pair add to the name they were booked under.
pub const LOCK_SUFFIX: &str = " (lock)";
pub const UNLOCK_SUFFIX: &str = " (unlock)";
/// How far ahead a booking's dates may go.
pub const MAX_YEARS_AHEAD: u32 = 5;
