-- Telling people (issue 21): what each person is told (`notifications`, their inbox), the mail that
-- carries it (`mail_outbox`, sent by the worker like AURA calls), how each person wants to hear
-- (`notification_prefs`, zone and quiet hours on `users`), password reset by mail, and a refused
-- booking's acknowledgement.

-- A person's own zone (digest at 07:00, quiet hours); NULL: their customer's zone, else UTC.
ALTER TABLE users ADD COLUMN timezone TEXT;
-- Quiet hours in the person's zone, minutes after midnight; both or neither. Mail due inside them
-- waits until they end (the inbox has it at once).
ALTER TABLE users ADD COLUMN quiet_from INTEGER;
ALTER TABLE users ADD COLUMN quiet_to INTEGER;

-- Whether the person gets the morning digest.
ALTER TABLE users ADD COLUMN digest INTEGER NOT NULL DEFAULT 1;

-- A refused booking stays on the calendar and the upcoming list, marked refused, until someone
-- acknowledges it.
ALTER TABLE bookings ADD COLUMN acknowledged_at TEXT;
ALTER TABLE bookings ADD COLUMN acknowledged_by TEXT;

-- How a person wants to hear of each kind of notice; no row: the default (at once).
CREATE TABLE notification_prefs (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notice    TEXT    NOT NULL,
    delivery  TEXT    NOT NULL CHECK (delivery IN ('instant', 'digest', 'off')),
    PRIMARY KEY (user_id, notice)
);

-- One person's notice of one event: their inbox. Written in the transaction of the change that
-- causes it.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notice      TEXT    NOT NULL,
    booking_id  INTEGER REFERENCES bookings (id) ON DELETE CASCADE,
    event_id    INTEGER REFERENCES booking_events (id) ON DELETE CASCADE,
    detail      TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    read_at     TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, event_id, notice) WHERE event_id IS NOT NULL;

-- A password reset asked by mail: only the token's hash is kept; single use, 30 minutes.
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    CONSTRAINT password_resets_token_unique UNIQUE (token_hash)
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Every mail to send, written with what causes it and sent by the worker under a lease, with
-- retries and backoff. `message_id` comes from what the mail is about, so a resend after a crash
-- carries the same Message-ID. `token` holds a reset link's token only until the mail is sent (or
-- has expired): the reset itself keeps only its hash.
CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_address       TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('notice', 'digest', 'password_reset')),
    notification_id  INTEGER REFERENCES notifications (id) ON DELETE CASCADE,
    reset_id         INTEGER REFERENCES password_resets (id) ON DELETE CASCADE,
    digest_date      INTEGER,
    message_id       TEXT    NOT NULL,
    token            TEXT,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_until      TEXT,
    last_answer      TEXT,
    subject          TEXT,
    created_at       TEXT    NOT NULL,
    sent_at          TEXT,
    CONSTRAINT mail_outbox_message_unique UNIQUE (message_id)
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- Mail caught by the built-in catcher (demo mode without SMTP_URL): what would have gone out.
CREATE TABLE caught_mail (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT    NOT NULL,
    to_address  TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    text_body   TEXT    NOT NULL,
    html_body   TEXT    NOT NULL,
    headers     TEXT    NOT NULL,
    caught_at   TEXT    NOT NULL
);

-- Secrets the dashboard makes for itself, shared by every process on this database (the key that
-- signs unsubscribe links).
CREATE TABLE app_secrets (
    name   TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);

-- AURA's reachability as the worker saw it: the last answer that came through, and when
-- administrators were last told it was unreachable (once per outage).
CREATE TABLE aura_health (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_ok_at  TEXT,
    alerted_at  TEXT
);
INSERT INTO aura_health (id) VALUES (1);
