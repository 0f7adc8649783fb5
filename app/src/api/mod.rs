//! Server functions, by domain. Thin: find the state, call the booking flow, map the error.

pub mod bookings;
