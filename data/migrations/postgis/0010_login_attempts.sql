-- Login attempts counted against the lockout (5 failures in 5 minutes per
-- address and per username). A row is written before the password is
-- checked (a reservation) and removed when the login succeeds, so parallel
-- guesses are counted before any of them is verified, on every server that
-- shares this database; the row of a failed attempt stays until it leaves
-- the window. `key` is the SHA-256 (hex) of `ip:<address>` or
-- `user:<name>`; `at` is Unix milliseconds.
CREATE TABLE login_attempts (
    id  BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts(key, at);
CREATE INDEX login_attempts_at ON login_attempts(at);
