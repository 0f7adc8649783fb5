-- One row every sign-in attempt writes first, so that counting an attempt and recording it are one
-- step for every process on the database: a transaction that starts by writing this row waits
-- for the one before it (SQLite's write lock; a row lock on PostgreSQL, where no advisory lock is
-- used so that PostgreSQL-compatible distributed engines can run it too).
CREATE TABLE sign_in_gate (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    turns  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sign_in_gate (id) VALUES (1);
