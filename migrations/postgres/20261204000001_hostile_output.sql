-- Multi-line text is stored with line feeds only (issue 24): a carriage return, alone or before a
-- line feed, becomes one line feed, as the forms now store it.
UPDATE bookings
   SET special_instructions = REPLACE(REPLACE(special_instructions, chr(13) || chr(10), chr(10)), chr(13), chr(10))
 WHERE strpos(special_instructions, chr(13)) > 0;
UPDATE bookings
   SET cancel_reason = REPLACE(REPLACE(cancel_reason, chr(13) || chr(10), chr(10)), chr(13), chr(10))
 WHERE strpos(cancel_reason, chr(13)) > 0;
UPDATE booking_events
   SET detail = REPLACE(REPLACE(detail, chr(13) || chr(10), chr(10)), chr(13), chr(10))
 WHERE strpos(detail, chr(13)) > 0;

-- The per-customer booking rate counts the bookings a customer saved in the last minute.
CREATE INDEX bookings_customer_created ON bookings (customer_id, created_at);
