-- Sites can be retired: kept for the bookings that name them, no longer offered when booking.
ALTER TABLE sites ADD COLUMN retired_at TEXT;

-- A lock and its unlock the next morning are two bookings (two AURA requests) that know each
-- other: cancelling one offers to cancel the other. `pair_role` says which half a booking is.
ALTER TABLE bookings ADD COLUMN paired_booking_id INTEGER REFERENCES bookings (id) ON DELETE SET NULL;
ALTER TABLE bookings ADD COLUMN pair_role TEXT CHECK (pair_role IN ('lock', 'unlock'));
CREATE INDEX bookings_site ON bookings (site_id, service_type);

-- A person's private calendar feed: only a SHA-256 of its secret is kept, so the address is shown
-- once. One per person; rotating replaces it, revoking deletes it. Its scope is the person's at
-- the time it is read (a disabled account or a withdrawn assignment ends it at once), and it ends
-- with the sessions of its time: a password change or reset, a role change or a disabling bump
-- the person's session_epoch, and a feed issued under another epoch is no longer read.
CREATE TABLE calendar_feeds (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL,
    session_epoch INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    last_read_at TEXT,
    CONSTRAINT calendar_feeds_token_unique UNIQUE (token_hash)
);
