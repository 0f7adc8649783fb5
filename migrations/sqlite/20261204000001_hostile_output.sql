-- Multi-line text is stored with line feeds only (issue 24): a carriage return, alone or before a
-- line feed, becomes one line feed, as the forms now store it.
UPDATE bookings
   SET special_instructions = REPLACE(REPLACE(special_instructions, char(13) || char(10), char(10)), char(13), char(10))
 WHERE instr(special_instructions, char(13)) > 0;
UPDATE bookings
   SET cancel_reason = REPLACE(REPLACE(cancel_reason, char(13) || char(10), char(10)), char(13), char(10))
 WHERE instr(cancel_reason, char(13)) > 0;
UPDATE booking_events
   SET detail = REPLACE(REPLACE(detail, char(13) || char(10), char(10)), char(13), char(10))
 WHERE instr(detail, char(13)) > 0;

-- The per-customer booking rate counts the bookings a customer saved in the last minute.
CREATE INDEX bookings_customer_created ON bookings (customer_id, created_at);
