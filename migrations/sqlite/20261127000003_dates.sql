-- Dates were stored as text and compared as text, which is date order only for four-digit years.
-- They become integers: days since 1970-01-01 for the dates a person typed, seconds since
-- 1970-01-01T00:00:00Z for the instants (dateFrom/dateTo, AURA's next occurrence). Instants the
-- server's own clock makes (created, leases, attempts) stay RFC 3339 text: always four-digit years.
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
    -- The dates a person typed, as days since 1970-01-01, and the instants they span, as seconds
    -- since 1970-01-01T00:00:00Z: integers compare as dates do at any year (text did not:
    -- '+10000-01-01' sorts before '2026-…').
    first_date              INTEGER NOT NULL,
    last_date               INTEGER NOT NULL CHECK (last_date >= first_date),
    date_from               INTEGER NOT NULL,
    date_to                 INTEGER NOT NULL CHECK (date_to >= date_from),
    repeat_type             TEXT    NOT NULL CHECK (repeat_type IN ('single', 'daily', 'weekly')),
    days_of_week            TEXT    NOT NULL DEFAULT '',
    start_time              TEXT    NOT NULL,
    window_minutes          INTEGER NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    aura_id                 TEXT,
    next_occurrence         INTEGER,
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

-- SQLite's date functions read the years 0000-9999. A date outside them (possible before dates had
-- a range) is kept at the nearest end of that range, with a history entry saying so.
CREATE TEMP TABLE converted AS
SELECT id,
    CAST(julianday(first_date) - 2440587.5 AS INTEGER) AS first_day,
    CAST(julianday(last_date) - 2440587.5 AS INTEGER) AS last_day,
    unixepoch(date_from) AS from_second,
    unixepoch(date_to) AS to_second,
    unixepoch(next_occurrence) AS next_second
FROM bookings;

INSERT INTO bookings_new (id, customer_id, site_id, idempotency_key, service_type, name, special_instructions,
    number_of_guards, armed_preference, contacts, address, latitude, longitude, timezone, first_date, last_date,
    date_from, date_to, repeat_type, days_of_week, start_time, window_minutes, aura_id, next_occurrence,
    next_occurrence_ours, status, sync_error, attempts, cancel_outcome_unknown, next_attempt_at, lease_owner,
    lease_until, created_by_user_id, created_at, updated_at, cancel_requested_at, cancel_reason, cancelled_by,
    cancelled_by_user_id, cancelled_on_behalf_of, removed_occurrences, cancelled_at)
SELECT b.id, customer_id, site_id, idempotency_key, service_type, name, special_instructions,
    number_of_guards, armed_preference, contacts, address, latitude, longitude, timezone,
    COALESCE(c.first_day, CASE WHEN b.first_date LIKE '-%' THEN -719528 ELSE 2932896 END),
    COALESCE(c.last_day, CASE WHEN b.last_date LIKE '-%' THEN -719528 ELSE 2932896 END),
    COALESCE(c.from_second, CASE WHEN b.date_from LIKE '-%' THEN -62167219200 ELSE 253402300799 END),
    COALESCE(c.to_second, CASE WHEN b.date_to LIKE '-%' THEN -62167219200 ELSE 253402300799 END),
    repeat_type, days_of_week, start_time, window_minutes, aura_id,
    CASE WHEN b.next_occurrence IS NOT NULL THEN
        COALESCE(c.next_second, CASE WHEN b.next_occurrence LIKE '-%' THEN -62167219200 ELSE 253402300799 END)
    END,
    next_occurrence_ours, status, sync_error, attempts, cancel_outcome_unknown, next_attempt_at, lease_owner,
    lease_until, created_by_user_id, created_at, updated_at, cancel_requested_at, cancel_reason, cancelled_by,
    cancelled_by_user_id, cancelled_on_behalf_of, removed_occurrences, cancelled_at
FROM bookings b JOIN converted c ON c.id = b.id;

INSERT INTO booking_events (booking_id, at, kind, actor, detail)
SELECT b.id, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), 'dates_kept', 'Dashboard',
    'Found on upgrade: its dates (' || b.first_date || ' to ' || b.last_date
    || ') reach outside the years 0 to 9999 this dashboard keeps, so they are kept as ending at the nearest of those. AURA was sent them as they were typed.'
FROM bookings b JOIN converted c ON c.id = b.id
WHERE c.first_day IS NULL OR c.last_day IS NULL OR c.from_second IS NULL OR c.to_second IS NULL
    OR (b.next_occurrence IS NOT NULL AND c.next_second IS NULL);

DROP TABLE converted;

DROP TABLE bookings;
ALTER TABLE bookings_new RENAME TO bookings;

CREATE INDEX bookings_customer_status ON bookings (customer_id, status);
CREATE INDEX bookings_cancelled ON bookings (customer_id, cancelled_at);
CREATE INDEX bookings_outbox ON bookings (status, next_attempt_at);
