-- Changing plans (issue 23). AURA has no update and no per-occurrence cancel, so a change (a new
-- version, or dates skipped) is new bookings plus the cancel of the original, tracked as one
-- change with its own status (`domain::plan::ChangeStatus`). The new bookings are its parts.

CREATE TABLE booking_changes (
    id                    INTEGER PRIMARY KEY,
    customer_id           INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    -- The original: cancelled once AURA holds every part.
    booking_id            INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    kind                  TEXT    NOT NULL CHECK (kind IN ('change', 'skip')),
    idempotency_key       TEXT    NOT NULL,
    -- The local dates skipped (days since 1970), for a skip.
    skip_from             INTEGER,
    skip_to               INTEGER,
    status                TEXT    NOT NULL CHECK (status IN ('booking', 'cancelling', 'done', 'refused', 'stuck')),
    -- What it does, in words: the reason on the original's cancel.
    detail                TEXT    NOT NULL,
    requested_by          TEXT    NOT NULL,
    requested_by_user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    on_behalf_of          TEXT,
    via                   TEXT    NOT NULL,
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL,
    CONSTRAINT booking_changes_idempotency UNIQUE (customer_id, idempotency_key),
    CONSTRAINT booking_changes_skip_dates CHECK ((kind = 'skip') = (skip_from IS NOT NULL AND skip_to IS NOT NULL))
);
-- One open change per booking at a time.
CREATE UNIQUE INDEX booking_changes_one_open ON booking_changes (booking_id)
    WHERE status IN ('booking', 'cancelling', 'stuck');
CREATE INDEX booking_changes_status ON booking_changes (status);

-- The new bookings of a change, in order (a skip's part before the dates, then after them).
CREATE TABLE booking_change_parts (
    change_id   INTEGER NOT NULL REFERENCES booking_changes (id) ON DELETE CASCADE,
    booking_id  INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (change_id, position),
    CONSTRAINT booking_change_parts_once UNIQUE (booking_id)
);

-- The first booking of a line of versions (its own id for a booking never changed): the
-- calendar feed's UIDs follow it, so a window a change leaves as it was keeps its UID.
ALTER TABLE bookings ADD COLUMN lineage_id INTEGER;

-- A change and a skip end the original once, as a cancel does: one webhook each.
DROP INDEX webhook_deliveries_terminal;
CREATE UNIQUE INDEX webhook_deliveries_terminal ON webhook_deliveries (endpoint_id, booking_id, event)
    WHERE event IN ('booking.created', 'booking.cancelled', 'booking.changed', 'booking.skipped');

-- Closures: dates a customer's sites are closed (bank holidays, shutdowns), for every site or
-- some. Typed in, or imported from an .ics file (its events' UIDs, so importing the file again
-- updates rather than adds). Nothing is sent for a closure itself: it lists the bookings it
-- meets, and the person skips them (a skip, above).
CREATE TABLE closures (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    first_date   INTEGER NOT NULL,
    last_date    INTEGER NOT NULL CHECK (last_date >= first_date),
    -- The saved sites it closes, as a JSON list of ids; empty: every site and address.
    site_ids     TEXT    NOT NULL DEFAULT '[]',
    uid          TEXT,
    created_by   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    CONSTRAINT closures_uid UNIQUE (customer_id, uid)
);
CREATE INDEX closures_customer ON closures (customer_id, first_date);
