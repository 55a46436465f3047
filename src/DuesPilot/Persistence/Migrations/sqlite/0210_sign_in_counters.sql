-- Sign-in throttling and lockout counted in the store, so every instance sharing it shares the counts:
-- with two hosts an attacker gets the same number of wrong passwords as with one. One row per user name
-- ('user:kim', lower case) and per address ('addr:203.0.113.9'): failures within the window that started
-- at window_start, and the instant the lockout ends (NULL when not locked).
CREATE TABLE sign_in_counters (
    counter_key   TEXT PRIMARY KEY,
    window_start  TEXT NOT NULL,
    failures      INTEGER NOT NULL,
    locked_until  TEXT
);
