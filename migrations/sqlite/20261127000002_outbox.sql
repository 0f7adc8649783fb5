-- The bookings table becomes its own outbox: a booking's status says which call to AURA it still
-- needs (saved/not_sent: a create; cancelling: a cancel), and the sending worker claims a row with
-- a lease (owner and expiry) before calling AURA. New statuses: sending (an attempt started),
-- unknown (sent without a usable answer; a person checks), lapsed (first window passed unsent) and
-- cancelling (cancelled here; AURA still to be told). SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt (the migrator runs this with foreign keys off).
CREATE TABLE bookings_new (
    id                      INTEGER PRIMARY KEY,
    customer_id             INTEGER NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    site_id                 INTEGER REFERENCES sites (id) ON DELETE SET NULL,
    idempotency_key         TEXT    NOT NULL,
    service_type            TEXT    NOT NULL,
    name                    TEXT    NOT NULL,
    special_instructions    TEXT,
    number_of_guards        INTEGER NOT NULL CHECK (number_of_guards >= 1),
    armed_preference        TEXT    NOT NULL,
    contacts                TEXT    NOT NULL DEFAULT '[]',
    address                 TEXT,
    latitude                REAL,
    longitude               REAL,
    timezone                TEXT    NOT NULL,
    first_date              TEXT    NOT NULL,
    last_date               TEXT    NOT NULL,
    date_from               TEXT    NOT NULL,
    date_to                 TEXT    NOT NULL,
    repeat_type             TEXT    NOT NULL CHECK (repeat_type IN ('single', 'daily', 'weekly')),
    days_of_week            TEXT    NOT NULL DEFAULT '',
    start_time              TEXT    NOT NULL,
    window_minutes          INTEGER NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    aura_id                 TEXT,
    next_occurrence         TEXT,
    -- Whether next_occurrence is our own computation (AURA's answer did not give one).
    next_occurrence_ours    INTEGER NOT NULL DEFAULT 0,
    status                  TEXT    NOT NULL CHECK (status IN ('saved', 'sending', 'not_sent', 'unknown',
                                'confirmed', 'rejected', 'lapsed', 'cancelling', 'cancelled')),
    sync_error              TEXT,
    -- Calls made to AURA for this booking, and when the worker may try the next one.
    attempts                INTEGER NOT NULL DEFAULT 0,
    -- A cancel call went out without a usable answer: AURA may have cancelled it already.
    cancel_outcome_unknown  INTEGER NOT NULL DEFAULT 0,
    next_attempt_at         TEXT,
    -- Which process holds the booking while it calls AURA, and until when.
    lease_owner             TEXT,
    lease_until             TEXT,
    created_by_user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at              TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL,
    -- The wish to cancel (reason, who, when asked) ...
    cancel_requested_at     TEXT,
    cancel_reason           TEXT,
    cancelled_by            TEXT,
    cancelled_by_user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    cancelled_on_behalf_of  TEXT,
    removed_occurrences     INTEGER,
    -- ... and when it was done.
    cancelled_at            TEXT,
    CONSTRAINT bookings_idempotency UNIQUE (customer_id, idempotency_key),
    CONSTRAINT bookings_aura_id_unique UNIQUE (aura_id),
    CONSTRAINT bookings_cancelled_complete CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CONSTRAINT bookings_cancel_asked CHECK (status NOT IN ('cancelling', 'cancelled') OR cancel_requested_at IS NOT NULL),
    CONSTRAINT bookings_confirmed_id CHECK (status NOT IN ('confirmed', 'cancelling') OR aura_id IS NOT NULL)
);

-- Before this migration every failed call was "not sent", including calls that went out and got
-- no usable answer (timeouts after sending, broken connections, unreadable answers): AURA may hold
-- those. Only the errors that prove nothing reached AURA stay "not sent" (the worker sends them);
-- the rest become "unknown" for a person to check. Their texts are the old client's messages.
CREATE TEMP TABLE old_outcomes AS
SELECT id,
    CASE
        -- Left mid-call when the server stopped.
        WHEN status = 'saved' THEN 'unknown'
        WHEN status = 'not_sent' AND NOT (
                sync_error LIKE 'AURA could not be reached: connection failed%'
             OR sync_error LIKE 'AURA failed (%'
             OR sync_error LIKE 'AURA asked us to slow down%'
             OR sync_error LIKE 'AURA refused the dashboard''s credentials%') THEN 'unknown'
        -- Cancelled "here only" after such a call: AURA may still hold it, with the wish to cancel.
        WHEN status = 'cancelled' AND aura_id IS NULL AND sync_error IS NOT NULL AND NOT (
                sync_error LIKE 'AURA could not be reached: connection failed%'
             OR sync_error LIKE 'AURA failed (%'
             OR sync_error LIKE 'AURA asked us to slow down%'
             OR sync_error LIKE 'AURA refused the dashboard''s credentials%') THEN 'unknown'
        ELSE status
    END AS new_status
FROM bookings;

INSERT INTO bookings_new (id, customer_id, site_id, idempotency_key, service_type, name, special_instructions,
    number_of_guards, armed_preference, contacts, address, latitude, longitude, timezone, first_date, last_date,
    date_from, date_to, repeat_type, days_of_week, start_time, window_minutes, aura_id, next_occurrence, status,
    sync_error, attempts, next_attempt_at, created_by_user_id, created_at, updated_at, cancel_requested_at,
    cancel_reason, cancelled_by, cancelled_by_user_id, cancelled_on_behalf_of, removed_occurrences, cancelled_at)
SELECT b.id, customer_id, site_id, idempotency_key, service_type, name, special_instructions,
    number_of_guards, armed_preference, contacts, address, latitude, longitude, timezone, first_date, last_date,
    date_from, date_to, repeat_type, days_of_week, start_time, window_minutes, aura_id, next_occurrence,
    o.new_status,
    CASE WHEN b.status = 'saved' THEN 'The dashboard stopped while sending this to AURA' ELSE sync_error END,
    CASE WHEN b.status = 'cancelled' AND aura_id IS NULL AND sync_error IS NULL THEN 0 ELSE 1 END,
    CASE o.new_status WHEN 'not_sent' THEN strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now') END,
    created_by_user_id, created_at, updated_at, cancelled_at,
    cancel_reason, cancelled_by, cancelled_by_user_id, cancelled_on_behalf_of, removed_occurrences,
    CASE o.new_status WHEN 'cancelled' THEN cancelled_at END
FROM bookings b JOIN old_outcomes o ON o.id = b.id;

INSERT INTO booking_events (booking_id, at, kind, actor, detail)
SELECT b.id, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), 'unknown', 'Dashboard',
    CASE
        WHEN b.status = 'saved' THEN
            'The server stopped while this was being sent to AURA, so whether AURA has it is not known. It will not be sent again until someone checks with AURA.'
        WHEN b.status = 'cancelled' THEN
            'Found on upgrade: this was cancelled here only, after a call to AURA that got no usable answer (' || b.sync_error || '). AURA may still hold it. Once someone checks with AURA, it is cancelled there, or stays cancelled here if AURA never had it.'
        ELSE
            'Found on upgrade: the last call to AURA got no usable answer (' || b.sync_error || '), so AURA may hold it. It will not be sent again until someone checks with AURA.'
    END
FROM bookings b JOIN old_outcomes o ON o.id = b.id
WHERE o.new_status = 'unknown';

DROP TABLE old_outcomes;

DROP TABLE bookings;
ALTER TABLE bookings_new RENAME TO bookings;

CREATE INDEX bookings_customer_status ON bookings (customer_id, status);
CREATE INDEX bookings_cancelled ON bookings (customer_id, cancelled_at);
CREATE INDEX bookings_outbox ON bookings (status, next_attempt_at);

-- Written by the readiness check to prove the database takes writes.
CREATE TABLE readiness (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  TEXT    NOT NULL
);
