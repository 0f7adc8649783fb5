-- One word for one thing: a "booking" everywhere (AURA calls it a scheduled request; that word stays
-- in the AURA client). Columns are named as the fields that read them.
ALTER TABLE scheduled_requests RENAME TO bookings;
ALTER TABLE bookings RENAME COLUMN sync_status TO status;
ALTER TABLE bookings RENAME COLUMN contacts_json TO contacts;
ALTER TABLE bookings RENAME COLUMN cancelled_occurrences TO removed_occurrences;
ALTER TABLE request_events RENAME TO booking_events;
ALTER TABLE booking_events RENAME COLUMN request_id TO booking_id;

DROP INDEX scheduled_requests_customer_status;
DROP INDEX scheduled_requests_cancelled;
DROP INDEX request_events_request;
CREATE INDEX bookings_customer_status ON bookings (customer_id, status);
CREATE INDEX bookings_cancelled ON bookings (customer_id, cancelled_at);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);
