-- Sign-in attempts, counted in the database so that every dashboard process serving the same
-- database shares one limit (and a restarted one forgets nothing). Each attempt is three rows, one
-- per thing it counts against: its account, its address and everyone. Times are milliseconds since
-- the epoch; rows older than the longest window are swept as attempts come in.
CREATE TABLE sign_in_attempts (
    id          INTEGER PRIMARY KEY,
    attempt     TEXT    NOT NULL,
    scope_key   TEXT    NOT NULL,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts (scope_key, at_ms);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at_ms);
CREATE INDEX sign_in_attempts_attempt ON sign_in_attempts (attempt);
