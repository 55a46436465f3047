-- Revenue recognition and collections (SQLite). Money is integer minor units plus currency.

-- A membership term whose dues are deferred and recognised monthly over its service period (inclusive dates).
CREATE TABLE revenue_terms (
    term_id       TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL,
    currency      TEXT NOT NULL,
    service_start TEXT NOT NULL,
    service_end   TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('StraightLineMonths', 'Days')),
    created_at    TEXT NOT NULL,
    CHECK (service_end >= service_start)
);
CREATE INDEX revenue_terms_period ON revenue_terms (service_end, service_start);
CREATE INDEX revenue_terms_member ON revenue_terms (member_id);

-- What happened to a term: billed (join, renew, upgrade) or credited (downgrade, refund, cancel).
CREATE TABLE revenue_events (
    event_id        TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    term_id         TEXT NOT NULL REFERENCES revenue_terms (term_id),
    kind            TEXT NOT NULL CHECK (kind IN ('Join', 'Renew', 'Upgrade', 'Downgrade', 'Refund', 'Cancel')),
    effective_date  TEXT NOT NULL,
    tier            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    entry_id        TEXT,
    payload_hash    TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX revenue_events_term ON revenue_events (term_id, effective_date);
CREATE INDEX revenue_events_date ON revenue_events (effective_date);

-- One row per closed month. prev_month is unique, so only one close can ever follow a given month:
-- the store itself keeps closes in order, on both engines, even under concurrent runs.
CREATE TABLE revenue_closes (
    month            TEXT PRIMARY KEY,
    prev_month       TEXT NOT NULL UNIQUE,
    currency         TEXT NOT NULL,
    recognised_minor INTEGER NOT NULL,
    terms            INTEGER NOT NULL,
    entry_id         TEXT,
    closed_at        TEXT NOT NULL,
    closed_by        TEXT NOT NULL
);

-- What each term recognised in each closed month, and for which tier (the board's revenue-by-tier report).
CREATE TABLE revenue_recognitions (
    term_id      TEXT NOT NULL,
    month        TEXT NOT NULL,
    tier         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (term_id, month)
);
CREATE INDEX revenue_recognitions_month ON revenue_recognitions (month, tier);
