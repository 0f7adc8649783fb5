-- Customers the dashboard books for; aura_customer_id is AURA's customerId.
CREATE TABLE customers (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    aura_customer_id  INTEGER NOT NULL,
    default_timezone  TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    CONSTRAINT customers_aura_id_unique UNIQUE (aura_customer_id)
);

-- Saved locations of a customer, each in its IANA zone.
CREATE TABLE sites (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    name         TEXT    NOT NULL,
    address      TEXT,
    latitude     REAL,
    longitude    REAL,
    timezone     TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    CONSTRAINT sites_location_given CHECK (address IS NOT NULL OR (latitude IS NOT NULL AND longitude IS NOT NULL)),
    CONSTRAINT sites_name_unique UNIQUE (customer_id, name)
);
CREATE INDEX sites_customer ON sites (customer_id);

-- Every booking, saved before AURA is called. Times are UTC RFC 3339 text; local fields are as the
-- customer chose them in `timezone`.
CREATE TABLE scheduled_requests (
    id                     INTEGER PRIMARY KEY,
    customer_id            INTEGER NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    site_id                INTEGER REFERENCES sites (id) ON DELETE SET NULL,
    idempotency_key        TEXT    NOT NULL,
    service_type           TEXT    NOT NULL,
    name                   TEXT    NOT NULL,
    special_instructions   TEXT,
    number_of_guards       INTEGER NOT NULL CHECK (number_of_guards >= 1),
    armed_preference       TEXT    NOT NULL,
    contacts_json          TEXT    NOT NULL DEFAULT '[]',
    address                TEXT,
    latitude               REAL,
    longitude              REAL,
    timezone               TEXT    NOT NULL,
    first_date             TEXT    NOT NULL,
    last_date              TEXT    NOT NULL,
    date_from              TEXT    NOT NULL,
    date_to                TEXT    NOT NULL,
    repeat_type            TEXT    NOT NULL CHECK (repeat_type IN ('single', 'daily', 'weekly')),
    days_of_week           TEXT    NOT NULL DEFAULT '',
    start_time             TEXT    NOT NULL,
    window_minutes         INTEGER NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    aura_id                TEXT,
    next_occurrence        TEXT,
    sync_status            TEXT    NOT NULL CHECK (sync_status IN ('saved', 'confirmed', 'not_sent', 'rejected', 'cancelled')),
    sync_error             TEXT,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    cancelled_at           TEXT,
    cancel_reason          TEXT,
    cancelled_by           TEXT,
    cancelled_occurrences  INTEGER,
    CONSTRAINT scheduled_requests_idempotency UNIQUE (customer_id, idempotency_key),
    CONSTRAINT scheduled_requests_aura_id_unique UNIQUE (aura_id)
);
CREATE INDEX scheduled_requests_customer_status ON scheduled_requests (customer_id, sync_status);
CREATE INDEX scheduled_requests_cancelled ON scheduled_requests (customer_id, cancelled_at);

-- What happened to a request, in order: the audit trail shown on its page.
CREATE TABLE request_events (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES scheduled_requests (id) ON DELETE CASCADE,
    at          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX request_events_request ON request_events (request_id, id);
