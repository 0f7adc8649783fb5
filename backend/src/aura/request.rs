//! A stored booking as the request AURA is sent: the one mapping from our record to AURA's body.

use super::wire::{self, CreateScheduledRequest};
use crate::db::Booking;

/// The AURA create body for a stored booking.
pub fn create_body_for(booking: &Booking) -> CreateScheduledRequest {
    let parts = wire::BodyParts {
        name: &booking.name,
        special_instructions: booking.special_instructions.as_deref(),
        number_of_guards: booking.number_of_guards,
        armed_preference: booking.armed_preference,
        contacts: &booking.contacts,
        location: &booking.location,
        schedule: &booking.schedule,
        timezone: booking.zone.name(),
    };
    wire::create_body(booking.customer.aura_customer_id, &parts)
}
