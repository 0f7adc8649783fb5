-- Plugging in (issue 22): API keys per customer, the per-key rate limit every process shares,
-- idempotent POSTs, and signed webhooks sent by the worker like mail.

-- Through which door a wish to cancel came (page, api): the cancel AURA confirms later is theirs.
ALTER TABLE bookings ADD COLUMN cancelled_via TEXT;

-- A key acts for exactly one customer. Only its SHA-256 is kept (keys are 256 random bits: a
-- fast hash is enough); `prefix` identifies it on pages. Revocation and expiry are read on every
-- request, so they hold at once on every process.
CREATE TABLE api_keys (
    id                  INTEGER PRIMARY KEY,
    customer_id         INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    prefix              TEXT    NOT NULL,
    key_hash            TEXT    NOT NULL,
    scopes              TEXT    NOT NULL,
    created_by          TEXT    NOT NULL,
    created_by_user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at          TEXT    NOT NULL,
    expires_at          TEXT,
    last_used_at        TEXT,
    revoked_at          TEXT,
    CONSTRAINT api_keys_hash_unique UNIQUE (key_hash)
);
CREATE INDEX api_keys_customer ON api_keys (customer_id);

-- Requests per key per minute (minutes since 1970): the rate limit, shared by every process.
CREATE TABLE api_usage (
    key_id  INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    minute  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (key_id, minute)
);

-- A POST's answer under its Idempotency-Key, for 24 hours: a repeat with the same body gets it
-- again. `status` 0 while the first is still being answered.
CREATE TABLE api_idempotency (
    key_id        INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idem_key      TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    status        INTEGER NOT NULL,
    location      TEXT,
    body          TEXT,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);

-- Where a customer's webhooks go. The secret signs (Standard Webhooks, HMAC-SHA256), so it is kept
-- as given; after a rotation the previous one signs too until `previous_until`.
CREATE TABLE webhook_endpoints (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    url              TEXT    NOT NULL,
    events           TEXT    NOT NULL,
    secret           TEXT    NOT NULL,
    previous_secret  TEXT,
    previous_until   TEXT,
    created_by       TEXT    NOT NULL,
    created_at       TEXT    NOT NULL
);
CREATE INDEX webhook_endpoints_customer ON webhook_endpoints (customer_id);

-- One event for one endpoint, written in the transaction of the change it reports, with its body
-- fixed then; sent by the worker under a lease, with retries for 24 hours.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL REFERENCES booking_events (id) ON DELETE CASCADE,
    booking_id       INTEGER NOT NULL,
    event            TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    give_up_at       TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_until      TEXT,
    last_status      INTEGER,
    last_answer      TEXT,
    created_at       TEXT    NOT NULL,
    delivered_at     TEXT,
    CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
-- A booking is made once and cancelled once: its history may record the cancel in two entries
-- (the wish, then the outcome), and a receiver hears of it once.
CREATE UNIQUE INDEX webhook_deliveries_terminal ON webhook_deliveries (endpoint_id, booking_id, event)
    WHERE event IN ('booking.created', 'booking.cancelled');
