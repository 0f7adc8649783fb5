-- People who sign in. A customer user belongs to exactly one customer; account managers and
-- administrators to none (account managers reach customers through assignments).
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL COLLATE NOCASE,
    name           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('customer', 'account_manager', 'admin')),
    customer_id    INTEGER REFERENCES customers (id) ON DELETE RESTRICT,
    -- Bumped whenever access must end for existing sessions (disabled, password or role changed).
    session_epoch  INTEGER NOT NULL DEFAULT 0,
    disabled_at    TEXT,
    created_at     TEXT    NOT NULL,
    CONSTRAINT users_email_unique UNIQUE (email),
    CONSTRAINT users_customer_role CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);

-- Which account manager looks after which customer.
CREATE TABLE account_manager_customers (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, customer_id)
);
CREATE INDEX account_manager_customers_customer ON account_manager_customers (customer_id);

-- Who did what, and for which customer when acting on a customer's behalf. Rows from before accounts
-- existed keep only the actor's name.
ALTER TABLE request_events ADD COLUMN actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE request_events ADD COLUMN on_behalf_of TEXT;
ALTER TABLE scheduled_requests ADD COLUMN created_by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE scheduled_requests ADD COLUMN cancelled_by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE scheduled_requests ADD COLUMN cancelled_on_behalf_of TEXT;

-- Signed-in sessions, in the layout tower-sessions' SQLite store reads and writes.
CREATE TABLE tower_sessions (
    id           TEXT    PRIMARY KEY NOT NULL,
    data         BLOB    NOT NULL,
    expiry_date  INTEGER NOT NULL
);
